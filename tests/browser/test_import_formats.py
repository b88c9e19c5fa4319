"""Issue 19 in a real browser on a phone: a Daylio CSV is checked, one of its moods is matched
differently in the preview, and the entries are then in the journal with those moods."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from journal.models import Entry

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
DAYLIO = Path(__file__).resolve().parent.parent / "fixtures" / "imports" / "daylio.csv"


def test_a_daylio_csv_is_previewed_its_moods_adjusted_and_its_entries_found(new_context, sign_in, person):
    context = new_context(viewport=PHONE)
    sign_in(context, person)
    page = context.new_page()
    page.goto("/journal/import/")

    page.get_by_label("Your file").set_input_files(
        {"name": "daylio_export.csv", "mimeType": "text/csv", "buffer": DAYLIO.read_bytes()}
    )
    page.get_by_role("button", name="Check this file").click()
    expect(page.get_by_role("heading", name="Ready to import from Daylio")).to_be_visible()
    expect(page.get_by_text("This file holds 4 entries, from 2 March 2024 to 5 March 2024.")).to_be_visible()
    assert not Entry.objects.exists()  # the preview saved nothing

    expect(page.get_by_label("“rad”")).to_have_value("5")
    expect(page.get_by_label("“missing him”")).to_have_value("")
    page.get_by_label("“missing him”").select_option(label="Low")
    page.get_by_label("“meh”").select_option(label="Good")
    # The file stays chosen (htmx swapped only the preview in), so one press imports it.
    page.get_by_role("button", name="Import 4 entries").click()
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
    expect(page.get_by_text("Added 4 entries to your journal from Daylio.")).to_be_visible()

    page.get_by_role("link", name="A good evening").click()
    expect(page.get_by_text("Laughed a lot.")).to_be_visible()
    page.goto("/journal/")
    expect(page.get_by_role("link", name="A good evening")).to_be_visible()
    moods = {entry.created_at.day: entry.mood for entry in Entry.objects.filter(owner=person)}
    assert moods == {5: 5, 4: 4, 3: 2, 2: 1}
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize(
    ("js", "debug"), [(True, False), (True, True), (False, False)], ids=["js", "js-make-run", "no-js"]
)
def test_a_refused_file_keeps_the_page_its_quick_exit_and_the_form(
    new_context, sign_in, person, settings, js, debug
):
    # Found as: on `make run` (DEBUG on), with JavaScript, a refused file replaced the whole page
    # by a bare fragment, without the header, quick exit or the form to try again.
    settings.DEBUG = debug
    context = new_context(viewport=PHONE, java_script_enabled=js, is_mobile=True, has_touch=True)
    sign_in(context, person)
    page = context.new_page()
    page.goto("/journal/import/")
    page.locator("input[type=file]").set_input_files(
        {"name": "bad.csv", "mimeType": "text/csv", "buffer": b"hello,world\n1,2\n"}
    )
    page.get_by_role("button", name="Check this file").click()
    expect(page.get_by_role("heading", name="Nothing was imported")).to_be_visible()
    expect(page.get_by_role("heading", name="Import entries", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Exit this page").first).to_be_visible()
    expect(page.get_by_label("Your file")).to_be_visible()
    assert page.title().startswith("Import entries")
