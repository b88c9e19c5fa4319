"""The journal on paper: the document for a therapist (print view and PDF), one entry as PDF or
Markdown. Only the author gets any of it, never cached, under a name that gives nothing away."""

import io
import logging
import socket
import urllib.request
from datetime import datetime, timedelta

import pypdf
import pytest
import yaml
from django.db.models import TextField, Value
from django.utils import timezone

from journal import crypto, printing
from journal.models import Entry
from tests.journal_helpers import make_entry

pytestmark = pytest.mark.django_db


def at(day, hour=12):
    return datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=timezone.get_current_timezone())


def choices(**overrides):
    data = {"start": "2026-11-01", "end": "2026-11-29", "title": "For Thursday's session"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def pdf_text(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    return [page.extract_text() for page in reader.pages]


def no_store(response):
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    return directives == {"private", "no-store"}


@pytest.fixture
def journal(owner, steps):
    """A November with a step and a prompt, a check-in, a day outside the range."""
    return {
        "reflect": make_entry(
            owner,
            title="By the sea",
            body="The salt air helped.",
            step=steps["reflect"],
            prompt="needs-unmet",
            mood=4,
            created_at=at("2026-11-03"),
        ),
        "low": make_entry(
            owner, title="A hard Sunday", body="Heavy all day.", mood=1, created_at=at("2026-11-15")
        ),
        "checkin": make_entry(
            owner,
            title="Check-in",
            body="tired",
            kind=Entry.Kind.CHECKIN,
            mood=2,
            created_at=at("2026-11-20"),
        ),
        "october": make_entry(owner, title="Before", body="October words.", created_at=at("2026-10-30")),
    }


# Who may have it


@pytest.mark.parametrize(
    "path",
    [
        "/journal/export/therapist/",
        "/journal/print/",
        "/journal/export/therapist/pdf/",
        "/journal/export/moods.csv",
    ],
)
def test_a_visitor_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("suffix", ["download.pdf", "download.md"])
def test_stranger_gets_404_for_an_entry_download(journal, stranger_client, suffix):
    response = stranger_client.get(f"/journal/{journal['reflect'].code}/{suffix}")
    assert response.status_code == 404
    assert b"By the sea" not in response.content


def test_a_stranger_gets_none_of_the_owners_entries(journal, stranger, stranger_client):
    response = stranger_client.post("/journal/export/therapist/pdf/", choices())
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "No entries match these choices" in response.content.decode()
    page = stranger_client.get("/journal/print/?start=2026-11-01&end=2026-11-29&checkins=1").content.decode()
    assert "By the sea" not in page and "No entries match these choices." in page
    make_entry(stranger, title="Mine", created_at=at("2026-11-04"))
    text = "\n".join(pdf_text(stranger_client.post("/journal/export/therapist/pdf/", choices())))
    assert "Mine" in text and "By the sea" not in text and "A hard Sunday" not in text


def test_an_entry_in_the_trash_is_left_out(owner, owner_client, journal):
    journal["low"].deleted_at = timezone.now()
    journal["low"].save(update_fields=["deleted_at"])
    text = "\n".join(pdf_text(owner_client.post("/journal/export/therapist/pdf/", choices())))
    assert "By the sea" in text and "A hard Sunday" not in text


# The PDF


def test_pdf_has_title_page_entries_by_date_summary_and_page_numbers(owner_client, journal):
    response = owner_client.post("/journal/export/therapist/pdf/", choices(checkins="1"))
    assert no_store(response)
    assert response["Content-Disposition"] == 'attachment; filename="journal-2026-11-01-to-2026-11-29.pdf"'
    pages = pdf_text(response)
    assert "For Thursday's session" in pages[0] and "1 November 2026 to 29 November 2026" in pages[0]
    assert "Mending" not in "\n".join(pages)  # the site is named only when asked
    assert "Page" not in pages[0]  # the title page carries no number
    body = "\n".join(pages[1:-1])
    assert body.index("By the sea") < body.index("A hard Sunday") < body.index("tired")
    assert "often left unmet" in body  # the prompt
    assert "Mood: 4 of 5, good" in body and "Reflect" in body
    assert "October words" not in body
    assert "Mood summary" in pages[-1] and "Very low" in pages[-1]
    for number, page in enumerate(pages[1:], start=2):
        assert f"Page {number}" in page


def test_the_site_is_named_when_asked(owner_client, journal, settings):
    pages = pdf_text(owner_client.post("/journal/export/therapist/pdf/", choices(name_site="1")))
    assert f"Written with {settings.SITE_NAME}" in pages[0]


def test_check_ins_only_when_chosen(owner_client, journal):
    without = "\n".join(pdf_text(owner_client.post("/journal/export/therapist/pdf/", choices())))
    assert "tired" not in without and "By the sea" in without
    with_them = "\n".join(
        pdf_text(owner_client.post("/journal/export/therapist/pdf/", choices(checkins="1")))
    )
    assert "tired" in with_them


def test_steps_and_moods_filter_the_entries(owner_client, journal):
    by_step = "\n".join(
        pdf_text(owner_client.post("/journal/export/therapist/pdf/", choices(steps="reflect")))
    )
    assert "By the sea" in by_step and "A hard Sunday" not in by_step
    by_mood = owner_client.post(
        "/journal/export/therapist/pdf/", {**choices(checkins="1"), "moods": ["1", "2"]}
    )
    text = "\n".join(pdf_text(by_mood))
    assert "A hard Sunday" in text and "tired" in text and "By the sea" not in text


def test_date_range_includes_both_ends_in_local_days(owner, owner_client, settings):
    make_entry(owner, title="First morning", created_at=at("2026-11-01", 0))
    make_entry(owner, title="Last night", created_at=at("2026-11-29", 23))
    make_entry(owner, title="Next day", created_at=at("2026-11-30", 0))
    text = "\n".join(pdf_text(owner_client.post("/journal/export/therapist/pdf/", choices())))
    assert "First morning" in text and "Last night" in text and "Next day" not in text


def test_the_print_view_is_the_same_document(owner_client, journal):
    response = owner_client.get("/journal/print/?start=2026-11-01&end=2026-11-29&checkins=1")
    assert response.status_code == 200 and no_store(response)
    page = response.content.decode()
    assert 'href="/static/css/print.css"' in page
    assert "<title>journal-2026-11-01-to-2026-11-29</title>" in page
    assert "By the sea" in page and "tired" in page and "Before" not in page
    assert "Exit this page" in page and "Get help now" in page


def test_a_long_range_is_laid_out_in_parts_with_page_numbers_running_on(owner, owner_client, monkeypatch):
    monkeypatch.setattr(printing, "PART_SIZE", 3)
    for day in range(1, 8):
        make_entry(owner, title=f"Day {day}", body="words " * 30, created_at=at(f"2026-11-{day:02d}"))
    pages = pdf_text(owner_client.post("/journal/export/therapist/pdf/", choices()))
    text = "\n".join(pages)
    assert all(f"Day {day}" in text for day in range(1, 8))
    assert len(pages) >= 5  # title, three parts, summary
    for number, page in enumerate(pages[1:], start=2):
        assert f"Page {number}" in page


def test_too_many_entries_for_one_pdf_is_refused_kindly(owner, owner_client, monkeypatch):
    monkeypatch.setattr(printing, "MAX_PDF_ENTRIES", 2)
    for day in (2, 3, 4):
        make_entry(owner, created_at=at(f"2026-11-{day:02d}"))
    response = owner_client.post("/journal/export/therapist/pdf/", choices())
    assert response.status_code == 400
    assert "a PDF can hold up to 2 at a time" in response.content.decode()


# Bad input


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (choices(start="2026-11-29", end="2026-11-01"), "The first date is after the last one"),
        (choices(start="2026-02-30"), "Enter a real date, like 2026-11-01."),
        (choices(end="soon"), "Enter a real date, like 2026-11-01."),
        (choices(start=None), "Enter a date, like 2026-11-01."),
        (choices(steps="no-such-step"), "There is no step called"),
        (choices(moods="9"), "Choose moods from 1 (very low) to 5 (very good)."),
        (choices(title="x" * 201), "Keep the title to 200 characters or fewer."),
    ],
)
@pytest.mark.parametrize("path", ["/journal/export/therapist/pdf/", "/journal/print/"])
def test_bad_choices_answer_400_with_a_message(owner_client, path, data, message):
    response = owner_client.post(path, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert no_store(response)


def test_the_form_page_offers_the_range_of_the_journal(owner_client, journal):
    response = owner_client.get("/journal/export/therapist/")
    assert response.status_code == 200 and no_store(response)
    page = response.content.decode()
    start = max(
        timezone.localdate() - timedelta(days=printing.DEFAULT_DAYS - 1), datetime(2026, 10, 30).date()
    )
    assert f'value="{start:%Y-%m-%d}"' in page  # the last 30 days, or from the first entry's day
    assert "Download PDF" in page and "download them as CSV" in page


def test_the_journal_links_to_the_export_for_a_therapist(owner_client):
    assert 'href="/journal/export/therapist/"' in owner_client.get("/journal/").content.decode()


# Nothing leaves the machine, nothing reaches a log


def test_an_address_in_an_entry_is_never_fetched_nor_logged(owner, owner_client, monkeypatch, caplog):
    entry = make_entry(owner, title="Links", body="x", created_at=at("2026-11-05"))
    # As if the sanitiser ever let an image or a style through: the fetcher must still refuse it.
    outside = "https://tracker.example/pixel.png"
    html = f'<p>Look</p><img src="{outside}"><p style="background: url({outside}x)">x</p>'
    Entry.objects.filter(pk=entry.pk).update(body_html=Value(crypto.encrypt(html), output_field=TextField()))
    attempts = []
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", lambda self, *a, **k: attempts.append(a))
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: attempts.append(a))
    fetched = []
    real_fetch = printing._weasyprint()[1].fetch
    monkeypatch.setattr(
        printing._weasyprint()[1],
        "fetch",
        lambda self, url, headers=None: fetched.append(url) or real_fetch(self, url),
    )
    caplog.set_level(logging.DEBUG)
    text = "\n".join(pdf_text(owner_client.post("/journal/export/therapist/pdf/", choices())))
    assert "Look" in text
    assert attempts == []
    assert outside in fetched  # asked for, and refused by our fetcher
    assert any(url.endswith("/static/css/print.css") for url in fetched)
    assert "tracker.example" not in caplog.text


