import html
import uuid
from datetime import timedelta

import bleach
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


def excerpt_of(body_html):
    """A short plain-text opening of an entry, for the list (kept encrypted like the body)."""
    text = html.unescape(bleach.clean(body_html, tags=set(), strip=True))
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

    def days_since(self, moment):
        """{local date: average mood or None} for each day from `moment` on with an entry."""
        return dict(self.moods_per_day(moment))

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
            # The dashboard's moods per day (days_since) read from the index alone.
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
            self.body_html = markdown.render(self.body or "").html
            self.excerpt = excerpt_of(self.body_html)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "title", "body", "body_html", "excerpt", "key_id"}
        with transaction.atomic():
            super().save(*args, **kwargs)
            if text_changed:
                self.reindex()

    def reindex(self):
        """Replace this entry's search tokens with ones made from its current text."""
        SearchToken.objects.filter(entry=self).delete()
        tokens = search.index_tokens(self.owner_id, self.title, self.body)
        SearchToken.objects.bulk_create(
            [SearchToken(entry=self, owner_id=self.owner_id, token=t) for t in sorted(tokens)],
            batch_size=500,
        )

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
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.CASCADE, related_name="drafts")
    step = models.ForeignKey(
        "recovery.Step", null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts"
    )
    prompt = models.CharField(max_length=100, blank=True)
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
        ]

    def __str__(self):
        return f"draft {self.code}"

    @property
    def summary(self):
        """A few words to recognise the draft by."""
        text = self.title or " ".join(self.body.split())
        return text if len(text) <= 80 else text[:80].rsplit(" ", 1)[0] + "…"
