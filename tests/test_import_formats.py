# Imports from the apps people leave (issue 19): Day One, Daylio, jrnl and Markdown, each read
# into our own entry records, checked like our own export, shown before anything is saved.
import io
import json
import logging
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journal import formats
from journal.models import Entry
from tests.journal_helpers import make_entry, zip_bytes

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "imports"
DAYLIO_HEADER = "full_date,date,weekday,time,mood,activities,note_title,note\n"


def fixture(name):
    return (FIXTURES / name).read_bytes()


def post(client, content, name, **fields):
    return client.post("/journal/import/", {"archive": SimpleUploadedFile(name, content), **fields})


def preview(client, content, name):
    response = post(client, content, name)
    assert response.status_code == 200, response.content.decode()[-3000:]
    assert "Nothing has been added yet" in response.content.decode()
    return response


def confirm(client, content, name, **fields):
    shown = preview(client, content, name).context
    if shown["moods"] is not None:  # what the selects send as they are shown
        for number, mood in enumerate(shown["moods"].mapping().values()):
            fields.setdefault(f"mood_{number}", "" if mood is None else str(mood))
    response = post(client, content, name, confirm="1", digest=shown["digest"], **fields)
    assert response.status_code == 200, response.content.decode()[-3000:]
    assert "Import finished" in response.content.decode()
    return response


def mine(owner):
    return {entry.created_at: entry for entry in Entry.objects.filter(owner=owner)}


def text_of(response):
    return re.sub(r"\s+", " ", response.content.decode())


def assert_refused(response, *phrases):
    html = text_of(response)
    assert response.status_code == 400, html[-3000:]
    for phrase in phrases:
        assert phrase in html, html[-3000:]
    assert not Entry.objects.exists()


# Each format, with dates and moods kept


def test_daylio_csv_imports_with_dates_moods_activities_and_plain_notes(owner, owner_client):
    confirm(owner_client, fixture("daylio.csv"), "daylio_export.csv")
    entries = mine(owner)
    assert len(entries) == 4
    evening = entries[datetime(2024, 3, 5, 21, 30, tzinfo=UTC)]
    assert (evening.title, evening.mood) == ("A good evening", 5)
    assert evening.body == "Dinner with Sam.\nLaughed a lot.\n\nActivities: friends, walk"
    assert entries[datetime(2024, 3, 4, 9, 15, tzinfo=UTC)].mood == 3
    photos = entries[datetime(2024, 3, 3, 20, 0, tzinfo=UTC)]
    assert photos.mood is None  # "missing him" is a mood the person named; no mood until they choose
    assert photos.body == "Looked at old photos & cried."
    assert entries[datetime(2024, 3, 2, 10, 0, tzinfo=UTC)].mood == 1


def test_dayone_zip_imports_text_tags_and_moment(owner, owner_client):
    confirm(owner_client, fixture("dayone.zip"), "Export.zip")
    entries = mine(owner)
    assert len(entries) == 2
    sunday = entries[datetime(2024, 1, 20, 22, 10, tzinfo=UTC)]
    assert sunday.body == "# Sunday\n\nWrote a **list** of what I miss.\n\nTags: grief, lists"
    assert "<strong>list</strong>" in sunday.body_html
    assert entries[datetime(2024, 1, 21, 8, 0, tzinfo=UTC)].body == "Slept better."


def test_dayone_json_on_its_own_imports_too(owner, owner_client):
    document = zipfile.ZipFile(io.BytesIO(fixture("dayone.zip"))).read("Journal.json")
    confirm(owner_client, document, "Journal.json")
    assert len(mine(owner)) == 2


def test_jrnl_json_imports_titles_bodies_tags_and_stars(owner, owner_client):
    confirm(owner_client, fixture("jrnl.json"), "journal.json")
    entries = mine(owner)
    first = entries[datetime(2024, 2, 10, 7, 45, tzinfo=UTC)]
    assert first.title == "First morning alone."
    assert first.body == "The flat is quiet. I made tea anyway.\n\nTags: @walk\nStarred in jrnl."
    assert entries[datetime(2024, 2, 11, 19, 2, tzinfo=UTC)].title == "Called Mum."


