import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from journal import search
from journal.crypto import EncryptedTextField, KeyIdField
from recovery import markdown

EXCERPT_LENGTH = 160
ANSWERS_READ = 60  # answers read for a step page before the rest are only counted
TRASH_DAYS = 30  # entries stay this long in the trash before purge_trash deletes them
MAX_OWN_PROMPTS = 100  # a person's own prompts, retired ones included: their list is one page


def excerpt_of(body_html):
    """A short plain-text opening of an entry, for the list (kept encrypted like the body)."""
    text = markdown.plain_text(body_html)
    text = " ".join(text.split())
    if len(text) <= EXCERPT_LENGTH:
        return text
    return text[:EXCERPT_LENGTH].rsplit(" ", 1)[0] + "…"


class Mood(models.IntegerChoices):
    VERY_LOW = 1, "Very low"
    LOW = 2, "Low"
    OKAY = 3, "Okay"
    GOOD = 4, "Good"
    VERY_GOOD = 5, "Very good"


class EntryQuerySet(models.QuerySet):
    def for_user(self, user):
        """The one way to reach entries: the signed-in user's own, not in the trash."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user, deleted_at__isnull=True)

    def trash_for(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user, deleted_at__isnull=False)

    def all_for(self, user):
        """Every entry of the user's, in the trash or not (export, account deletion)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)

    def answers_to_step(self, step_id):
        """{prompt id: {"latest": up to 3 entries, oldest first, "count": all}} for one step.

        The newest answers come in one short query; only a journal with more of them than
        ANSWERS_READ (10,000 entries, say) asks the database to count the rest.
        """
        newest = ANSWERS_READ
        entries = self.filter(step_id=step_id).exclude(prompt="")
        rows = list(entries.values_list("prompt", "code", "created_at").order_by("-created_at")[:newest])
        answered = {}
        for prompt, code, created in rows:
            answer = answered.setdefault(prompt, {"latest": [], "count": 0})
            answer["count"] += 1
            if len(answer["latest"]) < 3:
                answer["latest"].insert(0, {"code": code, "created_at": created})
        if len(rows) == newest:
            for prompt, count in entries.values_list("prompt").annotate(n=models.Count("id")).order_by():
                answered.setdefault(prompt, {"latest": [], "count": 0})["count"] = count
        return answered

    def counts_per_step(self):
        """[(step id, prompt id, entries)] for every step and prompt written about.

        Grouped in the order of the index entry_owner_step_prompt and counted from it alone: no
        join, no sort and no table row read, however many entries there are.
        """
        return (
            self.filter(step__isnull=False)
            .values_list("step_id", "prompt")
            .annotate(n=models.Count("*"))
            .order_by()
        )

    def moods_per_day(self, moment):
        """(local date, average mood or None) for each day from `moment` on with an entry.

        Grouped in the database from the index entry_owner_day_mood alone, so a journal of
        10,000 entries costs about what one of 30 does. When the site's time zone is UTC the
        stored moment's date is the day, read natively by every database; TruncDate would convert
        each row in Python on SQLite (a function Django registers there), a cost per entry.
        """
        utc = timezone.get_current_timezone_name() == "UTC"
        return (
            self.filter(created_at__gte=moment)
            .annotate(day=Cast("created_at", models.DateField()) if utc else TruncDate("created_at"))
            .values_list("day")
            .annotate(mood=models.Avg("mood"))
            .order_by()
        )

    def matching(self, user, query):
        """Entries whose title or body hold every word of the query, through the blind index."""
        entries = self
        for tokens in search.query_tokens(user.pk, query):
            hits = SearchToken.objects.filter(owner=user, token__in=tokens).values("entry_id")
            entries = entries.filter(pk__in=hits)
        return entries


