"""What people do on the site, done in a real browser, each checked by what the person sees.

Journeys 1, 2 and 4 run twice: with JavaScript (htmx swaps, autosave) and without it (issue 7's
journey 7), where every form must still post and redirect.
"""

import io
import json
import re
import zipfile

import pytest
from playwright.sync_api import expect

from recovery.content import library
from tests.browser.keyboard import named, tab_to, with_id
from tests.journal_helpers import make_entry

pytestmark = pytest.mark.browser

PASSWORD = "a long calm password 1"
EXIT_URL = "https://weather.example/today"
NEUTRAL_PAGE = "<!doctype html><title>Weather</title><h1>Today's weather</h1><p>Sunny spells.</p>"
SEARCH_URL = "https://search.example/"
js_modes = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])


def heading(page):
    return page.get_by_role("heading", level=1)


def core(n):
    return library().core[n]


def exercises_cell(page, step):
    """The "Exercises done" cell of a step's row on the dashboard."""
    row = page.locator("tr").filter(has=page.get_by_role("rowheader", name=step.title))
    return row.locator("td").nth(3)


# 1. A visitor ticks an exercise, signs up, verifies the email and finds the tick kept.


@js_modes
def test_visitor_ticks_an_exercise_then_signs_up_and_keeps_it(new_context, mailoutbox, js):
    page = new_context(java_script_enabled=js).new_page()
    first = core(0)

    page.goto("/")
    page.get_by_role("link", name="See all the steps").click()
    expect(heading(page)).to_have_text("The steps")
    page.locator(".step-list").first.get_by_role("link", name=first.title).click()
    expect(heading(page)).to_have_text(first.title)

    toggles = page.locator("button.exercise__toggle")
    expect(toggles).to_have_count(len(first.exercises))
    expect(toggles.first).to_have_attribute("aria-pressed", "false")
    toggles.first.click()
    expect(toggles.first).to_have_attribute("aria-pressed", "true")
    expect(toggles.first.locator(".tick-box")).to_have_text("✓")
    expect(toggles.nth(1)).to_have_attribute("aria-pressed", "false")

    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill("new.reader@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign up").click()
    expect(heading(page)).to_have_text("Check your email")

    assert len(mailoutbox) == 1, [m.subject for m in mailoutbox]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mailoutbox[0].body)
    assert link, mailoutbox[0].body
    page.goto(link.group(0))
    page.locator("main").get_by_role("button", name="Yes, confirm it").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto(first.get_absolute_url())
    expect(toggles.first).to_have_attribute("aria-pressed", "true")
    expect(toggles.nth(1)).to_have_attribute("aria-pressed", "false")
    page.get_by_role("link", name="Progress").click()
    expect(exercises_cell(page, first)).to_have_text(f"1 of {len(first.exercises)}")


# 1b. Not only the first: three people sign up one after another, each verifies and signs in.


def test_three_people_sign_up_in_a_row_and_each_can_write(new_context, mailoutbox):
    for n, email in enumerate(["first.person@example.com", "second.person@example.com", "third@example.com"]):
        page = new_context().new_page()
        page.goto("/accounts/signup/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Password (again)").fill(PASSWORD)
        page.locator("main").get_by_role("button", name="Sign up").click()
        expect(heading(page)).to_have_text("Check your email")
        assert len(mailoutbox) == n + 1, [m.subject for m in mailoutbox]
        link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mailoutbox[-1].body)
        page.goto(link.group(0))
        page.locator("main").get_by_role("button", name="Yes, confirm it").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.goto("/journal/new/")
        page.get_by_label("Title").fill(f"Entry of person {n}")
        page.locator("textarea[name=body]").fill("Written after signing up.")
        page.locator("main").get_by_role("button", name="Save entry").click()
        expect(heading(page)).to_have_text(f"Entry of person {n}")
        page.goto("/journal/")
        for other in range(3):
            expect(page.get_by_text(f"Entry of person {other}")).to_have_count(1 if other == n else 0)
        page.context.close()


# 2. Writing from a step's prompt: prompt above the editor, autosave, reload, save, answered.


