# Import through the real upload form: hostile files are refused whole, big ones fit one request.
import io
import json
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journal.models import Entry
from tests.journal_helpers import export_json, make_entry, zip_bytes

pytestmark = pytest.mark.django_db

PAGES = ["/journal/", "/journal/?q=river", "/journal/trash/", "/progress/", "/journal/export/"]


def upload(client, content, name="journal.zip"):
    return client.post("/journal/import/", {"archive": SimpleUploadedFile(name, content, "application/zip")})


def record(**overrides):
    data = {
        "code": str(uuid.uuid4()),
        "kind": "entry",
        "title": "Imported",
        "body": "By the river.",
        "mood": 3,
        "step": None,
        "prompt": None,
        "created_at": "2026-01-02T10:00:00+00:00",
        "deleted_at": None,
        "version": 1,
    }
    data.update(overrides)
    return data


def archive_of(*records):
    return zip_bytes({"entries.json": export_json(list(records))})


def assert_refused(response, *phrases):
    html = response.content.decode()
    assert response.status_code == 400, html[-2000:]
    for phrase in phrases:
        assert phrase in html, html[-2000:]
    assert not Entry.objects.exists()


# Dates


@pytest.mark.parametrize("field", ["created_at", "deleted_at"])
@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:00:00-14:00",
        "9999-12-31T23:59:59+00:00",
        "1969-12-31T23:59:59+00:00",
        "2026-01-02T10:00:00+99:00",
        "2026-13-45T10:00:00",
    ],
)
def test_an_entry_dated_out_of_range_is_refused_and_the_journal_still_opens(
    owner, owner_client, field, moment
):
    response = upload(owner_client, archive_of(record(title="Far away", **{field: moment})))
    assert_refused(response, "Entry 1 (“Far away”)", field.replace("_", " ").split()[0])
    assert "offset must be" not in response.content.decode()
    for page in PAGES:
        assert owner_client.get(page).status_code == 200, page


def test_an_entry_dated_after_tomorrow_is_refused(owner_client):
    later = (timezone.now() + timedelta(days=2)).isoformat()
    assert_refused(upload(owner_client, archive_of(record(), record(created_at=later))), "Entry 2")


def test_an_entry_from_today_and_the_trash_of_yesterday_are_kept(owner, owner_client):
    now = timezone.now()
    content = archive_of(record(created_at=now.isoformat(), deleted_at=(now - timedelta(days=1)).isoformat()))
    assert upload(owner_client, content).status_code == 200
    assert owner_client.get("/journal/trash/").status_code == 200
    assert Entry.objects.get(owner=owner).deleted_at is not None


# Fields checked like the editor checks them


def test_a_prompt_of_another_step_is_refused(owner_client, steps):
    # "loudest-feeling" is a prompt of acknowledge-feelings, not of reflect
    content = archive_of(record(title="Mixed", step="reflect", prompt="loudest-feeling"))
    assert_refused(upload(owner_client, content), "Entry 1 (“Mixed”)", "loudest-feeling", "Reflect")


def test_a_prompt_of_its_own_step_is_kept(owner, owner_client, steps):
    content = archive_of(record(step="reflect", prompt="needs-unmet"))
    assert upload(owner_client, content).status_code == 200
    assert Entry.objects.get(owner=owner).prompt == "needs-unmet"


@pytest.mark.parametrize(
    ("fields", "phrase"),
    [
        ({"version": 2**31}, "its version"),
        ({"version": 0}, "its version"),
        ({"version": 2.5}, "its version"),
        ({"mood": 3.0}, "its mood"),
        ({"mood": True}, "its mood"),
        ({"title": "\ud800"}, "its title"),
        ({"body": "a\udfffb"}, "its body"),
        ({"prompt": "x\x00"}, "its step or prompt"),
        ({"step": "re\ud800flect"}, "its step or prompt"),
        ({"kind": ["entry"]}, "its kind"),
        ({"title": {"a": [1, 2]}}, "its title is not text"),
    ],
)
def test_a_field_out_of_range_is_refused_in_plain_words(owner_client, steps, fields, phrase):
    assert_refused(upload(owner_client, archive_of(record(), record(**fields))), "Entry 2", phrase)


@pytest.mark.parametrize(
    "document",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"format": "mending-journal", "version": 1, "entries": [' + "[" * 100_000 + "]" * 100_000 + "]}",
        '{"format": "mending-journal", "version": 1, "exported_at": ' + "[" * 50_000 + "]" * 50_000 + "}",
        '{"format": "mending-journal", "version": 1, "entries": [{"title": '
        + "{" * 50_000
        + "}" * 50_000
        + "}]}",
    ],
)
def test_deeply_nested_json_is_a_clear_400(owner_client, document):
    assert_refused(upload(owner_client, zip_bytes({"entries.json": document})), "Nothing was imported")


