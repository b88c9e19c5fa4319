"""Where a reader is on the path.

Signed-in users' progress lives in StepProgress and ExerciseTick rows; a visitor's lives in the
session and is merged into the account when they sign up or log in. Both answer the same
questions through a tracker, so views do not care which they have. Nothing here ever moves a
step backwards to "not started".
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from recovery.content import library
from recovery.models import ExerciseTick, Step, StepProgress, User

Status = StepProgress.Status
Start = User.Start
DONE = {Status.COMPLETED, Status.REVISITING}
VISIT_EVERY = timedelta(hours=1)
SESSION_KEY = "progress"
START_KEY = "start"  # a visitor's answer on /start/, kept in their session only

# What someone said brought them here can put one module ahead of the usual order: before the
# path (someone who was frightened reads about staying safe first) or first among the optional
# modules once the core ones are done.
LEAD_BEFORE_PATH = {Start.FRIGHTENED: "staying-safe"}
LEAD_AFTER_CORE = {Start.BACK_TOGETHER: "thinking-about-getting-back-together"}


_step_ids = {}


def step_id(slug):
    """The id of a live Step row, from a per-process map read in one query when needed.

    A step the library serves but the database does not know yet (a file added since the last
    `sync_content`) gets its row on first use, so a reader never meets an error for it.
    """
    if slug not in _step_ids:
        _step_ids.clear()
        _step_ids.update(Step.objects.live().values_list("slug", "id"))
    if slug not in _step_ids:
        doc = library().steps.get(slug)
        if doc is None:
            raise Step.DoesNotExist(slug)
        row, _ = Step.objects.update_or_create(
            slug=slug, defaults={"title": doc.title, "order": doc.order, "core": doc.core, "retired_at": None}
        )
        _step_ids[slug] = row.id
    return _step_ids[slug]


def step_ids(slugs):
    """{slug: id} of those slugs with a live Step row, from the same map, read again once when
    one is missing (a step added since)."""
    slugs = list(slugs)
    if any(slug not in _step_ids for slug in slugs):
        _step_ids.clear()
        _step_ids.update(Step.objects.live().values_list("slug", "id"))
    return {slug: _step_ids[slug] for slug in slugs if slug in _step_ids}


def forget_step_ids():
    _step_ids.clear()


def remember_step_ids(ids):
    _step_ids.clear()
    _step_ids.update(ids)


def tracker_for(request):
    if request.user.is_authenticated:
        if not hasattr(request, "_tracker"):
            request._tracker = UserTracker(request.user)
        return request._tracker
    return SessionTracker(request.session)


class UserTracker:
    """Progress of a signed-in user, read in two queries and then kept for the request."""

    def __init__(self, user):
        self.user = user
        self.collapse_notes = user.collapse_content_notes
        self.start = user.start_reason
        self._rows = None
        self._ticks = None

    @property
    def rows(self):
        if self._rows is None:
            self._rows = {
                row.step.slug: row
                for row in StepProgress.objects.filter(user=self.user).select_related("step")
            }
        return self._rows

    def _tick_map(self):
        if self._ticks is None:
            ticks = {}
            for slug, exercise in ExerciseTick.objects.filter(user=self.user).values_list(
                "step__slug", "exercise"
            ):
                ticks.setdefault(slug, set()).add(exercise)
            self._ticks = ticks
        return self._ticks

    def status(self, slug):
        row = self.rows.get(slug)
        return row.status if row else Status.NOT_STARTED

    def statuses(self):
        return {slug: row.status for slug, row in self.rows.items()}

    def last_visited(self):
        """(slug, time) of every step visited, most recent first."""
        rows = [(slug, row.last_visited_at) for slug, row in self.rows.items() if row.last_visited_at]
        return sorted(rows, key=lambda r: r[1], reverse=True)

    def ticked(self, slug):
        return self._tick_map().get(slug, set())

    def all_ticks(self):
        return self._tick_map()

    def _row(self, slug):
        row = self.rows.get(slug)
        if row is None or row.pk is None:  # None: inserted by visit() without reading it back
            row, _ = StepProgress.objects.get_or_create(user=self.user, step_id=step_id(slug))
            self.rows[slug] = row
        return row

    def visit(self, step):
        """Record a visit, at most once every VISIT_EVERY."""
        now = timezone.now()
        row = self.rows.get(step.slug)
        if row is None:
            # The first visit: one INSERT. A second tab racing us has done the same; keep theirs.
            row = StepProgress(
                user=self.user,
                step_id=step_id(step.slug),
                status=Status.IN_PROGRESS,
                started_at=now,
                last_visited_at=now,
            )
            StepProgress.objects.bulk_create([row], ignore_conflicts=True)
            self.rows[step.slug] = row
            return
        if row.last_visited_at and now - row.last_visited_at < VISIT_EVERY:
            return
        row.last_visited_at = now
        fields = ["last_visited_at"]
        if row.status == Status.NOT_STARTED:
            row.status = Status.IN_PROGRESS
            row.started_at = now
            fields += ["status", "started_at"]
        row.save(update_fields=fields)

    def complete(self, step):
        now = timezone.now()
        with transaction.atomic():
            row = self._row(step.slug)
            row.status = Status.COMPLETED
            row.completed_at = row.completed_at or now
            row.started_at = row.started_at or now
            row.last_visited_at = now
            row.save()

    def revisit(self, step):
        with transaction.atomic():
            row = self._row(step.slug)
            if row.status == Status.COMPLETED:
                row.status = Status.REVISITING
                row.last_visited_at = timezone.now()
                row.save(update_fields=["status", "last_visited_at"])

    def tick(self, step, exercise_id, done):
        step_pk = step_id(step.slug)
        if done:
            ExerciseTick.objects.get_or_create(user=self.user, step_id=step_pk, exercise=exercise_id)
            self._tick_map().setdefault(step.slug, set()).add(exercise_id)
        else:
            ExerciseTick.objects.filter(user=self.user, step_id=step_pk, exercise=exercise_id).delete()
            self._tick_map().get(step.slug, set()).discard(exercise_id)


class SessionTracker:
    """A visitor's progress, in their session: {"steps": {slug: {...}}, "ticks": {slug: [...]}}."""

    collapse_notes = False

    def __init__(self, session):
        self.session = session

    @property
    def start(self):
        return self.session.get(START_KEY, "")

    @property
    def data(self):
        return self.session.get(SESSION_KEY) or {"steps": {}, "ticks": {}}

    def _save(self, data):
        self.session[SESSION_KEY] = data
        self.session.modified = True

    def status(self, slug):
        return self.data["steps"].get(slug, {}).get("status", Status.NOT_STARTED)

    def statuses(self):
        return {slug: info["status"] for slug, info in self.data["steps"].items()}

    def last_visited(self):
        rows = [
            (slug, parse_datetime(info["visited"]))
            for slug, info in self.data["steps"].items()
            if info.get("visited")
        ]
        return sorted(rows, key=lambda r: r[1], reverse=True)

    def ticked(self, slug):
        return set(self.data["ticks"].get(slug, []))

    def all_ticks(self):
        return {slug: set(ids) for slug, ids in self.data["ticks"].items()}

    def visit(self, step):
        # Reading alone never starts a session: visits are kept once the visitor has ticked or
        # completed something, so a passing reader leaves no record here.
        if SESSION_KEY not in self.session:
            return
        data = self.data
        now = timezone.now()
        info = data["steps"].get(step.slug)
        if info and info.get("visited"):
            last = parse_datetime(info["visited"])
            if last and now - last < VISIT_EVERY:
                return
        info = info or {"status": Status.IN_PROGRESS, "started": now.isoformat()}
        info["visited"] = now.isoformat()
        data["steps"][step.slug] = info
        self._save(data)

    def complete(self, step):
        data = self.data
        now = timezone.now().isoformat()
        info = data["steps"].setdefault(step.slug, {"started": now})
        info.update(status=Status.COMPLETED, visited=now)
        info.setdefault("completed", now)
        self._save(data)

    def revisit(self, step):
        data = self.data
        info = data["steps"].get(step.slug)
        if info and info.get("status") == Status.COMPLETED:
            info["status"] = Status.REVISITING
            self._save(data)

    def tick(self, step, exercise_id, done):
        data = self.data
        ids = set(data["ticks"].get(step.slug, []))
        ids.add(exercise_id) if done else ids.discard(exercise_id)
        data["ticks"][step.slug] = sorted(ids)
        self._save(data)


