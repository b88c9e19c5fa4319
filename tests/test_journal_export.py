import io
import json
import zipfile
from datetime import timedelta

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from journal.models import Entry
from recovery.models import ExerciseTick
from tests.journal_helpers import export_json, make_entry, zip_bytes

pytestmark = pytest.mark.django_db


def upload(client, content, name="journal.zip"):
    return client.post("/journal/import/", {"archive": SimpleUploadedFile(name, content, "application/zip")})


def exported(client):
    response = client.get("/journal/export/")
    return response, zipfile.ZipFile(io.BytesIO(response.content))


def record(**overrides):
    data = {
        "code": "2f1d7a52-8f4e-4c43-9a43-6f0c4f2f7a11",
        "kind": "entry",
        "title": "Imported",
        "body": "From the old phone.",
        "mood": 3,
        "step": None,
        "prompt": None,
        "created_at": "2026-01-02T10:00:00+00:00",
        "deleted_at": None,
        "version": 1,
    }
    data.update(overrides)
    return data


def test_export_is_a_zip_with_one_markdown_file_per_entry_and_entries_json(owner, owner_client, steps):
    make_entry(
        owner, title="By the sea", body="Salt *air*.", step=steps["reflect"], prompt="needs-unmet", mood=4
    )
    make_entry(owner, title="Second", body="More.")
    response, archive = exported(owner_client)
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="journal-')
    assert response["Cache-Control"] == "private, no-store"
    markdown_files = [n for n in archive.namelist() if n.endswith(".md")]
    assert len(markdown_files) == 2
    sea = archive.read(next(n for n in markdown_files if "by-the-sea" in n)).decode()
    _, front, body = sea.split("---\n", 2)
    meta = yaml.safe_load(front)
    assert (meta["step"], meta["prompt"], meta["mood"], meta["title"]) == (
        "reflect",
        "needs-unmet",
        4,
        "By the sea",
    )
    assert meta["date"] and "often left unmet" in meta["prompt_text"]
    assert body.strip() == "Salt *air*."
    document = json.loads(archive.read("entries.json"))
    assert document["format"] == "mending-journal"
    assert {e["title"] for e in document["entries"]} == {"By the sea", "Second"}


def test_export_includes_check_ins_and_the_trash(owner, owner_client):
    make_entry(owner, title="Check-in", body="", kind=Entry.Kind.CHECKIN, mood=2)
    binned = make_entry(owner, title="Binned")
    owner_client.post(f"/journal/{binned.code}/delete/")
    _, archive = exported(owner_client)
    entries = json.loads(archive.read("entries.json"))["entries"]
    assert {e["kind"] for e in entries} == {"checkin", "entry"}
    assert any(name.startswith("trash/") and "binned" in name for name in archive.namelist())


def test_account_download_adds_progress(owner, owner_client, steps):

    owner_client.post("/steps/reflect/complete/")
    ExerciseTick.objects.create(user=owner, step=steps["reflect"], exercise="timeline")
    response = owner_client.get("/accounts/download/")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    progress = json.loads(archive.read("progress.json"))
    assert progress["steps"][0]["step"] == "reflect" and progress["steps"][0]["status"] == "completed"
    assert progress["exercises"][0]["exercise"] == "timeline"
    assert "progress.json" not in exported(owner_client)[1].namelist()


def test_export_then_import_round_trips_and_skips_what_is_already_there(owner, owner_client, steps):
    make_entry(owner, title="One", body="first", step=steps["reflect"], prompt="needs-unmet", mood=2)
    make_entry(owner, title="Two", body="second")
    content = exported(owner_client)[0].content

    again = upload(owner_client, content)
    assert again.status_code == 200
    assert (
        "Nothing new to add." in again.content.decode()
        and "2 entries were already here" in again.content.decode()
    )
    assert Entry.objects.filter(owner=owner).count() == 2

    Entry.objects.get(owner=owner, step__isnull=True).delete()  # "Two"
    response = upload(owner_client, content)
    html = response.content.decode()
    assert "Added 1 entry to your journal." in html and "1 entry was already here" in html
    restored = Entry.objects.get(owner=owner, step__isnull=True)
    assert (restored.title, restored.body) == ("Two", "second")
    assert "Two" in owner_client.get("/journal/?q=second").content.decode()