# Size


def test_a_zip_bomb_is_refused_without_being_read(owner_client, monkeypatch):
    from journal import imports

    monkeypatch.setattr(imports, "MAX_JSON", 4 * 1024 * 1024)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("entries.json", b" " * 8 * 1024 * 1024)
    assert len(bomb.getvalue()) < 50_000
    assert_refused(upload(owner_client, bomb.getvalue()), "entries.json")


def test_a_zip_that_compresses_far_more_than_an_export_is_refused(owner_client):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("entries.json", export_json([record(body=" " * 99_000) for _ in range(30)]))
    assert_refused(upload(owner_client, bomb.getvalue()), "compressed")


def test_a_zip_whose_header_understates_the_size_is_refused(owner_client, monkeypatch):
    from journal import imports

    monkeypatch.setattr(imports, "MAX_JSON", 200_000)
    real = export_json([record(body="word " * 19_000) for _ in range(5)]).encode()
    assert len(real) > 400_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("entries.json", real)
    data = bytearray(buffer.getvalue())
    # Rewrite the uncompressed size in both headers to claim 1,000 bytes.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        data[at + offset : at + offset + 4] = (1000).to_bytes(4, "little")
    response = upload(owner_client, bytes(data))
    assert response.status_code == 400
    assert not Entry.objects.exists()


def test_too_many_entries_is_refused_with_the_limit(owner_client, monkeypatch):
    from journal import imports

    monkeypatch.setattr(imports, "MAX_ENTRIES", 3)
    assert_refused(upload(owner_client, archive_of(*[record() for _ in range(4)])), "more than 3 entries")


def test_too_much_text_is_refused_with_the_limit(owner_client, monkeypatch):
    from journal import imports

    monkeypatch.setattr(imports, "MAX_TEXT", 100)
    content = archive_of(record(body="x" * 60), record(body="y" * 60))
    assert_refused(upload(owner_client, content), "more than 100 characters of text")


def test_a_large_import_fits_one_request_and_the_limit_is_said(owner, owner_client, steps, monkeypatch):
    from journal import imports

    count = 1_000
    records = [
        record(
            title=f"Day {i}",
            body=f"Walked by the river, day {i}. *Felt* lighter.\n\nThe second paragraph of day {i}.",
            mood=i % 5 + 1,
            step="reflect" if i % 3 else None,
            prompt="needs-unmet" if i % 6 == 1 else None,
            created_at=(timezone.now() - timedelta(hours=i)).isoformat(),
        )
        for i in range(count)
    ]
    content = zip_bytes({"entries.json": export_json(records)})
    started = time.process_time()
    response = upload(owner_client, content)
    cpu = time.process_time() - started
    assert response.status_code == 200
    assert f"Added {count} entries" in response.content.decode()
    assert cpu < 15, f"{cpu:.1f} s of CPU for {count} entries"  # about 5 s on a busy 2-core machine
    assert Entry.objects.filter(owner=owner).count() == count
    page = owner_client.get("/journal/?q=day 567").context["page"]
    assert [entry.title for entry in page] == ["Day 567"]
    one = Entry.objects.get(pk=page[0].pk)
    assert one.body_html.startswith("<p>Walked") and one.excerpt.startswith("Walked by the river, day 567.")
    monkeypatch.setattr(imports, "MAX_ENTRIES", 5)
    too_many = archive_of(*[record() for _ in range(imports.MAX_ENTRIES + 1)])
    assert f"more than {imports.MAX_ENTRIES:,} entries" in upload(owner_client, too_many).content.decode()


# Codes


def test_a_code_of_someone_elses_entry_behaves_like_a_code_that_never_existed(owner, owner_client, stranger):
    theirs = make_entry(stranger, title="Private")
    unknown = uuid.uuid4()
    content = archive_of(record(code=str(theirs.code), title="A"), record(code=str(unknown), title="B"))
    response = upload(owner_client, content)
    assert response.status_code == 200
    mine = {entry.title: entry for entry in Entry.objects.filter(owner=owner)}
    a, b = mine["A"], mine["B"]
    assert a.code != theirs.code and b.code != unknown
    assert Entry.objects.get(pk=theirs.pk).title == "Private"
    # Importing the same file again finds both as already there, alike.
    again = upload(owner_client, content).content.decode()
    assert "2 entries were already here" in again
    assert Entry.objects.filter(owner=owner).count() == 2


# Upload size, checked before the body is read


