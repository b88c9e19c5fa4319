"""The pages `make bench` loads, in one table for run.py, locustfile.py and profile.py."""

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    name: str
    label: str  # what the results table calls it
    method: str
    path: str
    who: str | None  # None (a first visit), "visitor" (a returning one), "user" or "heavy"
    target: float | None = None  # requests per second as a share of the floor's
    p50_ms: int | None = None  # or a latency target instead
    quick: bool = True  # part of the quick run
    # Concurrent locust users; None for the run's default. A latency target is measured with
    # one user per worker, so the figure is the page's own time and not time spent in a queue.
    users: int | None = None
    # Every request with a query string of its own, so the page cache (recovery/pagecache.py)
    # never has it: what the page costs when it must be rendered, as after every change.
    fresh: bool = False


def load(sessions_file):
    """The seeded sessions (bench/seed.py) and the page table built from them."""
    with open(sessions_file) as f:
        sessions = json.load(f)
    step, common, rare = sessions["step"], sessions["common_term"], sessions["rare_term"]
    pages = [
        Page(
            "floor", "floor: the same bytes as a static file (whitenoise)", "GET", "/bench-floor.html", None
        ),
        Page(
            "step-anon", "anonymous step page, first visit (no cookie)", "GET", f"/steps/{step}/", None, 0.50
        ),
        Page(
            "step-anon-returning",
            "anonymous step page, returning visitor (session cookie)",
            "GET",
            f"/steps/{step}/",
            "visitor",
            0.50,
            quick=False,
        ),
        Page("step-user", "signed-in step page", "GET", f"/steps/{step}/", "user", 0.30),
        Page("steps", "`/steps/`, signed in", "GET", "/steps/", "user", 0.30),
        Page("progress", "`/progress/`", "GET", "/progress/", "user", 0.25),
        Page(
            "journal-1", "`/journal/` page 1, heavy user (10,000 entries)", "GET", "/journal/", "heavy", 0.20
        ),
        Page("journal-400", "`/journal/?page=400`, heavy user", "GET", "/journal/?page=400", "heavy", 0.20),
        Page(
            "journal-search",
            "`/journal/?q=` common word, heavy user",
            "GET",
            f"/journal/?q={common}",
            "heavy",
            p50_ms=300,
            users=2,
            fresh=True,  # a search is measured, not a kept page of its results
        ),
        Page(
            "journal-search-rare",
            "`/journal/?q=` rare word, heavy user",
            "GET",
            f"/journal/?q={rare}",
            "heavy",
            p50_ms=300,
            users=2,
            quick=False,
            fresh=True,
        ),
        Page("autosave", "autosave POST (a new entry's draft)", "POST", sessions["autosave"], "user", 0.20),
        Page(
            "step-heavy",
            "signed-in step page, heavy user",
            "GET",
            f"/steps/{step}/",
            "heavy",
            0.30,
            quick=False,
        ),
        Page("progress-heavy", "`/progress/`, heavy user", "GET", "/progress/", "heavy", 0.25, quick=False),
        Page(
            "step-user-fresh",
            "signed-in step page, rendered afresh every time (no target: what a page costs after a change)",
            "GET",
            f"/steps/{step}/",
            "user",
            quick=False,
            fresh=True,
        ),
        Page(
            "progress-fresh",
            "`/progress/`, rendered afresh every time",
            "GET",
            "/progress/",
            "user",
            quick=False,
            fresh=True,
        ),
        Page(
            "journal-1-fresh",
            "`/journal/` page 1, heavy user, rendered afresh every time",
            "GET",
            "/journal/",
            "heavy",
            quick=False,
            fresh=True,
        ),
    ]
    return sessions, {page.name: page for page in pages}


def fresh_path(page, count):
    """The page's path, made unique per request when the page is to be measured uncached."""
    if not page.fresh:
        return page.path
    return f"{page.path}{'&' if '?' in page.path else '?'}fresh={count}"


def autosave_form(draft, count):
    """What the editor's htmx posts a couple of seconds after the writer pauses: the whole text."""
    return {
        "draft": draft,
        "title": "A draft",
        "body": f"Still writing, pause {count}. " + "The garden needed water today. " * 30,
        "mood": "3",
        "step": "",
        "prompt": "",
    }
