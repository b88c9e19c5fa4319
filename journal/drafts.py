"""Drafts: what the editor autosaves while a person types, kept encrypted until the entry is
saved, and offered back ("Continue writing") after a closed tab, a conflict or a quick exit."""

import uuid

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from journal import crypto
from journal.forms import DraftForm
from journal.models import Draft, Entry, OwnPrompt

TEXT_FIELDS = ("title", "body")

# Every response of a journal view is private to this browser and never stored.
private = cache_control(private=True, no_store=True)


def draft_or_404(request, code, **filters):
    drafts = Draft.objects.for_user(request.user).pending().filter(**filters)
    try:
        return get_object_or_404(
            drafts.select_related("step", "entry", "own_prompt"), code=uuid.UUID(str(code))
        )
    except ValueError:
        raise Http404("No such draft") from None


def draft_initial(draft):
    return {
        "title": draft.title,
        "body": draft.body,
        "mood": draft.mood,
        "step": draft.step.slug if draft.step_id else "",
        "prompt": draft.prompt,
        "own": draft.own_prompt.code if draft.own_prompt_id else "",
        "draft": draft.code,
    }


def consume_draft(request, code, entry):
    """The entry was saved from this draft: clear its text and keep the row as a marker of the
    entry it became, so an autosave still on its way cannot bring the draft back, and the same
    form sent again cannot save the entry twice (see saved_from)."""
    if not code:
        return
    now = timezone.now()
    drafts = Draft.objects.for_user(request.user).filter(code=code)
    if not drafts.update(used_at=now, title="", body="", entry=entry):
        try:
            with transaction.atomic():
                Draft.objects.create(owner=request.user, code=code, used_at=now, entry=entry)
        except IntegrityError:
            # An autosave of this draft created the row meanwhile (mark it, or it would be offered
            # back after the save), or the code is not this user's (nothing of theirs to mark).
            drafts.update(used_at=now, title="", body="", entry=entry)


def saved_from(request, code):
    """The entry a new-entry form with this draft code was already saved as, or None: the same
    form sent twice (a repost after the answer was lost) shows the entry instead of adding it
    again. Called in the saving transaction, after taking the author's lock (one_save_at_a_time)."""
    if not code:
        return None
    draft = Draft.objects.for_user(request.user).filter(code=code, used_at__isnull=False).first()
    entry = draft.entry if draft and draft.entry_id else None
    return entry if entry is not None and entry.owner_id == request.user.pk else None


def one_save_at_a_time(request):
    """Lock the author's row (PostgreSQL; SQLite's transactions are serialised already), so two
    copies of one form sent at once are saved one after the other and the second finds the first."""
    list(get_user_model().objects.select_for_update().filter(pk=request.user.pk).values_list("pk"))


@sensitive_variables()
def keep_as_draft(request, entry, data):
    """On a conflict the refused text is kept as a draft of the entry, so that closing the tab
    now still loses nothing: the edit page offers it back."""
    fields = {
        "entry": entry,
        "title": data["title"],
        "body": data["body"],
        "mood": data["mood"],
        "step": data["step"],
        "prompt": data["prompt"],
        "base_version": data["version"],
    }
    drafts = Draft.objects.for_user(request.user).pending().select_for_update()
    draft = drafts.filter(code=data["draft"]).first()
    if draft is None:
        return Draft.objects.create(owner=request.user, **fields)
    for name, value in fields.items():
        setattr(draft, name, value)
    draft.save()
    return draft


def _status(status=200, **context):
    # Rendered without the request: the line needs nothing from the context processors.
    return HttpResponse(render_to_string("journal/form.html#autosave-status", context), status=status)