def test_markdown_zip_takes_dates_from_front_matter_or_the_file_name(owner, owner_client):
    confirm(owner_client, fixture("markdown.zip"), "vault.zip")
    entries = mine(owner)
    assert entries[datetime(2024, 4, 1, tzinfo=UTC)].body == "Went to the sea. Felt small in a good way."
    second = entries[datetime(2024, 4, 2, tzinfo=UTC)]
    assert (second.mood, second.body) == (4, "Second day by the sea.\n\nTags: sea, walk")
    letter = entries[datetime(2024, 4, 3, 21, 0, tzinfo=UTC)]
    assert (letter.title, letter.mood) == ("A letter I will not send", 2)


def test_one_markdown_file_imports(owner, owner_client):
    confirm(owner_client, fixture("letter.md"), "letter.md")
    assert [e.title for e in Entry.objects.filter(owner=owner)] == ["A letter I will not send"]


def test_our_own_markdown_export_keeps_its_codes_and_adds_nothing_twice(owner, owner_client):
    entry = make_entry(owner, title="Kept", body="Words.", mood=4)
    exported = zipfile.ZipFile(io.BytesIO(owner_client.get("/journal/export/").content))
    markdown = {n: exported.read(n) for n in exported.namelist() if n.startswith("entries/")}
    response = confirm(owner_client, zip_bytes(markdown), "entries.zip")
    assert "1 entry was already here" in text_of(response)
    assert Entry.objects.filter(owner=owner).count() == 1
    assert Entry.objects.get(owner=owner).code == entry.code


# Nothing twice, nothing before the confirm


@pytest.mark.parametrize(
    "name", ["daylio.csv", "dayone.zip", "jrnl.json", "markdown.zip", "letter.md"], ids=lambda n: n
)
def test_a_second_import_of_the_same_file_adds_nothing(owner, owner_client, name):
    confirm(owner_client, fixture(name), name)
    count = Entry.objects.filter(owner=owner).count()
    assert count >= 1
    again = confirm(owner_client, fixture(name), name)
    assert "Nothing new to add." in text_of(again)
    assert Entry.objects.filter(owner=owner).count() == count


def test_the_same_row_twice_in_one_file_is_two_entries(owner, owner_client):
    row = "2024-03-05,March 5,Tuesday,21:30,good,,,Same words.\n"
    confirm(owner_client, (DAYLIO_HEADER + row + row).encode(), "d.csv")
    assert Entry.objects.filter(owner=owner).count() == 2


@pytest.mark.parametrize(
    ("name", "count", "first", "last", "source"),
    [
        ("daylio.csv", 4, "2 March 2024", "5 March 2024", "Daylio"),
        ("dayone.zip", 2, "20 January 2024", "21 January 2024", "Day One"),
        ("jrnl.json", 2, "10 February 2024", "11 February 2024", "jrnl"),
        ("markdown.zip", 3, "1 April 2024", "3 April 2024", "Markdown files"),
    ],
)
def test_the_preview_says_what_the_file_holds_and_saves_nothing(
    owner_client, name, count, first, last, source
):
    html = text_of(preview(owner_client, fixture(name), name))
    assert f"Ready to import from {source}" in html
    assert f"This file holds {count} entries, from {first} to {last}." in html
    assert not Entry.objects.exists()


def test_a_confirm_with_another_file_shows_that_file_first(owner_client):
    digest = preview(owner_client, fixture("jrnl.json"), "a.json").context["digest"]
    response = post(owner_client, fixture("daylio.csv"), "b.csv", confirm="1", digest=digest)
    assert response.status_code == 200
    assert "Ready to import from Daylio" in text_of(response)
    assert not Entry.objects.exists()


def test_our_own_export_still_imports_in_one_step(owner, owner_client):
    make_entry(owner, title="Mine")
    exported = owner_client.get("/journal/export/").content
    Entry.objects.all().delete()
    response = post(owner_client, exported, "journal.zip")
    assert "Added 1 entry to your journal." in text_of(response)


# Daylio's moods, chosen in the preview


def test_daylio_preview_offers_a_choice_for_every_mood_in_the_file(owner_client):
    moods = preview(owner_client, fixture("daylio.csv"), "d.csv").context["moods"]
    assert moods.labels == ["rad", "meh", "missing him", "awful"]
    assert moods.mapping() == {"rad": 5, "meh": 3, "missing him": None, "awful": 1}


