"""Autosave while the server cannot save (a database away for a few seconds): the text stays in
the editor, the status line says it is not saved yet, and it is saved once the server answers."""

import time

import pytest
from playwright.sync_api import expect

from journal.models import Draft

pytestmark = pytest.mark.browser

AUTOSAVE = "**/journal/drafts/save/"
WORDS = "Words the server could not take just yet."


@pytest.fixture
def page(new_context, sign_in, person):
    context = new_context()
    sign_in(context, person)
    return context.new_page()


class Unavailable:
    """Answers the autosave with 503, as the site does while its database is away, until lifted."""

    def __init__(self):
        self.down = True
        self.refused = 0

    def __call__(self, route):
        if self.down:
            self.refused += 1
            route.fulfill(
                status=503, content_type="text/html", headers={"Retry-After": "5"}, body="<p>Try again</p>"
            )
        else:
            route.fallback()


def forgive_htmx_errors(page, *starts):
    """htmx logs each refused request to the console; those were this test's own doing."""
    errors = page.context.guard.errors
    errors[:] = [e for e in errors if not (e.startswith(starts) and "/htmx-2.min.js" in e)]


def wait_for(page, check, seconds):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(100)


def test_autosave_meeting_a_503_keeps_the_text_retries_and_saves_once_the_server_answers(page, person):
    outage = Unavailable()
    page.route(AUTOSAVE, outage)
    page.goto("/journal/new/")
    page.fill("#id_body", WORDS)

    status = page.locator("#autosave-status")
    expect(status).to_have_text("Not saved yet — will try again", timeout=10_000)
    wait_for(page, lambda: outage.refused >= 3, 15)  # tried again, and again, without a keystroke
    expect(page.locator("#id_body")).to_have_value(WORDS)
    assert not Draft.objects.filter(owner=person).exists()

    outage.down = False
    expect(status).to_contain_text("Draft saved at", timeout=20_000)
    expect(page.locator("#id_body")).to_have_value(WORDS)
    assert Draft.objects.get(owner=person).body == WORDS
    forgive_htmx_errors(page, "Response Status Error Code 503 from /journal/drafts/save/")


def test_autosave_with_no_server_at_all_is_tried_again_too(page, person):
    refused = []

    def offline(route):
        if len(refused) < 2:
            refused.append(route.request.url)
            route.abort("connectionrefused")
        else:
            route.fallback()

    page.route(AUTOSAVE, offline)
    page.goto("/journal/new/")
    page.fill("#id_body", WORDS)
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at", timeout=20_000)
    assert len(refused) == 2
    assert Draft.objects.get(owner=person).body == WORDS
    forgive_htmx_errors(page, "htmx:sendError", "htmx:afterRequest")