class OwnPromptQuerySet(models.QuerySet):
    def for_user(self, user):
        """The one way to reach own prompts: the signed-in user's own, retired or not."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)

    def active(self):
        return self.filter(retired_at__isnull=True)

    def by_code(self, code):
        """The prompt with this code, or None for a code that is not one (junk from a link too)."""
        try:
            code = uuid.UUID(str(code))
        except ValueError:
            return None
        return self.filter(code=code).first()

    def offered(self, most):
        """Up to `most` active prompts for the editor and Today: pinned first, then the newest,
        without their template (it can be long, and only the editor that starts from it needs it)."""
        return list(self.active().defer("template").order_by("-pinned", "-created_at", "-id")[:most])


class OwnPrompt(models.Model):
    """A question a person wrote for themselves, encrypted like an entry. Retiring one hides it
    from the editor and Today; the entries that answered it keep it."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="own_prompts")
    code = models.UUIDField(default=uuid.uuid4, editable=False)
    text = EncryptedTextField()
    # What a new entry from this prompt starts with.
    template = EncryptedTextField(blank=True)
    key_id = KeyIdField()
    pinned = models.BooleanField(default=False)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OwnPromptQuerySet.as_manager()

    class Meta:
        ordering = ["-pinned", "-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["owner", "retired_at", "-pinned", "-created_at", "-id"],
                name="own_prompt_owner_offered",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="own_prompt_code_unique"),
            # Empty text stays empty when encrypted, so the database can refuse a prompt without one.
            models.CheckConstraint(condition=~models.Q(text=""), name="own_prompt_has_text"),
            models.CheckConstraint(
                condition=models.Q(pinned=False) | models.Q(retired_at__isnull=True),
                name="own_prompt_retired_not_pinned",
            ),
        ]

    def __str__(self):
        return f"own prompt {self.code}"  # never its text

    @property
    def retired(self):
        return self.retired_at is not None


class Entry(models.Model):
    """A private journal entry. Title and body are encrypted at rest; only the owner reads it."""

    class Kind(models.TextChoices):
        ENTRY = "entry", "Entry"
        CHECKIN = "checkin", "Check-in"

    Mood = Mood

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journal_entries"
    )
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.ENTRY)
    step = models.ForeignKey(
        "recovery.Step", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    prompt = models.CharField(max_length=100, blank=True)
    # A prompt the person wrote themselves; deleting it leaves the entry without it.
    own_prompt = models.ForeignKey(
        OwnPrompt, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    title = EncryptedTextField(blank=True)
    body = EncryptedTextField(blank=True)
    # Derived from body on save, so pages never render Markdown per request; encrypted like it.
    body_html = EncryptedTextField(blank=True, editable=False)
    excerpt = EncryptedTextField(blank=True, editable=False)
    key_id = KeyIdField()
    mood = models.PositiveSmallIntegerField(null=True, blank=True, choices=Mood)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "entries"
        indexes = [
            models.Index(fields=["owner", "deleted_at", "-created_at", "-id"], name="entry_owner_recent"),
            models.Index(fields=["owner", "deleted_at", "step", "prompt"], name="entry_owner_step_prompt"),
            # The dashboard's moods per day (moods_per_day) read from the index alone.
            models.Index(fields=["owner", "deleted_at", "created_at", "mood"], name="entry_owner_day_mood"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mood__isnull=True) | models.Q(mood__gte=1, mood__lte=5),
                name="entry_mood_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(prompt="") | models.Q(step__isnull=False),
                name="entry_prompt_needs_step",
            ),
        ]

    def __str__(self):
        # Never the title: entries must not leak into logs or the admin.
        return f"entry {self.code}"

    def get_absolute_url(self):
        return f"/journal/{self.code}/"

    def save(self, *args, **kwargs):
        # Whoever writes the text (the editor, a check-in, an import) gets the derived HTML and
        # the search index with it, in the same transaction.
        update_fields = kwargs.get("update_fields")
        text_changed = update_fields is None or bool({"title", "body"} & set(update_fields))
        if text_changed:
            self.derive()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "title", "body", "body_html", "excerpt", "key_id"}
        with transaction.atomic():
            super().save(*args, **kwargs)
            if text_changed:
                self.reindex()

    def derive(self):
        """Make what is kept derived from the text: the HTML and the excerpt (save, and import
        before its bulk insert)."""
        self.body_html = markdown.render(self.body or "", line_breaks=True).html
        self.excerpt = excerpt_of(self.body_html)

    def new_search_tokens(self):
        """The SearchToken rows for this entry's current text, not yet saved."""
        tokens = search.index_tokens(self.owner_id, self.title, self.body)
        # By ids, not objects: an import makes hundreds of thousands of these.
        return [SearchToken(entry_id=self.pk, owner_id=self.owner_id, token=t) for t in sorted(tokens)]

    def reindex(self):
        """Replace this entry's search tokens with ones made from its current text."""
        SearchToken.objects.filter(entry=self).delete()
        SearchToken.objects.bulk_create(self.new_search_tokens(), batch_size=500)

    @property
    def in_trash(self):
        return self.deleted_at is not None

    @property
    def purge_on(self):
        """When purge_trash will delete this entry for good, if it stays in the trash."""
        return self.deleted_at + timedelta(days=TRASH_DAYS) if self.deleted_at else None