@js_modes
def test_user_writes_an_entry_from_a_prompt(new_context, sign_in, person, js):
    context = new_context(java_script_enabled=js)
    sign_in(context, person)
    page = context.new_page()
    step = core(0)
    prompt = step.prompts[0]
    title, body = "The loudest one", "Anger, mostly. I feel it in my jaw when I wake up."

    page.goto(step.get_absolute_url())
    page.get_by_role("link", name=re.compile(rf"^Write about this\W+{re.escape(prompt.text)}$")).click()
    expect(page).to_have_url(re.compile(rf"/journal/new/\?step={step.slug}&prompt={prompt.id}$"))
    quote = page.locator(".journal-prompt blockquote")
    expect(quote).to_have_text(prompt.text)
    editor = page.get_by_label("Your entry")
    assert quote.bounding_box()["y"] < editor.bounding_box()["y"], "the prompt stands above the editor"

    page.get_by_label("Title").fill(title)
    editor.press_sequentially(body)
    if js:
        # Typing pauses; the draft is saved and the page says so.
        expect(page.locator("#autosave-status")).to_have_text(
            re.compile(r"Draft saved at \d{1,2}:\d{2}"), timeout=8_000
        )
        page.reload()
        offered = page.locator(".journal-drafts")
        expect(offered).to_contain_text(title)
        offered.get_by_role("link", name="Continue writing").click()
        expect(page.get_by_label("Title")).to_have_value(title)
        expect(editor).to_have_value(body)
        expect(quote).to_have_text(prompt.text)
    else:
        # Without JavaScript, Preview posts the whole form and keeps the text.
        page.get_by_role("button", name="Preview").click()
        expect(page.locator("#preview")).to_contain_text(body)
        expect(editor).to_have_value(body)
        expect(quote).to_have_text(prompt.text)

    page.get_by_role("button", name="Save entry").click()
    expect(page.locator(".messages")).to_contain_text("Your entry is saved.")
    expect(heading(page)).to_have_text(title)
    expect(page.locator(".journal-entry blockquote")).to_have_text(prompt.text)

    page.get_by_role("link", name="Journal", exact=True).click()
    cards = page.locator(".entry-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text(title)
    expect(cards.first).to_contain_text(step.title)

    page.goto(step.get_absolute_url())
    answered = page.locator(".prompt").filter(has_text=prompt.text).locator(".answered")
    expect(answered).to_contain_text("Answered")
    expect(page.locator(".answered")).to_have_count(1)


# 3. Two tabs edit one entry: the second save shows both texts and overwrites nothing.


def test_second_tab_saving_an_older_version_sees_the_conflict_page(new_context, sign_in, person):
    entry = make_entry(person, title="Tuesday", body="What I first wrote.")
    context = new_context()
    sign_in(context, person)
    first, second = context.new_page(), context.new_page()
    for tab in (first, second):
        tab.goto(f"/journal/{entry.code}/edit/")
        expect(tab.get_by_label("Your entry")).to_have_value("What I first wrote.")

    first.get_by_label("Your entry").fill("Written in the first tab.")
    first.get_by_role("button", name="Save changes").click()
    expect(first.locator(".messages")).to_contain_text("Your changes are saved.")

    second.get_by_label("Your entry").fill("Written in the second tab.")
    with second.expect_response(lambda r: r.request.method == "POST" and "/edit/" in r.url) as answer:
        second.get_by_role("button", name="Save changes").click()
    assert answer.value.status == 409
    expect(heading(second)).to_have_text("This entry changed in another tab")
    expect(second.get_by_role("alert")).to_contain_text("Nothing has been overwritten.")
    expect(second.get_by_label("Text", exact=True)).to_have_value("Written in the second tab.")
    expect(second.get_by_label("Saved text")).to_have_text("Written in the first tab.")

    second.get_by_role("button", name="Save my version").click()
    expect(second.locator(".messages")).to_contain_text("Your changes are saved.")
    expect(second.locator(".entry-body")).to_have_text("Written in the second tab.")


# 4. Marking steps complete moves the progress bar; check-ins draw the mood chart.


@js_modes
def test_completing_steps_and_checking_in_change_the_dashboard(new_context, sign_in, person, js):
    context = new_context(java_script_enabled=js)
    sign_in(context, person)
    page = context.new_page()
    total = len(library().core)
    bar = page.locator("progress#core-progress")

    page.goto("/progress/")
    expect(bar).to_have_attribute("value", "0")
    expect(page.get_by_text(f"0 of {total} core steps completed")).to_be_visible()
    expect(page.locator(".mood-chart")).to_have_count(0)
    expect(page.get_by_text("No moods yet.")).to_be_visible()

    for n in (0, 1):
        page.goto(core(n).get_absolute_url())
        page.get_by_role("button", name="Mark this step complete").click()
        expect(page.locator("#step-status")).to_contain_text("Completed")
        expect(page.get_by_role("button", name="Revisit this step")).to_be_visible()
        if not js:
            expect(page.locator(".messages")).to_contain_text(f"Marked “{core(n).title}” complete")

    # Going back to a step is not a setback: it still counts.
    page.get_by_role("button", name="Revisit this step").click()
    expect(page.locator("#step-status")).to_contain_text("Revisiting")

    page.get_by_role("link", name="Progress").click()
    expect(bar).to_have_attribute("value", "2")
    expect(page.get_by_text(f"2 of {total} core steps completed")).to_be_visible()

    page.get_by_label("Good", exact=True).check()
    page.get_by_role("button", name="Save check-in").click()
    expect(page.locator(".messages")).to_contain_text("Thank you for checking in.")
    page.get_by_label("Very low", exact=True).check()
    page.get_by_role("button", name="Save check-in").click()
    expect(page.locator(".messages")).to_contain_text("Thank you for checking in.")
    # One day of moods: no lonely dot on a 90-day axis, a kind word and the day's average instead.
    expect(page.locator(".mood-chart")).to_have_count(0)
    expect(
        page.get_by_text("Your chart appears after 3 days with a mood: you have 1 so far.")
    ).to_be_visible()
    expect(page.locator(".mood-table")).to_contain_text("2.5")


# 5. Quick exit: the page is replaced, Back does not come back, and the session is over.


OVERLAY_WATCH = """
document.addEventListener("DOMContentLoaded", () => {
  const overlay = document.querySelector("[data-quick-exit-overlay]");
  if (!overlay) return;
  new MutationObserver(() => {
    if (!overlay.hidden) {
      const box = overlay.getBoundingClientRect();
      window.overlayShown({title: document.title, covers: box.width >= innerWidth && box.height >= innerHeight});
    }
  }).observe(overlay, {attributes: true});
});
"""


def exit_context(new_context, sign_in, person, site):
    context = new_context()
    context.guard.fulfil[EXIT_URL] = NEUTRAL_PAGE
    context.guard.fulfil[SEARCH_URL] = (
        f'<!doctype html><title>Search</title><h1>Results</h1><a href="{site}/journal/">Your journal</a>'
    )
    context.overlays = []
    context.expose_binding("overlayShown", lambda source, state: context.overlays.append(state))
    context.add_init_script(OVERLAY_WATCH)
    sign_in(context, person)
    return context


def assert_left_and_signed_out(context, page):
    expect(page).to_have_url(EXIT_URL)
    expect(heading(page)).to_have_text("Today's weather")
    assert context.overlays, "the blank overlay covered the page before leaving"
    assert context.overlays[0] == {"title": "Weather", "covers": True}
    assert EXIT_URL in context.guard.fulfilled

    page.go_back()
    expect(page).to_have_url(SEARCH_URL)  # not the journal page that was left

    later = context.new_page()
    later.goto("/journal/")
    expect(later).to_have_url(re.compile(r"/accounts/login/\?next=/journal/$"))
    expect(later.get_by_role("link", name="Sign in", exact=True)).to_be_visible()


@pytest.mark.parametrize("how", ["button", "shift-three-times"])
def test_quick_exit_replaces_the_page_and_signs_out(new_context, sign_in, person, site, how):
    context = exit_context(new_context, sign_in, person, site)
    page = context.new_page()
    page.goto(SEARCH_URL)
    page.get_by_role("link", name="Your journal").click()
    expect(heading(page)).to_have_text("Your journal")
    page.wait_for_load_state()  # site.js, deferred, listens for the Shift key

    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/exit/")):
        if how == "button":
            page.get_by_role("button", name="Exit this page").click()
        else:
            for _ in range(3):
                page.keyboard.press("Shift")
    page.wait_for_url(EXIT_URL)
    assert_left_and_signed_out(context, page)


def test_back_after_quick_exit_from_deep_in_the_site_shows_nothing_private(
    new_context, sign_in, person, site
):
    """location.replace takes only the current page out of history: pages read before it stay
    there (GOV.UK's pattern has the same limit). Back then shows an earlier page afresh, signed
    out, never the page that was left."""
    context = exit_context(new_context, sign_in, person, site)
    page = context.new_page()
    page.goto("/progress/")
    page.goto("/journal/")
    page.get_by_role("button", name="Exit this page").click()
    page.wait_for_url(EXIT_URL)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/progress/$"))
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()


# 6. Export downloads the entries; deleting the account signs out and the log-in then fails.


def log_in(page, email, password):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("On a shared device").check()
    page.locator("main").get_by_role("button", name="Sign in").click()


def download(page, link_name):
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name, exact=True).click()
    path = info.value.path()
    return info.value.suggested_filename, zipfile.ZipFile(io.BytesIO(path.read_bytes()))


