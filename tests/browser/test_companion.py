"""The companion, in a real browser, with JavaScript and without: sign up, say what brings you
here, do today's small thing, fill in and print a safety plan, ask for a reminder, receive it,
and stop reminders from the email's link while signed out."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from journal.models import Counter, SafetyPlan
from me import reminders
from me.models import ReminderSettings
from recovery.content import library
from recovery.models import User
from tests.browser.test_accessibility import AXE_OPTIONS, VIEWPORTS, _axe, axe_report

pytestmark = pytest.mark.browser

PASSWORD = "a long calm password 1"
ZONE = "Europe/Berlin"
js_modes = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])


def heading(page):
    return page.get_by_role("heading", level=1)


def pages_in(pdf):
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


@js_modes
def test_a_day_with_the_companion(new_context, mailoutbox, settings, site, js):
    settings.SITE_URL = site
    context = new_context(java_script_enabled=js, timezone_id=ZONE)
    page = context.new_page()
    email = f"companion.{'js' if js else 'nojs'}@example.com"

    # Sign up; the first page after confirming is the optional start.
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign Up").click()
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mailoutbox[0].body).group(0)
    page.goto(link)
    page.locator("main").get_by_role("button", name="Confirm").click()
    expect(heading(page)).to_have_text("What brings you here?")
    expect(page.get_by_role("link", name="Skip to today")).to_be_visible()

    page.get_by_label("A breakup").check()
    page.get_by_role("button", name="Suggest where to begin").click()
    expect(page.get_by_role("heading", name="Where you might begin")).to_be_visible()
    first = library().core[0]
    expect(page.get_by_role("link", name=f"Begin with {first.title}")).to_be_visible()
    page.get_by_role("link", name="Skip to today").click()

    # Today: the small thing, a check-in, a counter.
    expect(heading(page)).to_have_text("Today")
    toggle = page.locator("#today-exercise")
    expect(toggle).to_contain_text(first.try_today.text)
    toggle.click()
    expect(page.locator("#today-exercise")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("link", name="Write about this")).to_have_attribute(
        "href", f"/journal/new/?step={first.slug}&prompt={first.prompts[0].id}"
    )
    checkin = page.locator("#today-checkin")
    checkin.get_by_label("Okay", exact=True).check()
    checkin.get_by_role("button", name="Check in").click()
    # In place with htmx; without it, back on Today with the thank-you above.
    expect(page.locator("main")).to_contain_text("Thank you for checking in")
    expect(heading(page)).to_have_text("Today")

    page.get_by_text("Add a counter").click()
    page.get_by_label("What are you counting?").fill("days since last contact")
    page.get_by_role("button", name="Add the counter").click()
    expect(page.locator("#counters")).to_contain_text("0 days: days since last contact")
    user = User.objects.get(email=email)
    Counter.objects.filter(owner=user).update(started_on=datetime.now().date() - timedelta(days=9))
    page.reload()
    expect(page.locator("#counters")).to_contain_text("9 days: days since last contact")
    page.get_by_role("button", name="Start again from today").click()
    expect(page.locator("main")).to_contain_text("Starting again is part of it")
    expect(page.locator("#counters")).to_contain_text("Earlier counts, all part of it: 9 days")

    # A safety plan, one tap from the header, saved and printed on one page.
    page.get_by_role("link", name="My safety plan").click()
    expect(heading(page)).to_have_text("My safety plan")
    expect(page.get_by_label("5. Professionals and helplines")).to_contain_text("Samaritans")
    page.get_by_label("1. My warning signs").fill("Staying in bed past noon")
    page.get_by_label("4. People I can ask for help").fill("Rosa, 555 0100")
    page.get_by_role("button", name="Save my plan").click()
    expect(page.locator(".messages")).to_contain_text("Your safety plan is saved")
    assert SafetyPlan.objects.get(owner=user).helpers == "Rosa, 555 0100"
    page.get_by_role("link", name="Print my saved plan").click()
    expect(page.locator(".safety-print")).to_contain_text("Staying in bed past noon")
    if js:
        expect(page.get_by_role("button", name="Print")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    assert pages_in(page.pdf(format="A4")) == 1
    page.emulate_media(media="screen")

    # Reminders: asked for on the account page, in the browser's time zone when JS is on.
    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name="Set up reminders").click()
    expect(page.get_by_label("In this time zone")).to_have_value(ZONE if js else settings.TIME_ZONE)
    if not js:
        page.get_by_label("In this time zone").select_option(ZONE)
    page.get_by_label("Send me a reminder by email").check()
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        page.get_by_label(day).check()
    page.get_by_label("At this time").fill("08:30")
    page.get_by_role("button", name="Save reminders").click()
    expect(page.locator(".messages")).to_contain_text("Reminders are on")
    row = ReminderSettings.objects.get(user=user)
    assert (row.enabled, row.time_zone, row.at, row.weekdays) == (True, ZONE, time(8, 30), 127)

    # The job runs tomorrow at 08:35 in Berlin (today they checked in, so today is skipped).
    tomorrow = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)
    now = datetime.combine(tomorrow, time(8, 35), tzinfo=ZoneInfo(ZONE))
    assert reminders.send_due_reminders(now) == 1
    sent = [m for m in mailoutbox if m.subject == "A moment for yourself"]
    assert len(sent) == 1 and sent[0].to == [email]
    assert "breakup" not in sent[0].body.lower() and first.title not in sent[0].body

    # Stop them from the email, signed out.
    stop = re.search(r"https?://\S+/accounts/reminders/stop/\S+", sent[0].body).group(0)
    stranger = new_context(java_script_enabled=js).new_page()
    stranger.goto(stop)
    expect(heading(stranger)).to_have_text("Stop reminder emails?")
    stranger.get_by_role("button", name="Turn reminders off").click()
    expect(heading(stranger)).to_have_text("Reminders are off")
    assert not ReminderSettings.objects.get(user=user).enabled


COMPANION_PAGES = {
    "today": ("/", True),
    "start": ("/start/", False),
    "safety-plan": ("/safety-plan/", True),
    "safety-plan-visitor": ("/safety-plan/", False),
    "safety-plan-print": ("/safety-plan/print/", True),
    "reminders": ("/accounts/reminders/", True),
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(COMPANION_PAGES))
def test_companion_pages_meet_wcag_21_aa(new_context, sign_in, person, screenshots, name, scheme):
    path, signed_in = COMPANION_PAGES[name]
    context = new_context(color_scheme=scheme, reduced_motion="reduce")
    if signed_in:
        sign_in(context, person)
        Counter.objects.create(owner=person, name="days since last contact", started_on=datetime.now().date())
    page = context.new_page()
    problems = []
    for viewport in VIEWPORTS:
        page.set_viewport_size(viewport)
        assert page.goto(path).ok
        violations = _axe.run(page, options=AXE_OPTIONS).response["violations"]
        if violations:
            problems.append(f"-- {name}, {scheme}, {viewport['width']} px:\n{axe_report(violations)}")
        page.screenshot(
            path=screenshots / f"companion-{name}-{scheme}-{viewport['width']}.png", full_page=True
        )
    assert not problems, "axe found WCAG 2.1 A/AA violations:\n" + "\n".join(problems)
