"""The journal editor in a real browser: htmx autosave and preview, and the 320 px layout."""

import threading

import pytest
from django.db.models.signals import post_save
from playwright.sync_api import expect

from journal.models import Draft, Entry
from tests.journal_helpers import make_entry

pytestmark = pytest.mark.browser


@pytest.fixture
def page(new_context, sign_in, person):
    context = new_context()
    sign_in(context, person)
    return context.new_page()


def test_typing_autosaves_a_draft_that_is_offered_back_with_a_live_preview(page, person, steps):
    page.goto("/journal/new/?step=reflect&prompt=needs-unmet")
    page.fill("#id_body", "Typed in a *real* browser.")
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at")
    assert Draft.objects.get(owner=person).body == "Typed in a *real* browser."

    page.goto("/journal/new/")  # as if the tab had been closed
    page.get_by_role("link", name="Continue writing").click()
    expect(page.locator("#id_body")).to_have_value("Typed in a *real* browser.")
    expect(page.locator("input[name=prompt]")).to_have_value("needs-unmet")

    page.click("button[name=preview]")
    expect(page.locator("#preview em")).to_have_text("real")
    expect(page).to_have_url(f"/journal/new/?draft={Draft.objects.get(owner=person).code}")


def test_saving_in_the_browser_uses_up_the_draft(page, person):
    page.goto("/journal/new/")
    page.fill("#id_body", "Saved from a real browser.")
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator(".messages")).to_contain_text("Your entry is saved.")
    assert Entry.objects.get(owner=person).body == "Saved from a real browser."
    assert not Draft.objects.for_user(person).pending().exists()


def test_words_typed_just_before_the_tab_closes_are_kept(page, person):
    page.goto("/journal/new/")
    page.fill("#id_body", "Last words before closing.")
    # The beacon leaves after the page is gone, out of Playwright's sight: the server says when.
    saved = threading.Event()
    post_save.connect(lambda **kwargs: saved.set(), sender=Draft, weak=False, dispatch_uid="beacon")
    try:
        page.close(run_before_unload=True)
        assert saved.wait(10), "no draft was saved after the tab closed"
    finally:
        post_save.disconnect(sender=Draft, dispatch_uid="beacon")

    later = page.context.new_page()
    later.goto("/journal/new/")
    later.get_by_role("link", name="Continue writing").click()
    expect(later.locator("#id_body")).to_have_value("Last words before closing.")
    assert Draft.objects.get(owner=person).body == "Last words before closing."


def test_journal_pages_fit_a_320_px_screen(page, person):
    entry = make_entry(person, body="A long line " * 50 + " https://example.org/" + "x" * 80)
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/journal/", "/journal/new/", f"/journal/{entry.code}/", f"/journal/{entry.code}/edit/"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, (path, width)


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_back_after_saving_brings_back_no_words_and_no_second_entry(new_context, sign_in, person, js):
    # Found as: Back after saving showed the editor with the entry's words put back by the
    # browser (kept in its history) but not its title; saving again added an untitled copy.
    context = new_context(java_script_enabled=js, viewport={"width": 375, "height": 812})
    sign_in(context, person)
    page = context.new_page()
    page.goto("/journal/new/")
    page.get_by_label("Title").fill("Dup test")
    page.get_by_label("Your entry").press_sequentially("Said once, by the sea.")
    page.get_by_role("button", name="Save entry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dup test")
    page.go_back()
    expect(page.get_by_label("Your entry")).to_have_value("")
    expect(page.get_by_label("Title")).to_have_value("")
    page.get_by_role("button", name="Save entry").click()
    assert Entry.objects.filter(owner=person).count() == 1