def test_export_then_delete_the_account(new_context, person):
    make_entry(person, title="First night", body="I could not sleep.")
    make_entry(person, title="A better day", body="I went for a long walk.")
    page = new_context().new_page()
    log_in(page, person.email, PASSWORD)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.get_by_role("link", name="Journal", exact=True).click()
    name, archive = download(page, "Export")
    assert re.fullmatch(r"journal-\d{4}-\d{2}-\d{2}\.zip", name), name
    entries = json.loads(archive.read("entries.json"))["entries"]
    assert {(e["title"], e["body"]) for e in entries} == {
        ("First night", "I could not sleep."),
        ("A better day", "I went for a long walk."),
    }
    assert len([n for n in archive.namelist() if n.startswith("entries/")]) == 2

    page.get_by_role("link", name="Account").click()
    name, archive = download(page, "Download my data")
    assert name.startswith("my-data-")
    assert {"entries.json", "progress.json"} <= set(archive.namelist())

    page.get_by_role("link", name="Delete my account").click()
    page.get_by_label("Your password, to confirm").fill("not my password")
    page.get_by_role("button", name="Delete my account and everything in it").click()
    expect(page.get_by_role("alert")).to_have_text("That password is not right. Nothing has been deleted.")

    page.get_by_label("Your password, to confirm").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account and everything in it").click()
    expect(page.locator(".messages")).to_contain_text("Your account and everything in it have been deleted.")
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    log_in(page, person.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("main")).to_contain_text("not correct")
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()