def test_an_upload_over_the_limit_is_refused_before_any_of_it_is_read(owner, monkeypatch):
    from django.http import multipartparser

    from journal import imports

    def never(*args, **kwargs):
        raise AssertionError("the upload was read")

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    token = client.get("/journal/import/").context["csrf_token"]
    monkeypatch.setattr(imports, "MAX_REQUEST", 2_000)
    monkeypatch.setattr(multipartparser.MultiPartParser, "parse", never)
    content = zip_bytes({"entries.json": export_json([record()]), "padding.bin": b"\x00" * 5_000})
    response = client.post(
        "/journal/import/",
        {"csrfmiddlewaretoken": str(token), "archive": SimpleUploadedFile("j.zip", content)},
    )
    assert response.status_code == 400
    assert "an export is at most 50 MB" in response.content.decode()
    assert not Entry.objects.exists()


# Hostile values in every field

hostile_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["\x00", "\ud800", "a\udfffb", "x" * 100_001, "", " ", "<script>", "0001-01-01"]),
)
hostile_value = st.one_of(
    hostile_text,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-14:00", "2026-01-01T00:00:00+23:59"]),
)
FIELDS = ["code", "kind", "title", "body", "mood", "step", "prompt", "created_at", "deleted_at", "version"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_values_in_any_field_never_500_and_never_touch_anyone_else(
    owner_client, stranger, steps, data
):
    theirs = make_entry(stranger, title="Stranger's", body="Their words.")
    before = sorted(Entry.objects.filter(owner=stranger).values_list("code", "title", "body", "version"))
    codes = st.one_of(hostile_value, st.just(str(theirs.code)), st.uuids().map(str))
    records = []
    for _ in range(data.draw(st.integers(1, 3))):
        fields = data.draw(st.sets(st.sampled_from(FIELDS), max_size=4))
        item = record()
        for name in fields:
            item[name] = data.draw(codes if name == "code" else hostile_value)
        records.append(item)
    document = json.dumps({"format": "mending-journal", "version": 1, "entries": records})
    response = upload(owner_client, zip_bytes({"entries.json": document}))
    assert response.status_code in (200, 400)
    after = sorted(Entry.objects.filter(owner=stranger).values_list("code", "title", "body", "version"))
    assert after == before
    for page in ("/journal/", "/journal/trash/", "/journal/export/"):
        assert owner_client.get(page).status_code == 200


# Rows stored by the import before it checked dates


@pytest.mark.parametrize(("field", "year"), [("created_at", 0), ("created_at", 10000), ("deleted_at", 9999)])
def test_entries_stored_with_impossible_dates_are_repaired_by_the_migration(owner, owner_client, field, year):
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("journal.migrations.0004_repair_imported_dates")
    entry = make_entry(owner, title="Far away")
    stamp = {0: "0000-12-31 10:00:00", 10000: "10000-01-01 13:00:00", 9999: "9999-12-31 23:59:59"}[year]
    if connection.vendor == "postgresql":
        stamp = "0001-12-31 10:00:00+00 BC" if year == 0 else stamp + "+00"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE journal_entry SET {field} = %s WHERE id = %s", [stamp, entry.pk])
    owner_client.raise_request_exception = False
    assert any(owner_client.get(page).status_code == 500 for page in PAGES)  # as they were
    migration.repair(apps, None)
    for page in PAGES:
        assert owner_client.get(page).status_code == 200, page
    repaired = Entry.objects.get(pk=entry.pk)
    assert getattr(repaired, field) == repaired.updated_at


@pytest.mark.parametrize("count", [40_100, 65_536], ids=["plain", "zip64"])  # MAX_MEMBERS is 40,100
def test_a_zip_of_very_many_small_files_is_refused_before_its_directory_is_read(owner_client, count):
    # Noticed: zipfile keeps an object for every name in a zip's directory, before any limit; a
    # 50 MB zip of empty files lists about a million.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("entries.json", export_json([]))
        for n in range(count):
            archive.writestr(f"entries/{n}.md", "")
    for name in ("journal.zip", "notes.zip"):  # our own export, and a zip of Markdown files
        response = upload(owner_client, buffer.getvalue(), name=name)
        # The count its end record claims: said before zipfile read the directory.
        assert_refused(response, f"the zip holds {count + 1:,} files")


def test_a_date_with_an_offset_postgresql_does_not_take_is_imported_as_the_same_moment(owner, owner_client):
    # Found by the fuzz test on PostgreSQL: "+23:59" is a valid ISO 8601 offset that PostgreSQL
    # refuses ("time zone displacement out of range"), a 500 from the import.
    response = upload(owner_client, archive_of(record(created_at="2026-01-01T00:00:00+23:59")))
    assert response.status_code == 200
    stored = Entry.objects.get(owner=owner).created_at
    assert stored == datetime(2025, 12, 31, 0, 1, tzinfo=UTC)
