"""axe-core on the main pages in light and dark, every focus stop visible, and screenshots.

axe runs from the copy of axe-core inside axe-playwright-python, so nothing is fetched. Only the
WCAG 2.1 A and AA rules count. Each page is checked at 375 px and 1280 px wide, and a full-page
screenshot of each goes to tests/screenshots/ (git ignores it) for a person to look at.
"""

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from journal.models import ImportJob, OwnPrompt
from recovery import progress
from recovery.content import library
from recovery.models import Step
from tests.browser.keyboard import tab_through
from tests.journal_helpers import make_entry

pytestmark = pytest.mark.browser

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
VIEWPORTS = [{"width": 375, "height": 812}, {"width": 1280, "height": 800}]
STEP = "acknowledge-feelings"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# The two the README shows, copied when missing or when UPDATE_DOCS_SCREENSHOTS=1 (every run
# would change them: the dashboard shows today's date).
FOR_README = {"step-light-375.png": "step-phone.png", "dashboard-light-1280.png": "dashboard-desktop.png"}

# name: (path, signed in); an entry's path is filled in once it exists.
PAGES = {
    "home": ("/", False),
    "path": ("/steps/", False),
    "step": (f"/steps/{STEP}/", False),
    "help": ("/help/", False),
    "login": ("/accounts/login/", False),
    "signup": ("/accounts/signup/", False),
    "journal": ("/journal/", True),
    "entry": ("/journal/{entry}/", True),
    "editor": (f"/journal/new/?step={STEP}&prompt=loudest-feeling", True),
    "dashboard": ("/progress/", True),
    "own-prompts": ("/journal/prompts/", True),
    "therapist-export": ("/journal/export/therapist/", True),
    "import": ("/journal/import/", True),
    "import-job": ("/journal/import/{job}/", True),
}

_axe = Axe()


def some_history(user):
    """A few weeks of use: two steps done, an exercise ticked, entries with moods on several days."""
    lib = library()
    for doc in lib.core[:2]:
        # One tracker a request, as on the site: a tracker's first visit() keeps an unsaved row.
        progress.UserTracker(user).visit(doc)
        progress.UserTracker(user).complete(doc)
    progress.UserTracker(user).tick(lib.core[0], lib.core[0].exercises[0].id, True)
    step = Step.objects.get(slug=STEP)
    now = timezone.now()
    OwnPrompt.objects.create(owner=user, text="What would I tell a friend in my place?", pinned=True)
    OwnPrompt.objects.create(owner=user, text="What did I stop doing for myself?", retired_at=now)
    entry = None
    for days_ago, mood in [(20, 2), (14, 1), (9, 3), (5, 3), (2, 4), (0, 4)]:
        entry = make_entry(
            user,
            title=f"Evening notes, {days_ago} days ago" if days_ago else "Tonight",
            body="A walk, a phone call with my sister, and *some* quiet.\n\n- slept better\n- ate properly",
            mood=mood,
            step=step,
            prompt="loudest-feeling",
            created_at=now - timedelta(days=days_ago),
        )
    return entry


def axe_report(violations):
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_meets_wcag_21_aa_with_visible_focus(new_context, sign_in, person, screenshots, name, scheme):
    path, signed_in = PAGES[name]
    context = new_context(color_scheme=scheme, reduced_motion="reduce")
    if signed_in:
        entry = some_history(person)
        job = ImportJob.objects.create(owner=person, state=ImportJob.State.RUNNING, total=1500, read=500)
        path = path.format(entry=entry.code, job=job.code)
        sign_in(context, person)
    page = context.new_page()

    problems = []
    for viewport in VIEWPORTS:
        page.set_viewport_size(viewport)
        response = page.goto(path)
        assert response.ok, f"{path} answered {response.status}"
        assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui"), (
            "site.css did not load"
        )
        violations = _axe.run(page, options=AXE_OPTIONS).response["violations"]
        if violations:
            problems.append(
                f"-- {name} ({path}), {scheme}, {viewport['width']} px:\n{axe_report(violations)}"
            )
        shot = screenshots / f"{name}-{scheme}-{viewport['width']}.png"
        page.screenshot(path=shot, full_page=True)
        if shot.name in FOR_README and (
            os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1" or not (DOCS / FOR_README[shot.name]).exists()
        ):
            DOCS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, DOCS / FOR_README[shot.name])
    assert not problems, "axe found WCAG 2.1 A/AA violations:\n" + "\n".join(problems)

    # Keyboard: every stop, in order, shows where focus is; the skip link comes first.
    page.set_viewport_size(VIEWPORTS[-1])
    page.goto(path)
    stops = tab_through(page)
    assert stops, f"no Tab stops on {path}"
    assert stops[0]["name"] == "Skip to main content", f"first Tab stop on {path}: {stops[0]['element']}"
    assert stops[1]["name"] == "Exit this page", f"second Tab stop on {path}: {stops[1]['element']}"


def test_static_files_reach_the_browser(new_context):
    """The live server hands out our CSS and scripts (the pages above would look unstyled and
    behave as without JavaScript if it did not)."""
    page = new_context().new_page()
    page.goto("/")
    for asset in ["css/site.css", "js/site.js", "django_htmx/htmx-2.min.js"]:
        assert page.locator(f'[href="/static/{asset}"], [src="/static/{asset}"]').count() == 1, asset
        response = page.request.get(f"/static/{asset}")
        assert response.status == 200, f"/static/{asset} answered {response.status}"
    assert page.evaluate("typeof htmx") == "object"