# Keyboard only: Tab to move, Enter to follow and submit, Space to tick; focus always seen.


def test_keyboard_only_sign_in_write_complete_check_in_and_exit(new_context, person):
    context = new_context()
    context.guard.fulfil[EXIT_URL] = NEUTRAL_PAGE
    page = context.new_page()
    step = core(0)
    prompt = step.prompts[0]
    keys = page.keyboard

    page.goto("/")
    first = tab_to(page, lambda s: True)
    assert first["name"] == "Skip to main content", "the first Tab stop is the skip link"
    tab_to(page, named("Sign in", "a"))
    keys.press("Enter")
    expect(heading(page)).to_have_text("Sign in")
    tab_to(page, with_id("id_login"))
    keys.type(person.email)
    tab_to(page, with_id("id_password"))
    keys.type(PASSWORD)
    tab_to(page, with_id("id_shared_device"))
    keys.press("Space")
    expect(page.get_by_label("On a shared device")).to_be_checked()
    tab_to(page, named("Sign in", "button"))
    keys.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    tab_to(page, named("Steps", "a"))
    keys.press("Enter")
    expect(heading(page)).to_have_text("The steps")
    tab_to(page, named(step.title, "a"))
    keys.press("Enter")
    expect(heading(page)).to_have_text(step.title)

    tab_to(page, lambda s: s["tag"] == "button" and s["name"].endswith(step.exercises[0].text))
    keys.press("Space")
    toggles = page.locator("button.exercise__toggle")
    expect(toggles.first).to_have_attribute("aria-pressed", "true")
    # The swapped-in list keeps focus on the button just pressed, so the next Tab goes on from it.
    expect(toggles.first).to_be_focused()
    after = tab_to(page, lambda s: True)
    assert after["name"].endswith(step.exercises[1].text), f"focus went to {after['element']}"

    tab_to(page, named("Mark this step complete", "button"))
    keys.press("Enter")
    expect(page.locator("#step-status")).to_contain_text("Completed")
    expect(page.get_by_role("button", name="Revisit this step")).to_be_focused()

    tab_to(page, named("Write about this", "a"))
    keys.press("Enter")
    expect(page.locator(".journal-prompt blockquote")).to_have_text(prompt.text)
    tab_to(page, with_id("id_title"))
    keys.type("Typed, not clicked")
    tab_to(page, with_id("id_body"))
    keys.type("Every word of this came from the keyboard.")
    tab_to(page, named("Save entry", "button"))
    keys.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Your entry is saved.")
    expect(heading(page)).to_have_text("Typed, not clicked")

    tab_to(page, named("Progress", "a"))
    keys.press("Enter")
    expect(page.locator("progress#core-progress")).to_have_attribute("value", "1")
    tab_to(page, lambda s: s["tag"] == "input" and s["id"].startswith("id_mood"))
    keys.press("Space")  # the first choice, "Very low"
    expect(page.get_by_label("Very low", exact=True)).to_be_checked()
    tab_to(page, named("Save check-in", "button"))
    keys.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Thank you for checking in.")
    expect(page.locator(".mood-table")).to_contain_text("1.0")

    tab_to(page, named("Exit this page", "button"))
    keys.press("Enter")
    page.wait_for_url(EXIT_URL)
    expect(heading(page)).to_have_text("Today's weather")


