"""The export for a therapist on a 375 px phone: fill the form, get a PDF."""

import io
from datetime import datetime

import pypdf
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.journal_helpers import make_entry

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


def test_the_export_form_gives_a_pdf_on_a_phone(new_context, sign_in, person, steps):
    zone = timezone.get_current_timezone()
    make_entry(
        person,
        title="By the sea",
        body="The salt air helped.",
        mood=4,
        created_at=datetime(2026, 11, 3, 12, tzinfo=zone),
    )
    make_entry(
        person,
        title="A hard Sunday",
        body="Heavy.",
        mood=1,
        created_at=datetime(2026, 11, 15, 12, tzinfo=zone),
    )
    make_entry(person, title="Too early", body="Before.", created_at=datetime(2026, 10, 1, 12, tzinfo=zone))
    context = new_context(viewport=PHONE)
    sign_in(context, person)
    page = context.new_page()
    page.goto("/journal/")
    page.get_by_role("link", name="Export for a therapist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Export for a therapist")
    page.get_by_label("From").fill("2026-11-01")
    page.get_by_label("To", exact=True).fill("2026-11-29")
    page.get_by_label("Very low").check()
    page.get_by_label("Good", exact=True).check()
    page.get_by_label("Title on the first page").fill("For Thursday")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download PDF").click()
    download = info.value
    assert download.suggested_filename == "journal-2026-11-01-to-2026-11-29.pdf"
    reader = pypdf.PdfReader(io.BytesIO(download.path().read_bytes()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "For Thursday" in text and "By the sea" in text and "A hard Sunday" in text
    assert "Too early" not in text
    assert "Page 2" in text
    # The same choices as a page to print: no script error, nothing fetched from elsewhere.
    page.get_by_role("button", name="Open the print view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("For Thursday")
    exit_button = page.get_by_role("button", name="Exit this page")
    expect(exit_button).to_be_visible()
    assert page.title() == "journal-2026-11-01-to-2026-11-29"
    # Found as: the button sat in the middle of the title page and scrolled away; it stays at
    # the top right, in reach, wherever the reader is in the document.
    for scrolled in (0, 2000):
        page.mouse.wheel(0, scrolled)
        page.wait_for_timeout(100)
        box = exit_button.bounding_box()
        assert box["y"] < 60 and box["x"] + box["width"] > 300, box
