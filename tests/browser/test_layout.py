"""The layout on a 375 px phone and a 1280 px screen, light and dark.

At 375 px no page scrolls sideways, <main> starts within the first 110 px (the top bar is one
row), every radio button sits on the same line as its label, and the mood chart's words are at
least 12 px. axe-core finds no WCAG 2.1 A/AA violation in either scheme. Full-page screenshots
of each go to tests/screenshots/layout-*.png (ignored by git).

Page weight: the CSS and JavaScript a page loads stay under 60 KB gzipped together, and no font
comes from another site.
"""

import gzip
import re
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.staticfiles import finders
from django.utils import timezone

from recovery import progress
from recovery.content import library
from tests.browser.test_accessibility import AXE_OPTIONS, STEP, axe_report
from tests.journal_helpers import make_entry

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
MAIN_WITHIN_PX = 110
SMALLEST_CHART_TEXT_PX = 12
WEIGHT_LIMIT = 60 * 1024
# Everything a page can load: our stylesheet and scripts, and htmx from django-htmx.
ASSETS = ["css/site.css", "js/site.js", "js/journal.js", "django_htmx/htmx-2.min.js"]

# name: (path, signed in)
PAGES = {
    "home": ("/", True),
    "home-visitor": ("/", False),
    "step": (f"/steps/{STEP}/", False),
    "editor": (f"/journal/new/?step={STEP}&prompt=loudest-feeling", True),
    "journal": ("/journal/", True),
    "entry": ("/journal/{entry}/", True),
    "progress": ("/progress/", True),
    "help": ("/help/", False),
    "account": ("/accounts/", True),
    "sessions": ("/accounts/sessions/", True),
    "two-factor": ("/accounts/2fa/", True),
    "sign-in": ("/accounts/login/", False),
    "sign-up": ("/accounts/signup/", False),
    "design": ("/design/", False),
}

_axe = Axe()


def some_history(user):
    """Two steps done, a third begun, and moods on six days over three weeks."""
    lib = library()
    tracker = progress.UserTracker(user)
    for doc in lib.core[:2]:
        tracker.complete(doc)
    progress.UserTracker(user).visit(lib.core[2])
    now = timezone.now()
    entry = None
    for days_ago, mood in [(20, 2), (14, 1), (9, 3), (5, 3), (2, 4), (0, 4)]:
        entry = make_entry(
            user,
            title="Tonight" if not days_ago else f"Evening notes, {days_ago} days ago",
            body="A walk, a phone call with my sister, and *some* quiet.",
            mood=mood,
            created_at=now - timedelta(days=days_ago),
        )
    return entry


MEASURE = """
() => {
  const main = document.querySelector("main");
  const radios = [...document.querySelectorAll('input[type="radio"]')]
    .filter((r) => r.getClientRects().length)
    .map((r) => {
      const label = r.labels && r.labels[0];
      if (!label) return `#${r.id}: no label`;
      const a = r.getBoundingClientRect(), b = label.getBoundingClientRect();
      // On one line: the radio and its label share some height on screen.
      const shared = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      return shared > 0 ? null : `#${r.id} at ${Math.round(a.top)}-${Math.round(a.bottom)} px, its label at ${Math.round(b.top)}-${Math.round(b.bottom)} px`;
    })
    .filter(Boolean);
  const chartText = [];
  for (const el of document.querySelectorAll(".mood-chart *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    if (el instanceof SVGElement && el.getScreenCTM) size *= el.getScreenCTM().a;
    chartText.push({ text: el.textContent.trim().slice(0, 30), size });
  }
  return {
    mainTop: main.getBoundingClientRect().top + window.scrollY,
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    radios,
    chartText,
  };
}
"""


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_a_phone_and_meets_wcag(new_context, sign_in, person, screenshots, name, scheme):
    path, signed_in = PAGES[name]
    context = new_context(color_scheme=scheme, reduced_motion="reduce", viewport=PHONE)
    if signed_in:
        entry = some_history(person)
        path = path.format(entry=entry.code)
        sign_in(context, person)
    page = context.new_page()

    response = page.goto(path)
    assert response.ok, f"{path} answered {response.status}"
    found = page.evaluate(MEASURE)
    assert found["scrollWidth"] <= found["clientWidth"], (
        f"{path} scrolls sideways at 375 px: {found['scrollWidth']} px wide"
    )
    assert found["mainTop"] <= MAIN_WITHIN_PX, f"<main> starts at {found['mainTop']} px on {path}"
    # What a phone shows first, without scrolling: the pictures README uses.
    page.screenshot(path=screenshots / f"layout-{name}-{scheme}-375-first-screen.png")
    assert not found["radios"], f"radios apart from their labels on {path}: {found['radios']}"
    small = [t for t in found["chartText"] if t["size"] < SMALLEST_CHART_TEXT_PX]
    assert not small, f"chart text under {SMALLEST_CHART_TEXT_PX} px on {path}: {small}"
    if name == "progress":
        assert found["chartText"], "the mood chart did not show"

    problems = []
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        violations = _axe.run(page, options=AXE_OPTIONS).response["violations"]
        if violations:
            problems.append(
                f"-- {name} ({path}), {scheme}, {viewport['width']} px:\n{axe_report(violations)}"
            )
        page.screenshot(path=screenshots / f"layout-{name}-{scheme}-{viewport['width']}.png", full_page=True)
    assert not problems, "axe found WCAG 2.1 A/AA violations:\n" + "\n".join(problems)


@pytest.mark.browser
def test_phone_menu_opens_without_javascript(new_context, sign_in, person):
    context = new_context(java_script_enabled=False, viewport=PHONE)
    sign_in(context, person)
    page = context.new_page()
    page.goto("/")
    # The safety controls come first by keyboard, after the skip link.
    names = []
    for _ in range(4):
        page.keyboard.press("Tab")
        names.append(page.evaluate("document.activeElement.innerText.trim()"))
    assert names[:3] == ["Skip to main content", "Exit this page", "Get help now"], names
    menu = page.get_by_role("navigation", name="Main")
    assert not menu.is_visible()
    page.locator(".site-menu > summary").click()
    menu.get_by_role("link", name="Progress").click()
    page.wait_for_url("**/progress/")
    # The safety controls stay on the one bar at every width.
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        bar = page.locator(".top-bar").bounding_box()
        for control in (
            page.get_by_role("button", name="Exit this page"),
            page.get_by_role("link", name="Get help now"),
        ):
            box = control.bounding_box()
            assert box["y"] >= bar["y"] and box["y"] + box["height"] <= bar["y"] + bar["height"] + 1


def test_css_and_javascript_weigh_under_60_kb_gzipped():
    sizes = {}
    for asset in ASSETS:
        path = finders.find(asset)
        assert path, f"{asset} not found"
        sizes[asset] = len(gzip.compress(Path(path).read_bytes(), compresslevel=9))
    total = sum(sizes.values())
    assert total < WEIGHT_LIMIT, f"{total} bytes gzipped: {sizes}"


def test_no_font_or_file_from_another_site_in_the_stylesheet():
    css = Path(finders.find("css/site.css")).read_text()
    assert "@font-face" not in css and "@import" not in css
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", css)
