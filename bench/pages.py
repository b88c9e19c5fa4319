"""The journeys `make bench` measures, in one table for run.py and profile.py.

Each row is one request measured after the write that changes what it shows, as a person meets
a page: tick an exercise then read the step, write an entry then read the list, check in then
read /progress/. The writes themselves are not counted, except in the rows that measure a POST.
"""

import json
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    name: str
    label: str  # what the results table calls it
    method: str
    path: str  # "{entry}": the entry the write before it made
    # None (a first visit), "user" (30 entries), "heavy" (10,000 over three years) or
    # "recent" (2,000 in the last 90 days)
    who: str | None
    write: str | None = None  # made before each measured request: a name in WRITES
    target: float | None = None  # the floor's CPU per request as a share of the page's
    quick: bool = True  # part of the quick run
    wrk: bool = True  # also loaded by wrk for the requests-per-second view (GETs only)


def load(sessions_file):
    """The seeded sessions (bench/seed.py) and the page table built from them."""
    with open(sessions_file) as f:
        sessions = json.load(f)
    step, common, rare = sessions["step"], sessions["common_term"], sessions["rare_term"]
    exercise = sessions["exercises"][0]
    pages = [
        Page(
            "floor", "floor: the same bytes as a static file (whitenoise)", "GET", "/bench-floor.html", None
        ),
        Page("step-anon", "anonymous step page, first visit", "GET", f"/steps/{step}/", None, None, 0.50),
        Page("step-user", "step page after a tick", "GET", f"/steps/{step}/", "user", "tick", 0.20),
        Page("steps", "`/steps/` after completing a step", "GET", "/steps/", "user", "complete", 0.20),
        Page("home", "home after a tick", "GET", "/", "user", "tick", 0.20),
        Page(
            "progress",
            "`/progress/` after a check-in, 30 entries",
            "GET",
            "/progress/",
            "user",
            "checkin",
            0.15,
        ),
        Page(
            "progress-heavy",
            "`/progress/` after a check-in, 10,000 entries over 3 years",
            "GET",
            "/progress/",
            "heavy",
            "checkin",
            0.15,
        ),
        Page(
            "progress-recent",
            "`/progress/` after a check-in, 2,000 entries in 90 days",
            "GET",
            "/progress/",
            "recent",
            "checkin",
            0.15,
        ),
        Page(
            "journal-1",
            "`/journal/` after a new entry, 10,000 entries",
            "GET",
            "/journal/",
            "heavy",
            "entry",
            0.20,
        ),
        Page(
            "journal-400",
            "`/journal/?page=400` after a new entry",
            "GET",
            "/journal/?page=400",
            "heavy",
            "entry",
            0.20,
            quick=False,
        ),
        Page(
            "detail", "`/journal/<uuid>/` of the entry just written", "GET", "{entry}", "heavy", "entry", 0.20
        ),
        Page(
            "search",
            f"`/journal/?q={common}` (in a third of 10,000 entries) after a new entry",
            "GET",
            f"/journal/?q={common}",
            "heavy",
            "entry",
            0.10,
        ),
        Page(
            "search-rare",
            f"`/journal/?q={rare}` (in ten) after a new entry",
            "GET",
            f"/journal/?q={rare}",
            "heavy",
            "entry",
            0.10,
            quick=False,
        ),
        Page(
            "new-entry",
            "new entry POST, 10,000 entries",
            "POST",
            "/journal/new/",
            "heavy",
            None,
            0.15,
            wrk=False,
        ),
        Page(
            "tick",
            "tick POST (htmx)",
            "POST",
            f"/steps/{step}/exercises/{exercise}/",
            "user",
            None,
            0.15,
            wrk=False,
        ),
        Page("autosave", "autosave POST (htmx)", "POST", sessions["autosave"], "user", None, 0.15, wrk=False),
    ]
    return sessions, {page.name: page for page in pages}


def entry_form(count):
    """What the editor posts: a titled entry of a few paragraphs, with a mood, on no step."""
    return {
        "title": f"Evening {count}",
        "body": f"Entry {count}. " + "The garden needed water today and I gave it some. " * 12,
        "mood": str(count % 5 + 1),
        "step": "",
        "prompt": "",
        "draft": str(uuid.uuid4()),
    }


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


def checkin_form(count):
    return {"mood": str(count % 5 + 1), "note": f"Check-in {count}"}
