"""Nothing of the journal is registered here, on purpose: entries, drafts and search tokens are
private to their author, and the admin would show them to staff (and log their __str__)."""
