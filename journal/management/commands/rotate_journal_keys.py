from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from journal.crypto import fernet, first_key_id
from journal.models import Counter, Draft, Entry, ImportJob, OwnPrompt, SafetyPlan

ENCRYPTED = {
    Entry: ("title", "body", "body_html", "excerpt"),
    Draft: ("title", "body"),
    Counter: ("name",),
    OwnPrompt: ("text", "template"),
    SafetyPlan: tuple(name for name, _, _ in SafetyPlan.SECTIONS),
    ImportJob: ("options", "problems"),  # and its file, below
}


class Command(BaseCommand):
    help = (
        "Re-encrypt every journal entry, draft, own prompt, counter, safety plan and waiting import with the first key in JOURNAL_KEYS, and rebuild "
        "the search index with it. Works in batches, each its own transaction; rows already done "
        "are skipped, so it is safe to interrupt and run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=200, help="rows per transaction (200)")

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        current = first_key_id()
        for model, fields in ENCRYPTED.items():
            self.rotate(model, fields, current, batch_size)
        self.stdout.write(self.style.SUCCESS(f"Every journal row is encrypted with key {current}."))

    def rotate(self, model, fields, current, batch_size):
        name = model._meta.verbose_name_plural
        stale = model._base_manager.exclude(key_id=current).order_by("pk")
        total, done, last = stale.count(), 0, 0
        while True:
            with transaction.atomic():
                try:
                    # Loading decrypts with whichever key fits; update() encrypts with the first.
                    batch = list(stale.filter(pk__gt=last).select_for_update()[:batch_size])
                except ImproperlyConfigured:
                    raise CommandError(
                        f"Some {name} after #{last} cannot be decrypted with any key in JOURNAL_KEYS. "
                        "Keep the old keys in the list, after the new one, until rotation has finished."
                    ) from None
                if not batch:
                    break
                for row in batch:
                    values = {field: getattr(row, field) for field in fields}
                    if model is ImportJob and row.upload is not None:
                        values["upload"] = fernet().rotate(bytes(row.upload))
                    model._base_manager.filter(pk=row.pk).update(key_id=current, **values)
                    if model is Entry:
                        row.reindex()
                last = batch[-1].pk
            done += len(batch)
            self.stdout.write(f"{name}: {done} of {total} re-encrypted")
