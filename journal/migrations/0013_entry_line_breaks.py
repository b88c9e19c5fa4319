"""Entries keep their line breaks: a new line typed within a paragraph is now a line break in the
HTML kept with the entry (journal.models.Entry.derive). This renders again the entries whose text
has such a line, in batches; the others are unchanged."""

import re

from django.db import migrations

from journal.models import excerpt_of
from recovery import markdown

LINE_IN_PARAGRAPH = re.compile(r"[^\n]\n[^\n]")
BATCH = 500


def render_again(apps, schema_editor):
    Entry = apps.get_model("journal", "Entry")
    last = 0
    while True:
        batch = list(Entry.objects.filter(pk__gt=last).order_by("pk").only("pk", "body")[:BATCH])
        if not batch:
            return
        for entry in batch:
            if LINE_IN_PARAGRAPH.search(entry.body or ""):
                body_html = markdown.render(entry.body, line_breaks=True).html
                Entry.objects.filter(pk=entry.pk).update(body_html=body_html, excerpt=excerpt_of(body_html))
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("journal", "0012_own_prompts")]

    operations = [migrations.RunPython(render_again, migrations.RunPython.noop)]