def current_step(lib, tracker):
    """Where to go on: the core step most recently visited and not finished, else the next core
    step not finished, in path order; only then an optional one. A glance at an optional module
    never takes the place of the path. What the reader chose on /start/ may put one module
    first (LEAD_BEFORE_PATH) or first after the core ones (LEAD_AFTER_CORE), until it is done.
    Today, the dashboard and home all ask here."""
    statuses = tracker.statuses()
    start = tracker.start
    lead = lib.steps.get(LEAD_BEFORE_PATH.get(start, ""))
    if lead and statuses.get(lead.slug) not in DONE:
        return lead
    visited = [lib.steps[slug] for slug, _ in tracker.last_visited() if slug in lib.steps]
    optional = lib.optional
    after_core = lib.steps.get(LEAD_AFTER_CORE.get(start, ""))
    if after_core in optional:
        optional = [after_core] + [doc for doc in optional if doc is not after_core]
    for candidates in (lib.core, optional):
        slugs = {doc.slug for doc in candidates}
        for doc in visited:
            if doc.slug in slugs and statuses.get(doc.slug) not in DONE:
                return doc
        for doc in candidates:
            if statuses.get(doc.slug) not in DONE:
                return doc
    return None


# Merging a visitor's progress into their account

RANK = {Status.NOT_STARTED: 0, Status.IN_PROGRESS: 1, Status.REVISITING: 2, Status.COMPLETED: 3}


