# Gives back their journal to people locked out by an entry an import stored with an impossible date.
"""Before the import checked dates, it stored entries dated before 1970 or far in the future (year 0
or 10000 once a time zone was applied), and every page that read such a row failed. Their dates
become the moment they were imported (updated_at), which every page can show."""

from datetime import UTC, datetime, timedelta

from django.db import migrations
from django.db.models import F, Q
from django.utils import timezone

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


def repair(apps, schema_editor):
    Entry = apps.get_model("journal", "Entry")
    latest = timezone.now() + timedelta(days=1)
    # Compared and updated in the database: these rows cannot be read into Python.
    for name in ("created_at", "deleted_at"):
        broken = Q(**{f"{name}__lt": EARLIEST}) | Q(**{f"{name}__gt": latest})
        Entry.objects.filter(broken).update(**{name: F("updated_at")})


class Migration(migrations.Migration):
    dependencies = [("journal", "0003_entry_owner_step_prompt")]

    operations = [migrations.RunPython(repair, migrations.RunPython.noop)]