def test_daylio_mapping_adjusted_in_the_preview_changes_the_stored_moods(owner, owner_client):
    # rad stays 5, meh becomes 2, "missing him" becomes 1, awful becomes "no mood"
    confirm(owner_client, fixture("daylio.csv"), "d.csv", mood_0="5", mood_1="2", mood_2="1", mood_3="")
    moods = {e.created_at.day: e.mood for e in Entry.objects.filter(owner=owner)}
    assert moods == {5: 5, 4: 2, 3: 1, 2: None}


def test_a_mapping_to_a_mood_that_does_not_exist_is_a_400_and_saves_nothing(owner_client):
    digest = preview(owner_client, fixture("daylio.csv"), "d.csv").context["digest"]
    response = post(owner_client, fixture("daylio.csv"), "d.csv", confirm="1", digest=digest, mood_0="9")
    assert response.status_code == 400
    assert "Select a valid choice" in text_of(response)
    assert not Entry.objects.exists()


# Hostile files: each refused whole, in plain words that say where


@pytest.mark.parametrize(
    ("content", "name", "phrases"),
    [
        (
            DAYLIO_HEADER + "2024-13-45,x,x,21:30,good,,,Hi\n",
            "d.csv",
            ["line 2", "is not a date like 2024-03-05"],
        ),
        (DAYLIO_HEADER + "2024-03-05,x,x,25:99,good,,,Hi\n", "d.csv", ["line 2", "is not a time"]),
        (
            DAYLIO_HEADER + "1969-12-31,x,x,10:00,good,,,Hi\n",
            "d.csv",
            ["line 2", "not between 1 January 1970"],
        ),
        (
            DAYLIO_HEADER + "2999-01-01,x,x,10:00,good,,,Hi\n",
            "d.csv",
            ["line 2", "not between 1 January 1970"],
        ),
        (DAYLIO_HEADER + "2024-03-05,x,x,10:00,good,,,Hi\x00there\n", "d.csv", ["line 2", "NUL"]),
        (
            DAYLIO_HEADER + "2024-03-05,x,x,10:00,good,,," + "w" * 100_001 + "\n",
            "d.csv",
            ["line 2", "its body"],
        ),
        (
            "full_date,date,weekday,activities,note\n2024-03-05,x,x,,Hi\n",
            "d.csv",
            ["no column “time” or “mood”"],
        ),
        (
            '{"entries": [{"date": "2024-02-10", "time": "07:45", "body": "a\\ud800b"}]}',
            "j.json",
            ["Entry 1", "lone surrogate"],
        ),
        (
            '{"entries": [{"date": 20240210, "body": "x"}]}',
            "j.json",
            ["Entry 1", "are not a date and a time"],
        ),
        (
            '{"entries": [{"date": "2024-02-10", "title": ["x"]}]}',
            "j.json",
            ["Entry 1", "its title is not text"],
        ),
        ('{"entries": [' + "[" * 50_000 + "]" * 50_000 + "]}", "j.json", ["cannot be read as jrnl"]),
        ('{"entries": [{"date": "2024-02-10"', "j.json", ["cannot be read as jrnl", "not valid JSON"]),
        ('{"tags": {}}', "j.json", ["has no list of “entries”"]),
        ("---\ntitle: x\n---\nNo date here.", "thoughts.md", ["file “thoughts.md”", "it has no date"]),
        ("---\ndate: 2024-04-01\nmood: furious\n---\nx", "n.md", ["file “n.md”", "its mood “furious”"]),
        ("---\ndate: [\n---\nx", "n.md", ["file “n.md”", "not valid YAML"]),
        ("---\ndate: 2024-04-01\nx", "n.md", ["file “n.md”", "no closing ---"]),
        ("---\ndate: " + "[" * 5_000 + "\n---\nx", "n.md", ["file “n.md”", "front matter"]),
        ("just some words", "notes.bin", ["could not tell what kind of file"]),
    ],
    ids=lambda v: v[:40] if isinstance(v, str) else None,
)
def test_a_hostile_file_is_refused_with_a_message_naming_where(owner_client, content, name, phrases):
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    assert_refused(post(owner_client, data, name), *phrases)


def test_a_daylio_file_that_is_not_utf8_is_refused(owner_client):
    content = (DAYLIO_HEADER + "2024-03-05,x,x,10:00,good,,,Caf\xe9\n").encode("latin-1")
    assert_refused(post(owner_client, content, "d.csv"), "not UTF-8 text (near line 2)")


