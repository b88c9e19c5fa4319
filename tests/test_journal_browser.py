"""The journal editor in a real browser: htmx autosave and preview, and the 320 px layout."""

import os
import time

import pytest
from django.test import Client

from journal.models import Draft, Entry
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.journal_helpers import make_entry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(live_server, owner, monkeypatch):
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    client = Client()
    client.force_login(owner)
    with playwright_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except playwright_api.Error as exc:
            reason = f"no Chromium to run at {CHROMIUM}: {exc.message.splitlines()[0]}"
            if os.environ.get("REQUIRE_BROWSER") == "1":
                pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
            pytest.skip(reason)
        context = browser.new_context()
        context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
        )
        page = context.new_page()
        page.csp_errors = []
        page.on(
            "console",
            lambda m: page.csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
        )
        yield page
        browser.close()


def wait_for(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_typing_autosaves_a_draft_that_is_offered_back_with_a_live_preview(page, live_server, owner, steps):
    page.goto(f"{live_server.url}/journal/new/?step=reflect&prompt=needs-unmet")
    page.fill("#id_body", "Typed in a *real* browser.")
    page.wait_for_selector("#autosave-status:has-text('Draft saved at')", timeout=10_000)
    assert Draft.objects.get(owner=owner).body == "Typed in a *real* browser."

    page.goto(f"{live_server.url}/journal/new/")  # as if the tab had been closed
    page.click("text=Continue writing")
    assert page.input_value("#id_body") == "Typed in a *real* browser."
    assert page.input_value("input[name=prompt]") == "needs-unmet"

    page.click("button[name=preview]")
    page.wait_for_selector("#preview em:has-text('real')")
    assert page.url.endswith(f"/journal/new/?draft={Draft.objects.get(owner=owner).code}")
    assert page.csp_errors == []


def test_saving_in_the_browser_uses_up_the_draft(page, live_server, owner):
    page.goto(f"{live_server.url}/journal/new/")
    page.fill("#id_body", "Saved from a real browser.")
    page.click("text=Save entry")
    page.wait_for_url(f"{live_server.url}/journal/*/", timeout=5_000)
    assert Entry.objects.get(owner=owner).body == "Saved from a real browser."
    assert not Draft.objects.for_user(owner).pending().exists()


def test_words_typed_just_before_the_tab_closes_are_kept(page, live_server, owner):
    page.goto(f"{live_server.url}/journal/new/")
    page.fill("#id_body", "Last words before closing.")
    page.close(run_before_unload=True)
    assert wait_for(lambda: Draft.objects.filter(owner=owner).exists())
    assert Draft.objects.get(owner=owner).body == "Last words before closing."


def test_journal_pages_fit_a_320_px_screen(page, live_server, owner):
    entry = make_entry(owner, body="A long line " * 50 + " https://example.org/" + "x" * 80)
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/journal/", "/journal/new/", f"/journal/{entry.code}/", f"/journal/{entry.code}/edit/"):
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, (path, width)
    assert page.csp_errors == []