def test_keyboard_only_sign_up_resolve_a_conflict_export_and_delete(new_context, mailoutbox):
    from django.contrib.auth import get_user_model

    context = new_context()
    page = context.new_page()
    keys = page.keyboard

    # Journey 1's sign-up, by keyboard.
    page.goto("/")
    tab_to(page, named("Sign up", "a"))
    keys.press("Enter")
    page.wait_for_url("**/accounts/signup/")
    tab_to(page, with_id("id_email"))
    keys.type("keys.only@example.com")
    tab_to(page, with_id("id_password1"))
    keys.type(PASSWORD)
    tab_to(page, with_id("id_password2"))
    keys.type(PASSWORD)
    tab_to(page, named("Sign up", "button"))
    keys.press("Enter")
    expect(heading(page)).to_have_text("Check your email")
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mailoutbox[0].body).group(0)
    page.goto(link)  # the emailed link is opened from the mail program, not this page
    tab_to(page, named("Yes, confirm it", "button"))
    keys.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # Journey 3, by keyboard: two tabs, the second chooses its own version on the conflict page.
    user = get_user_model().objects.get(email="keys.only@example.com")
    entry = make_entry(user, title="Draft", body="The first words.")
    first, second = page, context.new_page()
    for tab in (first, second):
        tab.goto(f"/journal/{entry.code}/edit/")
    tab_to(first, with_id("id_body"))
    first.keyboard.press("ControlOrMeta+a")
    first.keyboard.type("From the first tab.")
    tab_to(first, named("Save changes", "button"))
    first.keyboard.press("Enter")
    expect(first.locator(".messages")).to_contain_text("Your changes are saved.")
    second.bring_to_front()
    tab_to(second, with_id("id_body"))
    second.keyboard.press("ControlOrMeta+a")
    second.keyboard.type("From the second tab.")
    tab_to(second, named("Save changes", "button"))
    second.keyboard.press("Enter")
    expect(heading(second)).to_have_text("This entry changed in another tab")
    tab_to(second, named("Save my version", "button"))
    second.keyboard.press("Enter")
    expect(second.locator(".entry-body")).to_have_text("From the second tab.")

    # Journey 6, by keyboard: export the journal, then delete the account.
    page = second
    page.goto("/journal/")
    tab_to(page, named("Export", "a"))
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    archive = zipfile.ZipFile(io.BytesIO(info.value.path().read_bytes()))
    assert [e["body"] for e in json.loads(archive.read("entries.json"))["entries"]] == [
        "From the second tab."
    ]
    tab_to(page, named("Account", "a"))
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Your account")
    tab_to(page, named("Delete my account", "a"))
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Delete your account")
    tab_to(page, with_id("id_password"))
    page.keyboard.type(PASSWORD)
    tab_to(page, named("Delete my account and everything in it", "button"))
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("have been deleted")
    assert not get_user_model().objects.filter(email="keys.only@example.com").exists()
