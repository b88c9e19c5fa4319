"""Small builders for the journal tests."""

import io
import json
import zipfile
from datetime import timedelta

from django.db import connection
from django.db.models import TextField, Value
from django.utils import timezone

from journal import crypto, search
from journal.models import Entry, SearchToken


def make_entry(owner, title="A quiet evening", body="I walked by the river and felt lighter.", **fields):
    return Entry.objects.create(owner=owner, title=title, body=body, **fields)


def bulk_entries(owner, count, title="Bulk entry", body="Some words about the day.", index=False, **fields):
    """`count` entries in a few queries. Every row shares one pre-encrypted title and body, set by
    an UPDATE of raw tokens, so building thousands does not encrypt thousands of times. With
    index=True their search tokens are bulk-created too."""
    start = timezone.now() - timedelta(minutes=count)
    Entry.objects.bulk_create(
        [Entry(owner=owner, created_at=start + timedelta(minutes=i), **fields) for i in range(count)],
        batch_size=1000,
    )
    rows = Entry.objects.filter(owner=owner, title="")
    pks = list(rows.values_list("pk", flat=True))
    rows.update(
        title=Value(crypto.encrypt(title), output_field=TextField()),
        body=Value(crypto.encrypt(body), output_field=TextField()),
        excerpt=Value(crypto.encrypt(body), output_field=TextField()),
        body_html=Value(crypto.encrypt(f"<p>{body}</p>"), output_field=TextField()),
    )
    if index:
        tokens = sorted(search.index_tokens(owner.pk, title, body))
        SearchToken.objects.bulk_create(
            [SearchToken(entry_id=pk, owner=owner, token=t) for pk in pks for t in tokens],
            batch_size=5000,
        )


def raw_row(table, pk):
    """A row as the database holds it, read past the model (what a stolen dump would show)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def entry_data(**overrides):
    data = {"title": "", "body": "Today I noticed I can breathe again.", "mood": "", "step": "", "prompt": ""}
    data.update(overrides)
    return data


def zip_bytes(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def export_json(entries):
    return json.dumps({"format": "mending-journal", "version": 1, "entries": entries})
