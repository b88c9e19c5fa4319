from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from journal.models import TRASH_DAYS, Draft, Entry

BATCH = 500
MARKER_DAYS = 1  # a saved draft's marker only has to outlive autosaves still on their way


class Command(BaseCommand):
    help = f"Delete for good the journal entries that have been in the trash {TRASH_DAYS} days or more."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=TRASH_DAYS, help=f"days in the trash ({TRASH_DAYS})")
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args, days, dry_run, **options):
        if days < 0:
            raise CommandError("--days cannot be negative.")
        now = timezone.now()
        expired = Entry.objects.filter(deleted_at__lt=now - timedelta(days=days)).order_by("pk")
        if dry_run:
            self.stdout.write(f"{expired.count()} entries would be deleted.")
            return
        deleted = 0
        while pks := list(expired.values_list("pk", flat=True)[:BATCH]):
            with transaction.atomic():
                # only("pk"): deleting needs no text, so nothing is decrypted.
                Entry.objects.filter(pk__in=pks).only("pk").delete()
            deleted += len(pks)
        with transaction.atomic():
            markers, _ = Draft.objects.filter(used_at__lt=now - timedelta(days=MARKER_DAYS)).delete()
        self.stdout.write(f"Deleted {deleted} entries from the trash and {markers} saved-draft markers.")