@sensitive_post_parameters(*TEXT_FIELDS)
@sensitive_variables()
@private
@login_required
@require_POST
def autosave(request):
    """The signed-in user (htmx, while typing): keep the editor's text as an encrypted draft."""
    form = DraftForm(request.POST)
    if not form.is_valid():
        errors = [error for errors in form.errors.values() for error in errors]
        return _status(400, autosave_error=f"Draft not saved: {errors[0]}")
    data = form.cleaned_data
    data["own_prompt"] = (
        OwnPrompt.objects.for_user(request.user).by_code(data["own"]) if data["own"] else None
    )
    saved_at = _update_draft(request.user, data)
    if saved_at is not None:
        return _status(saved_at=saved_at)
    entry = None
    if data["entry"]:
        entry = get_object_or_404(Entry.objects.for_user(request.user), code=data["entry"])
    try:
        return _save_draft(request, data, entry)
    except IntegrityError:
        # Two autosaves of a new draft left together (a pause and a blur): both found no row
        # and the other one's insert won. Its row is there now: update it, in a new transaction,
        # exactly as if this autosave had arrived second. A code that is someone else's draft
        # still finds no row of this user's, and is refused below without touching theirs.
        pass
    try:
        return _save_draft(request, data, entry, retry=True)
    except IntegrityError:
        return _status(400, autosave_error="Draft not saved. Save the entry instead.")


@sensitive_variables()
def _update_draft(user, data):
    """The usual autosave, in one UPDATE: the user's unsaved draft of that code, for that entry
    (or for a new one), takes the new text. Returns when it was saved, or None when there is no
    such draft, for `_save_draft` to work out what to do (create it, or say why not)."""
    if data["entry"]:
        of_entry = {"entry__in": Entry.objects.for_user(user).filter(code=data["entry"])}
    else:
        of_entry = {"entry__isnull": True}
    drafts = Draft.objects.filter(owner=user, code=data["draft"], used_at__isnull=True, **of_entry)
    now = timezone.now()
    updated = drafts.update(
        **{name: data[name] for name in ("title", "body", "mood", "step", "prompt", "own_prompt")},
        base_version=data["version"] if data["entry"] else None,
        key_id=crypto.first_key_id(),
        updated_at=now,
    )
    return now if updated else None


@sensitive_variables()
def _save_draft(request, data, entry, *, retry=False):
    """One autosave, one transaction: lock this user's draft of that code, then update it, or
    create it when there is none yet. Saves apply in the order they take the row lock, so the
    last to arrive wins, as with sequential saves."""
    drafts = Draft.objects.for_user(request.user).select_for_update()
    with transaction.atomic():
        # The stored text is replaced whole, so it is never read (nor decrypted) here.
        draft = drafts.defer("title", "body").filter(code=data["draft"]).first()
        if draft is not None and draft.used_at is not None:
            # Saved as an entry already: this autosave left the browser before the save did.
            return _status(saved_at=draft.used_at)
        if draft is None:
            if retry:
                raise IntegrityError("the draft code is not this user's")
            if not (data["title"] or data["body"].strip()):
                return HttpResponse(status=204)
            draft = Draft(owner=request.user, code=data["draft"], entry=entry)
        elif draft.entry_id != (entry.pk if entry else None):
            return _status(400, autosave_error="Draft not saved: it belongs to another page.")
        for name in ("title", "body", "mood", "step", "prompt", "own_prompt"):
            setattr(draft, name, data[name])
        draft.base_version = data["version"] if entry else None
        draft.save()
    return _status(saved_at=draft.updated_at)


@private
@login_required
def discard_draft(request, code):
    """The signed-in user: throw away one of their unsaved drafts (POST). The draft is looked up
    first, so another person's code is a 404 whatever the method."""
    draft = draft_or_404(request, code)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if request.POST.get("confirm") != "yes":
        # One tap must never lose writing: show it once more and ask.
        return render(request, "journal/discard.html", {"draft": draft})
    entry = draft.entry
    with transaction.atomic():
        draft.delete()
    messages.success(request, "The draft is discarded.")
    if entry is None:
        return redirect("journal:new")
    if entry.in_trash:
        return redirect("journal:trash")
    return redirect("journal:detail", entry.code)