def test_the_pdf_uses_the_print_stylesheet(owner, owner_client, monkeypatch):
    # print.css puts the title page on a page of its own; without the stylesheet it would share one.
    make_entry(owner, title="Only one", created_at=at("2026-11-05"))
    pages = pdf_text(owner_client.post("/journal/export/therapist/pdf/", choices()))
    assert "Only one" not in pages[0]


# One entry


def test_one_entry_as_markdown_with_front_matter(owner_client, journal):
    response = owner_client.get(f"/journal/{journal['reflect'].code}/download.md")
    assert response.status_code == 200 and no_store(response)
    assert response["Content-Disposition"] == 'attachment; filename="journal-entry-2026-11-03.md"'
    _, front, body = response.content.decode().split("---\n", 2)
    meta = yaml.safe_load(front)
    assert (meta["mood"], meta["step"], meta["prompt"]) == (4, "reflect", "needs-unmet")
    assert meta["date"].startswith("2026-11-03") and "often left unmet" in meta["prompt_text"]
    assert body.strip() == "The salt air helped."


def test_one_entry_as_pdf(owner_client, journal):
    response = owner_client.get(f"/journal/{journal['reflect'].code}/download.pdf")
    assert no_store(response)
    assert response["Content-Disposition"] == 'attachment; filename="journal-entry-2026-11-03.pdf"'
    text = "\n".join(pdf_text(response))
    assert "By the sea" in text and "The salt air helped." in text and "often left unmet" in text
    assert "Page 1" in text