class SearchToken(models.Model):
    """One keyed hash of one word of one entry: the blind index behind ?q= (journal/search.py)."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="search_tokens")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=search.TOKEN_LENGTH)

    class Meta:
        # With the entry in it, a search reads its matches from the index alone.
        indexes = [models.Index(fields=["owner", "token", "entry"], name="search_owner_token_entry")]
        constraints = [
            models.UniqueConstraint(fields=["entry", "token"], name="search_token_once_per_entry"),
        ]

    def __str__(self):
        return f"search token of entry {self.entry_id}"


class DraftQuerySet(models.QuerySet):
    def for_user(self, user):
        """The one way to reach drafts: the signed-in user's own."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)

    def pending(self):
        """Drafts not yet saved as an entry: the ones offered back to the user."""
        return self.filter(used_at__isnull=True)


class Draft(models.Model):
    """Text autosaved while the user writes, encrypted like entries, offered back until it is
    saved or discarded. Once saved, the row stays a little while with its text removed, so an
    autosave still on its way cannot bring it back (purge_trash removes it)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journal_drafts"
    )
    # Unique per owner, not across everyone: another person's code is, to this person, simply one
    # that does not exist (a global constraint would tell them it is taken).
    code = models.UUIDField(default=uuid.uuid4, editable=False)
    entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.CASCADE, related_name="drafts")
    step = models.ForeignKey(
        "recovery.Step", null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts"
    )
    prompt = models.CharField(max_length=100, blank=True)
    # The person's own prompt a new entry was begun from, kept for "Continue writing".
    own_prompt = models.ForeignKey(
        "OwnPrompt", null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts"
    )
    title = EncryptedTextField(blank=True)
    body = EncryptedTextField(blank=True)
    key_id = KeyIdField()
    mood = models.PositiveSmallIntegerField(null=True, blank=True, choices=Mood)
    # The entry version an edit started from, so restoring an old draft cannot overwrite newer text.
    base_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    used_at = models.DateTimeField(null=True, blank=True)

    objects = DraftQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["owner", "used_at", "-updated_at"], name="draft_owner_pending")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mood__isnull=True) | models.Q(mood__gte=1, mood__lte=5),
                name="draft_mood_1_to_5",
            ),
            models.UniqueConstraint(fields=["owner", "code"], name="one_draft_code_per_owner"),
        ]

    def __str__(self):
        return f"draft {self.code}"

    @property
    def summary(self):
        """A few words to recognise the draft by."""
        text = self.title or " ".join(self.body.split())
        return text if len(text) <= 80 else text[:80].rsplit(" ", 1)[0] + "…"


class CounterQuerySet(models.QuerySet):
    def for_user(self, user):
        """The one way to reach counters: the signed-in user's own."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)


class Counter(models.Model):
    """A count of days that a person turned on and named themselves ("days since last contact").
    The name is private text, encrypted like an entry. Starting again keeps the old count in
    CounterReset: nothing here is ever shown as a failure."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="counters")
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = EncryptedTextField()
    key_id = KeyIdField()
    started_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = CounterQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"counter {self.code}"  # never the name

    def days(self, today):
        return max(0, (today - self.started_on).days)


class CounterReset(models.Model):
    """An earlier count of a counter, kept when the person started it again."""

    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="history")
    started_on = models.DateField()
    ended_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__gte=models.F("started_on")), name="counter_reset_in_order"
            ),
        ]

    def __str__(self):
        return f"earlier count of counter {self.counter_id}"

    @property
    def days(self):
        return (self.ended_on - self.started_on).days


class SafetyPlanQuerySet(models.QuerySet):
    def for_user(self, user):
        """The one way to reach a safety plan: the signed-in user's own."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)