def test_import_into_another_account_keeps_everything_under_new_codes(
    owner, owner_client, stranger, stranger_client, steps
):
    make_entry(owner, title="Mine", body="text", step=steps["reflect"], prompt="needs-unmet")
    content = exported(owner_client)[0].content
    response = upload(stranger_client, content)
    copy = Entry.objects.get(owner=stranger)
    original = Entry.objects.get(owner=owner)
    assert response.status_code == 200
    assert (copy.title, copy.prompt) == ("Mine", "needs-unmet")
    assert copy.code != original.code


def test_import_keeps_dates_mood_and_trash(owner, owner_client):
    gone = (timezone.now() - timedelta(days=2)).isoformat()
    content = zip_bytes({"entries.json": export_json([record(deleted_at=gone)])})
    upload(owner_client, content)
    entry = Entry.objects.get(owner=owner)
    assert entry.created_at.year == 2026 and entry.created_at.month == 1
    assert entry.mood == 3 and entry.deleted_at is not None


def test_import_of_an_entry_with_a_step_that_no_longer_exists_keeps_it_without_the_step(
    owner, owner_client, steps
):
    content = zip_bytes({"entries.json": export_json([record(step="gone-step", prompt="old")])})
    response = upload(owner_client, content)
    entry = Entry.objects.get(owner=owner)
    assert response.status_code == 200
    assert "kept without a step" in response.content.decode()
    assert (entry.step, entry.prompt) == (None, "")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a zip", "This file is not a zip file"),
        (zip_bytes({"notes.txt": "hello"}), "it has no entries.json inside"),
        (zip_bytes({"entries.json": b"\xff\xfe broken"}), "entries.json is not valid UTF-8 text"),
        (zip_bytes({"entries.json": "{not json"}), "entries.json is not valid JSON"),
        (zip_bytes({"entries.json": json.dumps({"entries": []})}), "does not say &quot;format&quot;"),
        (
            zip_bytes({"entries.json": export_json([record(mood=9)])}),
            "its mood 9 is not a whole number from 1 to 5",
        ),
        (zip_bytes({"entries.json": export_json([record(body="a\x00b")])}), "contains a NUL character"),
        (zip_bytes({"entries.json": export_json([record(body="x" * 100_001)])}), "the limit is 100,000"),
        (zip_bytes({"entries.json": export_json([record(code="nope")])}), "is not a UUID"),
    ],
)
def test_bad_import_is_refused_with_a_clear_message_and_imports_nothing(owner_client, content, message):
    response = upload(owner_client, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Entry.objects.exists()


def test_one_bad_entry_means_none_are_imported(owner_client):
    good, bad = record(), record(code="0f1d7a52-8f4e-4c43-9a43-6f0c4f2f7a11", mood=0)
    response = upload(owner_client, zip_bytes({"entries.json": export_json([good, bad])}))
    assert response.status_code == 400
    assert "Entry 2 (“Imported”): its mood 0" in response.content.decode()
    assert not Entry.objects.exists()


def test_import_without_a_file_says_so(owner_client):
    response = owner_client.post("/journal/import/", {})
    assert response.status_code == 400
    assert "Choose the zip file to import." in response.content.decode()


def test_import_checks_the_csrf_token(owner):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    content = zip_bytes({"entries.json": export_json([record()])})
    response = upload(client, content)
    assert response.status_code == 403
    assert not Entry.objects.exists()


def test_a_large_import_stays_in_memory_and_never_touches_the_disk(owner, owner_client, monkeypatch):
    from django.core.files import uploadedfile

    def no_temporary_files(*args, **kwargs):
        raise AssertionError("the upload was written to a temporary file")

    monkeypatch.setattr(uploadedfile.TemporaryUploadedFile, "__init__", no_temporary_files)
    content = zip_bytes({"entries.json": export_json([record()]), "padding.bin": b"\x00" * 3_000_000})
    response = upload(owner_client, content)
    assert response.status_code == 200
    assert Entry.objects.filter(owner=owner).count() == 1
