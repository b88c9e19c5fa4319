"""Quick exit as people meet it: typing never sets it off, three bare Shift presses do, it works
without JavaScript, and it leaves nothing of the journal behind in the browser."""

import random
import re

import pytest
from playwright.sync_api import expect

from tests.browser.keyboard import pause, press_with_shift, type_like_a_person

pytestmark = pytest.mark.browser

EXIT_URL = "https://weather.example/today"  # what the `site` fixture sets QUICK_EXIT_URL to
NEUTRAL_PAGE = "<!doctype html><title>Weather</title><h1>Today's weather</h1><p>Sunny spells.</p>"
PASSWORD = "Calm Harbour at dusk 7!"  # two capitals and a shifted sign

TITLE = "A Long Day: Rain, Then Sun"
PARAGRAPH = (
    'Today I Called Mum. She said: "You\'re Doing Fine!" and I Believed Her (Mostly). '
    "Next Week: Ask Jo About The Trip? Maybe @ The Cafe... No, The Park. 100% Okay!"
)


@pytest.fixture
def rng():
    return random.Random(20240607)


@pytest.fixture
def context(new_context):
    context = new_context()
    context.guard.fulfil[EXIT_URL] = NEUTRAL_PAGE
    context.exits = []
    context.on("request", lambda r: context.exits.append(r.url) if r.url.endswith("/exit/") else None)
    return context


@pytest.fixture
def writer(context, sign_in, person):
    sign_in(context, person)
    page = context.new_page()
    page.goto("/journal/new/")
    page.wait_for_load_state()  # site.js, deferred, listens for the keys
    return page


def assert_still_here(page, path):
    expect(page).to_have_url(re.compile(f"^[^?]*{re.escape(path)}$"))
    assert not page.context.exits, f"quick exit fired: {page.context.exits}"
    assert page.context.guard.fulfilled == []


def shift_three_times(page, rng):
    for _ in range(3):
        pause(page, rng, 200, 600)
        page.keyboard.press("Shift")


# 1. Typing never exits; three bare Shift presses do.


def test_writing_an_entry_full_of_capitals_stays_on_the_page(writer, rng):
    writer.locator("#id_title").click()
    type_like_a_person(writer, TITLE, rng)
    pause(writer, rng)
    writer.keyboard.press("Tab")
    type_like_a_person(writer, PARAGRAPH, rng)
    pause(writer, rng)
    press_with_shift(writer, "Tab", rng)  # back to the title
    expect(writer.locator("#id_title")).to_be_focused()
    writer.keyboard.press("End")  # Tab selected the whole title
    type_like_a_person(writer, " (Draft)", rng)
    writer.keyboard.press("Tab")
    type_like_a_person(writer, "\nLast Line.", rng)

    assert_still_here(writer, "/journal/new/")
    expect(writer.locator("#id_title")).to_have_value(TITLE + " (Draft)")
    expect(writer.locator("#id_body")).to_have_value(PARAGRAPH + "\nLast Line.")


def test_a_check_in_note_with_capitals_stays_on_the_page(context, sign_in, person, rng):
    sign_in(context, person)
    page = context.new_page()
    page.goto("/progress/")
    page.wait_for_load_state()
    page.get_by_label("Okay", exact=True).check()
    page.locator("#id_note").click()
    type_like_a_person(page, "Slept Badly. Walked With Ana; Felt Better!", rng)
    assert_still_here(page, "/progress/")
    page.get_by_role("button", name="Save check-in").click()
    expect(page.locator(".messages")).to_contain_text("Thank you for checking in.")


def test_signing_in_with_capitals_in_the_password_stays_on_the_page(context, make_user, rng):
    user = make_user("robin.lee@example.com", password=PASSWORD)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.wait_for_load_state()
    page.get_by_label("Email").click()
    type_like_a_person(page, user.email, rng)
    page.get_by_label("Password", exact=True).click()
    type_like_a_person(page, PASSWORD, rng)
    assert_still_here(page, "/accounts/login/")
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_three_bare_shift_presses_in_the_middle_of_writing_exit(writer, rng):
    writer.locator("#id_body").click()
    type_like_a_person(writer, "Someone Is Coming", rng)
    with writer.expect_request(lambda r: r.method == "POST" and r.url.endswith("/exit/")):
        shift_three_times(writer, rng)
    expect(writer).to_have_url(EXIT_URL)


def test_a_key_between_shift_presses_starts_the_count_again(writer, rng):
    body = writer.locator("#id_body")
    body.click()
    for _ in range(2):
        pause(writer, rng, 200, 400)
        writer.keyboard.press("Shift")
    type_like_a_person(writer, "x", rng)
    for _ in range(2):
        pause(writer, rng, 200, 400)
        writer.keyboard.press("Shift")
    assert_still_here(writer, "/journal/new/")
    pause(writer, rng, 200, 400)
    writer.keyboard.press("Shift")  # the third bare press since the "x"
    expect(writer).to_have_url(EXIT_URL)


def test_shift_presses_while_composing_with_an_input_method_do_not_count(writer):
    # Playwright cannot drive an input method; these are the events one sends while composing.
    writer.locator("#id_body").click()
    writer.evaluate(
        """() => {
        const body = document.querySelector("#id_body");
        const send = (type, init) => body.dispatchEvent(new KeyboardEvent(type, {bubbles: true, ...init}));
        body.dispatchEvent(new CompositionEvent("compositionstart", {bubbles: true, data: ""}));
        for (let i = 0; i < 3; i++) {
            send("keydown", {key: "Shift", code: "ShiftLeft", shiftKey: true, isComposing: true});
            send("keyup", {key: "Shift", code: "ShiftLeft", isComposing: true});
        }
        body.dispatchEvent(new CompositionEvent("compositionend", {bubbles: true, data: "にほん"}));
    }"""
    )
    writer.wait_for_timeout(500)
    assert_still_here(writer, "/journal/new/")