class SafetyPlan(models.Model):
    """A person's safety plan, in the six parts of the Stanley–Brown plan. Encrypted at rest
    like journal text; one per person, deleted with the account."""

    # (field, heading, what goes there), in the plan's order.
    SECTIONS = [
        (
            "warning_signs",
            "My warning signs",
            "Thoughts, feelings, situations or habits that tell me things are getting harder.",
        ),
        (
            "coping",
            "Things I can do on my own to feel a little better",
            "Small things that help, even for a few minutes: a walk, music, a shower, breathing slowly.",
        ),
        (
            "distractions",
            "People and places that take my mind off things",
            "Friends, family, a café, a library, a park: somewhere I can be around others.",
        ),
        (
            "helpers",
            "People I can ask for help",
            "Names and numbers of people I trust to talk to when it is hard.",
        ),
        (
            "professionals",
            "Professionals and helplines",
            "A doctor, counsellor or helpline I can contact, and my local emergency number.",
        ),
        (
            "surroundings",
            "Making my surroundings safer",
            "Things I can put away, give to someone or keep out of reach while I feel this way.",
        ),
    ]

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="safety_plan"
    )
    warning_signs = EncryptedTextField(blank=True)
    coping = EncryptedTextField(blank=True)
    distractions = EncryptedTextField(blank=True)
    helpers = EncryptedTextField(blank=True)
    professionals = EncryptedTextField(blank=True)
    surroundings = EncryptedTextField(blank=True)
    key_id = KeyIdField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = SafetyPlanQuerySet.as_manager()

    def __str__(self):
        return f"safety plan of user {self.owner_id}"  # never its text

    def sections(self):
        """[(heading, text)] in the plan's order."""
        return [(heading, getattr(self, name)) for name, heading, _ in self.SECTIONS]


class ImportJobQuerySet(models.QuerySet):
    def for_user(self, user):
        """The one way to reach import jobs: the signed-in user's own."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)

    def active(self):
        return self.filter(state__in=[ImportJob.State.WAITING, ImportJob.State.RUNNING])


class ImportJob(models.Model):
    """An import too large for one request, added by the job runner (journal/import_jobs.py).

    The uploaded file is kept encrypted like entries until the job ends, then removed; the row
    stays with counts and codes only, so the person can see what was added. `read` is how many
    entries of the file are done, committed with each batch, so a job taken over after its worker
    died goes on from there."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting to start"
        RUNNING = "running", "Adding entries"
        DONE = "done", "Finished"
        FAILED = "failed", "Stopped"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs")
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(max_length=10, choices=State, default=State.WAITING)
    upload = models.BinaryField(null=True, editable=False)  # a Fernet token of the file
    reader = models.CharField(max_length=20, default="mending")  # the file's format
    options = EncryptedTextField(blank=True)  # the reader's options, as JSON
    total = models.PositiveIntegerField(default=0)
    read = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    unlinked = models.PositiveIntegerField(default=0)
    shown = models.JSONField(default=list, blank=True)  # codes of the first entries added
    problems = EncryptedTextField(blank=True)  # why it stopped, one message a line (may quote titles)
    key_id = KeyIdField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(read__lte=models.F("total")), name="import_read_le_total"
            ),
            models.CheckConstraint(
                condition=models.Q(upload__isnull=True) | models.Q(state__in=["waiting", "running"]),
                name="import_upload_only_while_active",
            ),
        ]

    def __str__(self):
        return f"import {self.code} ({self.state})"

    def get_absolute_url(self):
        return f"/journal/import/{self.code}/"

    @property
    def finished(self):
        return self.state in (self.State.DONE, self.State.FAILED)