def test_a_markdown_file_that_is_not_utf8_names_the_file(owner_client):
    content = zip_bytes({"Daily/2024-04-01.md": "Caf\xe9".encode("latin-1")})
    assert_refused(post(owner_client, content, "v.zip"), "file “Daily/2024-04-01.md”", "not UTF-8")


def test_a_dayone_zip_bomb_is_refused_without_being_read(owner_client):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Journal.json", b'{"entries": []' + b" " * 8 * 1024 * 1024 + b"}")
    assert len(bomb.getvalue()) < 50_000
    assert_refused(post(owner_client, bomb.getvalue(), "Export.zip"), "compressed far more")


def test_a_markdown_zip_is_bounded_per_file_and_in_total(owner_client, monkeypatch):
    from journal import imports

    big = zip_bytes({"2024-04-01.md": "x" * 2_000_000})
    assert_refused(post(owner_client, big, "v.zip"), "file “2024-04-01.md”", "longer than an entry can be")
    monkeypatch.setattr(imports, "MAX_JSON", 3_000)
    many = zip_bytes({f"2024-04-{day:02}.md": "y" * 500 for day in range(1, 10)})
    assert_refused(post(owner_client, many, "v.zip"), "Markdown files hold over")


def test_too_many_entries_in_any_format_is_refused_with_the_limit(owner_client, monkeypatch):
    from journal import imports

    monkeypatch.setattr(imports, "MAX_ENTRIES", 3)
    assert_refused(post(owner_client, fixture("daylio.csv"), "d.csv"), "more than 3 entries")
    rows = "".join(f"2024-03-0{d},x,x,10:00,good,,,x\n" for d in range(1, 5))
    assert_refused(post(owner_client, (DAYLIO_HEADER + rows).encode(), "d.csv"), "more than 3 entries")


def test_too_many_daylio_moods_is_refused(owner_client):
    rows = "".join(f"2024-03-05,x,x,10:{m:02},mood {m},,,x\n" for m in range(40))
    assert_refused(
        post(owner_client, (DAYLIO_HEADER + rows).encode(), "d.csv"), "more than 30 different moods"
    )


def test_an_upload_over_the_size_limit_is_refused(owner_client, monkeypatch):
    from journal import imports

    monkeypatch.setattr(imports, "MAX_UPLOAD", 100)
    assert_refused(post(owner_client, fixture("daylio.csv"), "d.csv"), "at most")


# Privacy


def test_a_stranger_never_sees_anothers_import(owner, owner_client, stranger_client):
    response = confirm(owner_client, fixture("jrnl.json"), "j.json")
    (entry,) = [e for e in Entry.objects.filter(owner=owner) if e.title == "Called Mum."]
    assert f"/journal/{entry.code}/" in response.content.decode()
    assert stranger_client.get(f"/journal/{entry.code}/").status_code == 404
    assert "Called Mum" not in stranger_client.get("/journal/").content.decode()
    # The stranger confirming with the owner's digest only gets their own preview
    digest = preview(owner_client, fixture("jrnl.json"), "j.json").context["digest"]
    seen = post(stranger_client, fixture("jrnl.json"), "j.json", confirm="1", digest=digest)
    assert "Ready to import" in text_of(seen)
    assert Entry.objects.exclude(owner=owner).count() == 0


def test_the_same_file_imported_by_two_people_gives_each_their_own_entries(
    owner, stranger, owner_client, stranger_client
):
    confirm(owner_client, fixture("daylio.csv"), "d.csv")
    confirm(stranger_client, fixture("daylio.csv"), "d.csv")
    theirs = set(Entry.objects.filter(owner=stranger).values_list("code", flat=True))
    ours = set(Entry.objects.filter(owner=owner).values_list("code", flat=True))
    assert len(theirs) == len(ours) == 4 and not theirs & ours


def test_no_journal_text_in_logs_or_in_the_preview_form(owner_client, caplog):
    caplog.set_level(logging.DEBUG)
    response = preview(owner_client, fixture("daylio.csv"), "d.csv")
    confirm(owner_client, fixture("daylio.csv"), "d.csv")
    assert "Dinner with Sam" not in caplog.text and "Laughed" not in caplog.text
    hidden = re.findall(r'<input type="hidden"[^>]*>', response.content.decode())
    assert all("Dinner" not in field for field in hidden)