# 2. Without JavaScript the button still leaves, under the site's own Content-Security-Policy.


def test_exit_button_without_javascript_leaves_the_site_and_signs_out(new_context, sign_in, person):
    context = new_context(java_script_enabled=False)
    context.guard.fulfil[EXIT_URL] = NEUTRAL_PAGE
    sign_in(context, person)
    page = context.new_page()
    page.goto("/journal/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your journal")

    page.get_by_role("button", name="Exit this page").click()
    expect(page).to_have_url(EXIT_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Today's weather")

    page.go_back()  # the page left, asked for afresh: no longer signed in
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/journal/$"))
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


# 3. Nothing of the journal stays in the browser's storage after signing out or leaving.

SECRET_TITLE = "Lighthouse letters"
SECRET_BODY = "The marmalade jar he never opened."

STORED = """
async () => {
  const kept = [];
  for (const store of [sessionStorage, localStorage]) {
    for (let i = 0; i < store.length; i++) kept.push(store.key(i) + "=" + store.getItem(store.key(i)));
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      kept.push(request.url + " " + (await response.text()));
    }
  }
  return kept.join("\\n");
}
"""


def read_the_journal_with_htmx(page, person):
    from tests.journal_helpers import make_entry

    entry = make_entry(person, title=SECRET_TITLE, body=SECRET_BODY)
    make_entry(person, title="Another evening", body="Tea and a film.")
    page.goto("/journal/")
    page.wait_for_load_state()
    page.get_by_label("Search your entries").fill("marmalade")
    page.get_by_role("button", name="Show entries").click()  # htmx swaps the list, pushes the URL
    expect(page).to_have_url(re.compile(r"/journal/\?.*q=marmalade"))
    expect(page.locator("#entry-list")).to_contain_text("1 matching entry")
    page.get_by_label("Search your entries").fill("")
    page.get_by_role("button", name="Show entries").click()  # and again: the search page is left
    expect(page.locator("#entry-list")).to_contain_text("2 entries")
    page.get_by_role("link", name=SECRET_TITLE).click()
    expect(page).to_have_url(f"/journal/{entry.code}/")


def as_an_older_version_left_it(page):
    """Journal text in every store, as a browser that used the site before may still hold it."""
    page.evaluate(
        """async (text) => {
        sessionStorage.setItem("htmx-history-cache", JSON.stringify([{url: "/journal/", content: text}]));
        localStorage.setItem("kept", text);
        const cache = await caches.open("pages");
        await cache.put("/journal/kept", new Response(text));
    }""",
        f"{SECRET_TITLE}: {SECRET_BODY}",
    )


def assert_nothing_kept(page):
    kept = page.evaluate(STORED)
    for words in ("Lighthouse", "marmalade", "Another evening", "Tea and a film"):
        assert words not in kept, f"{words!r} is still in the browser's storage: {kept[:500]}"


def test_signing_out_leaves_no_journal_text_in_the_browser(new_context, sign_in, person):
    context = new_context()
    sign_in(context, person)
    page = context.new_page()
    read_the_journal_with_htmx(page, person)
    page.go_back()  # htmx's own history: the list as it was
    expect(page.locator("#entry-list")).to_contain_text("2 entries")
    as_an_older_version_left_it(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert_nothing_kept(page)


def test_quick_exit_leaves_no_journal_text_in_the_browser(context, sign_in, person, rng):
    sign_in(context, person)
    page = context.new_page()
    page.goto("/steps/")
    read_the_journal_with_htmx(page, person)
    as_an_older_version_left_it(page)
    shift_three_times(page, rng)
    expect(page).to_have_url(EXIT_URL)

    while "weather.example" in page.url or "/journal/" in page.url:
        page.go_back()  # back through history to the first page of ours left in it
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert_nothing_kept(page)


# 4. What was being written goes with the exit and is offered back, once, at the next sign-in.


def test_writing_in_progress_is_kept_as_a_draft_when_leaving(context, writer, person, rng):
    from journal.models import Draft

    writer.locator("#id_title").click()
    type_like_a_person(writer, "Before The Door Opened", rng)
    writer.keyboard.press("Tab")
    type_like_a_person(writer, "I Heard Keys. These Last Words Were Never Autosaved", rng)
    with writer.expect_request(lambda r: r.method == "POST" and r.url.endswith("/exit/")):
        shift_three_times(writer, rng)
    expect(writer).to_have_url(EXIT_URL)

    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password", exact=True).fill(person.raw_password)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto("/journal/new/")
    offers = page.get_by_role("link", name="Continue writing")
    expect(offers).to_have_count(1)
    offers.click()
    expect(page.locator("#id_title")).to_have_value("Before The Door Opened")
    expect(page.locator("#id_body")).to_have_value("I Heard Keys. These Last Words Were Never Autosaved")
    assert Draft.objects.for_user(person).pending().count() == 1


# 5. Back after leaving shows no search words.


def test_back_after_quick_exit_shows_no_search_words(context, sign_in, person, rng):
    sign_in(context, person)
    page = context.new_page()
    read_the_journal_with_htmx(page, person)  # the list was searched for "marmalade" on the way
    page.go_back()
    page.go_back()
    expect(page).to_have_url(re.compile(r"/journal/\?.*q=marmalade"))
    page.get_by_role("link", name=SECRET_TITLE).click()
    shift_three_times(page, rng)
    expect(page).to_have_url(EXIT_URL)

    page.go_back()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert "marmalade" not in page.url
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/journal/$"))
    expect(page.locator("body")).not_to_contain_text("marmalade")