def test_the_entry_page_offers_both_downloads(owner_client, journal):
    page = owner_client.get(f"/journal/{journal['reflect'].code}/").content.decode()
    assert f'href="/journal/{journal["reflect"].code}/download.pdf"' in page
    assert f'href="/journal/{journal["reflect"].code}/download.md"' in page


def test_pdf_requests_stay_within_a_few_queries(owner_client, journal, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        owner_client.post("/journal/export/therapist/pdf/", choices(checkins="1"))


def test_the_range_is_never_in_the_past_of_a_stranger(owner, stranger, owner_client):
    # The first entry of the form's range is the signed-in user's, not anyone's.
    make_entry(stranger, created_at=timezone.now() - timedelta(days=400))
    make_entry(owner, created_at=timezone.now() - timedelta(days=3))
    page = owner_client.get("/journal/export/therapist/").content.decode()
    assert f'value="{(timezone.localdate() - timedelta(days=3)):%Y-%m-%d}"' in page


def test_an_entry_written_from_an_own_prompt_shows_that_prompt_in_print_and_markdown(owner, owner_client):
    from journal.models import OwnPrompt

    prompt = OwnPrompt.objects.create(owner=owner, text="What would I tell a friend?")
    entry = make_entry(owner, title="Kind words", own_prompt=prompt, created_at=at("2026-11-10"))
    page = owner_client.get("/journal/print/?start=2026-11-01&end=2026-11-29").content.decode()
    assert "Prompt: What would I tell a friend?" in page
    markdown = owner_client.get(f"/journal/{entry.code}/download.md").content.decode()
    assert "own_prompt_text: What would I tell a friend?" in markdown


def test_the_form_page_offers_the_last_30_days_of_a_long_journal(owner, owner_client):
    # Found as: with years of entries the form offered them all, and the first PDF was refused.
    make_entry(owner, created_at=timezone.now() - timedelta(days=700))
    page = owner_client.get("/journal/export/therapist/").content.decode()
    assert f'value="{(timezone.localdate() - timedelta(days=29)):%Y-%m-%d}"' in page