def _earliest(*times):
    present = [t for t in times if t]
    return min(present) if present else None


def _latest(*times):
    present = [t for t in times if t]
    return max(present) if present else None


@transaction.atomic
def merge_session_into_user(session, user):
    """Fold a visitor's session progress into the account; neither side loses anything."""
    data = session.get(SESSION_KEY)
    if not data:
        return
    steps = {s.slug: s for s in Step.objects.live().filter(slug__in=set(data["steps"]) | set(data["ticks"]))}
    rows = {
        r.step.slug: r
        for r in StepProgress.objects.filter(user=user, step__in=steps.values()).select_related("step")
    }
    for slug, info in data["steps"].items():
        if slug not in steps:
            continue
        row = rows.get(slug) or StepProgress(user=user, step=steps[slug])
        theirs = info.get("status", Status.IN_PROGRESS)
        # A completed step stays completed: the further of the two states wins.
        if RANK.get(theirs, 0) > RANK.get(row.status, 0):
            row.status = theirs
        row.started_at = _earliest(row.started_at, parse_datetime(info.get("started") or ""))
        row.completed_at = _earliest(row.completed_at, parse_datetime(info.get("completed") or ""))
        row.last_visited_at = _latest(row.last_visited_at, parse_datetime(info.get("visited") or ""))
        row.save()
    for slug, ids in data["ticks"].items():
        if slug not in steps:
            continue
        for exercise in ids:
            ExerciseTick.objects.get_or_create(user=user, step=steps[slug], exercise=exercise)
    del session[SESSION_KEY]


def merge_start_into_user(session, user):
    """A visitor's answer on /start/ goes with them into their account, unless the account has
    one already; the session keeps no copy."""
    start = session.pop(START_KEY, "")
    if start in Start.values and not user.start_reason:
        user.start_reason = start
        user.save(update_fields=["start_reason"])