def test_the_preview_asks_for_no_file_path_in_its_address(owner_client):
    response = preview(owner_client, fixture("jrnl.json"), "j.json")
    assert 'action="/journal/import/"' in response.content.decode()


# Detection


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("daylio.csv", "daylio"),
        ("dayone.zip", "dayone"),
        ("jrnl.json", "jrnl"),
        ("markdown.zip", "markdown"),
        ("letter.md", "markdown"),
    ],
)
def test_detect_names_the_format_from_the_contents(name, kind):
    assert formats.detect(SimpleUploadedFile("upload", fixture(name))) == kind


# Hostile values in every field of every reader

hostile = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["\x00", "\ud800", "", " ", "<br>", "2024-02-30", "0001-01-01", "9999-12-31", "25:61"]),
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _json_file(kind, fields):
    if kind == "dayone":
        item = {
            "uuid": "8A1B2C3D4E5F60718293A4B5C6D7E8F9",
            "creationDate": "2024-01-20T22:10:00Z",
            "text": "x",
        }
        return json.dumps({"entries": [{**item, **fields}]}), "Journal.json"
    item = {"date": "2024-02-10", "time": "07:45", "title": "t", "body": "b"}
    return json.dumps({"entries": [{**item, **fields}]}), "j.json"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_values_in_any_reader_field_never_500(owner_client, data):
    kind = data.draw(st.sampled_from(["dayone", "jrnl", "daylio", "markdown"]))
    if kind == "daylio":
        cells = [data.draw(st.text(max_size=20).filter(lambda t: "\r" not in t)) for _ in range(8)]
        buffer = io.StringIO()
        import csv

        csv.writer(buffer).writerow(cells)
        content, name = DAYLIO_HEADER + buffer.getvalue(), "d.csv"
    elif kind == "markdown":
        front = {
            key: data.draw(hostile)
            for key in data.draw(
                st.sets(st.sampled_from(["date", "created", "mood", "title", "tags", "code", "kind"]))
            )
        }
        try:
            import yaml

            content = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\nwords\n"
        except Exception:  # a value YAML cannot write (a lone surrogate)
            content = "---\ndate: 2024-04-01\n---\nwords\n"
        name = "2024-04-01.md"
    else:
        keys = (
            ["creationDate", "timeZone", "text", "tags", "uuid", "starred"]
            if kind == "dayone"
            else ["date", "time", "title", "body", "tags", "starred"]
        )
        fields = {key: data.draw(hostile) for key in data.draw(st.sets(st.sampled_from(keys), max_size=3))}
        content, name = _json_file(kind, fields)
    response = post(owner_client, content.encode("utf-8", "surrogatepass"), name)
    assert response.status_code in (200, 400)
    if response.status_code == 200 and "digest" in response.context:
        confirmed = post(
            owner_client,
            content.encode("utf-8", "surrogatepass"),
            name,
            confirm="1",
            digest=response.context["digest"],
        )
        assert confirmed.status_code == 200
    assert owner_client.get("/journal/").status_code == 200


def test_the_preview_of_a_file_imported_before_says_its_entries_are_already_here(owner_client):
    # Found as: a second import of the same Daylio file offered "Import 4 entries" and only
    # afterwards said nothing was added.
    assert (
        "already in your journal"
        not in preview(owner_client, fixture("daylio.csv"), "d.csv").content.decode()
    )
    confirm(owner_client, fixture("daylio.csv"), "d.csv")
    again = preview(owner_client, fixture("daylio.csv"), "d.csv").content.decode()
    assert "All of them are already in your journal: importing this file again adds nothing." in again
    assert 'name="confirm"' not in again  # no button promising entries that would not be added


def test_a_file_of_one_day_says_that_day_once(owner_client):
    page = preview(owner_client, fixture("letter.md"), "letter.md").content.decode()
    assert " to " not in page.split("This file holds")[1].split(".")[0]


def test_the_import_button_counts_only_the_entries_that_would_be_added(owner_client):
    confirm(owner_client, fixture("daylio.csv"), "d.csv")
    one_more = fixture("daylio.csv") + b"2024-03-06,March 6,Wednesday,20:00,good,,,One more evening.\n"
    page = preview(owner_client, one_more, "d.csv").content.decode()
    assert "4 of them are already in your journal" in page
    assert ">Import 1 new entry</button>" in page
