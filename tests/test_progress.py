"""Progress per step, exercise ticks, the dashboard, and a visitor's progress kept on sign-in."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from journal.models import Entry
from recovery.models import ExerciseTick, StepProgress

pytestmark = pytest.mark.django_db
Status = StepProgress.Status


def progress_of(user, slug):
    return StepProgress.objects.get(user=user, step__slug=slug)


def test_first_visit_marks_a_step_in_progress(owner_client, owner, steps):
    owner_client.get("/steps/reflect/")
    row = progress_of(owner, "reflect")
    assert row.status == Status.IN_PROGRESS
    assert row.started_at is not None


def test_later_visits_write_at_most_once_an_hour(owner_client, owner, steps, monkeypatch):
    owner_client.get("/steps/reflect/")
    first = progress_of(owner, "reflect").last_visited_at
    owner_client.get("/steps/reflect/")
    assert progress_of(owner, "reflect").last_visited_at == first
    # Two hours on, the same page (kept for this reader since) records the visit again.
    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    owner_client.get("/steps/reflect/")
    assert progress_of(owner, "reflect").last_visited_at == later


def test_complete_then_revisit_keeps_history(owner_client, owner, steps):
    owner_client.get("/steps/grieving/")
    response = owner_client.post("/steps/grieving/complete/", follow=True)
    assert "Revisit this step" in response.content.decode()
    row = progress_of(owner, "grieving")
    assert row.status == Status.COMPLETED
    completed_at = row.completed_at
    response = owner_client.post("/steps/grieving/revisit/", follow=True)
    assert "Mark this step complete" in response.content.decode()
    row = progress_of(owner, "grieving")
    assert row.status == Status.REVISITING
    assert row.completed_at == completed_at
    assert row.started_at is not None


def test_complete_with_htmx_returns_only_the_status_part(owner_client, steps):
    response = owner_client.post("/steps/reflect/complete/", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="step-status"')
    assert "Revisit this step" in body
    assert "<html" not in body


def test_tick_and_untick_an_exercise(owner_client, owner, steps):
    from recovery.content import library

    exercise = library().steps["boundaries"].exercises[0].id
    owner_client.post(f"/steps/boundaries/exercises/{exercise}/", {"done": "1"})
    assert ExerciseTick.objects.filter(user=owner, exercise=exercise).count() == 1
    owner_client.post(f"/steps/boundaries/exercises/{exercise}/", {"done": "1"})
    assert ExerciseTick.objects.filter(user=owner, exercise=exercise).count() == 1
    body = owner_client.get("/steps/boundaries/").content.decode()
    assert 'aria-pressed="true"' in body
    owner_client.post(f"/steps/boundaries/exercises/{exercise}/", {"done": "0"})
    assert not ExerciseTick.objects.filter(user=owner).exists()


def test_unknown_step_or_exercise_is_404(owner_client, steps):
    assert owner_client.post("/steps/nope/complete/").status_code == 404
    assert owner_client.post("/steps/reflect/exercises/not-an-exercise/").status_code == 404


def test_get_to_a_state_changing_path_is_405(owner_client, steps):
    assert owner_client.get("/steps/reflect/complete/").status_code == 405
    assert owner_client.get("/steps/reflect/revisit/").status_code == 405
    assert owner_client.get("/progress/check-in/").status_code == 405


def test_answered_prompts_link_to_their_entries(owner_client, owner, steps):
    from recovery.content import library

    prompt = library().steps["reflect"].prompts[0].id
    entry = Entry.objects.create(owner=owner, step=steps["reflect"], prompt=prompt, body="x")
    body = owner_client.get("/steps/reflect/").content.decode()
    assert "Answered" in body
    assert f'href="/journal/{entry.code}/"' in body


def test_visitor_progress_is_kept_in_the_session_and_merged_on_login(client, owner, steps):
    from recovery.content import library

    exercise = library().steps["reflect"].exercises[0].id
    client.get("/steps/reflect/")
    client.post("/steps/acknowledge-feelings/complete/")
    client.post(f"/steps/reflect/exercises/{exercise}/", {"done": "1"})
    assert 'aria-pressed="true"' in client.get("/steps/reflect/").content.decode()
    # The account already has its own progress: neither side may be lost.
    StepProgress.objects.create(user=owner, step=steps["grieving"], status=Status.COMPLETED)
    response = client.post("/accounts/login/", {"login": owner.email, "password": owner.raw_password})
    assert response.status_code == 302
    statuses = dict(StepProgress.objects.filter(user=owner).values_list("step__slug", "status"))
    assert statuses == {
        "reflect": Status.IN_PROGRESS,
        "acknowledge-feelings": Status.COMPLETED,
        "grieving": Status.COMPLETED,
    }
    assert ExerciseTick.objects.filter(user=owner, exercise=exercise).exists()


def test_merge_never_moves_a_completed_step_backwards(client, owner, steps):
    StepProgress.objects.create(user=owner, step=steps["reflect"], status=Status.COMPLETED)
    client.get("/steps/reflect/")  # a visitor's "in progress"
    client.post("/accounts/login/", {"login": owner.email, "password": owner.raw_password})
    assert progress_of(owner, "reflect").status == Status.COMPLETED


def test_dashboard_shows_bar_path_and_continue(owner_client, owner, steps):
    owner_client.post("/steps/acknowledge-feelings/complete/")
    owner_client.post("/steps/reflect/complete/")
    owner_client.get("/steps/boundaries/")
    body = owner_client.get("/progress/").content.decode()
    assert "2 of 8 core steps completed" in body
    assert '<progress id="core-progress" class="progress-bar" max="8" value="2">' in body
    assert "Continue where you left off: Set boundaries" in body


def test_continue_falls_back_to_the_next_step_in_order(owner_client, steps):
    owner_client.post("/steps/acknowledge-feelings/complete/")
    body = owner_client.get("/progress/").content.decode()
    assert "Continue where you left off: Set boundaries" in body


def test_mood_chart_and_table_show_the_same_days(owner_client, owner, steps):
    now = timezone.now()
    Entry.objects.create(owner=owner, body="a", mood=2, created_at=now - timedelta(days=3))
    Entry.objects.create(owner=owner, body="b", mood=4, created_at=now - timedelta(days=3))
    Entry.objects.create(owner=owner, body="c", mood=5, created_at=now - timedelta(days=1))
    Entry.objects.create(owner=owner, body="d", mood=4, created_at=now)
    Entry.objects.create(owner=owner, body="old", mood=1, created_at=now - timedelta(days=120))
    body = owner_client.get("/progress/").content.decode()
    assert body.count('<line class="dot"') == 3
    assert "<td>3.0</td>" in body and "<td>5.0</td>" in body
    assert "<td>1.0</td>" not in body
    assert "<figcaption>" in body and "<script" not in body.split("<main", 1)[1]
    # The axis is in words, in HTML, so it reads at full size on a phone.
    assert '<ul class="mood-chart__y" aria-hidden="true"><li>Very good</li>' in body


def test_mood_chart_waits_kindly_for_a_few_days(owner_client, owner, steps):
    Entry.objects.create(owner=owner, body="a", mood=3, created_at=timezone.now())
    body = owner_client.get("/progress/").content.decode()
    assert '<line class="dot"' not in body
    assert "Your chart appears after 3 days with a mood: you have 1 so far." in body
    assert "<td>3.0</td>" in body  # the table shows what there is


@pytest.mark.parametrize(
    ("query", "days"), [("?days=30", 30), ("?days=365", 365), ("?days=7", 90), ("?days=x", 90), ("", 90)]
)
def test_mood_chart_period_is_30_90_or_365_days(owner_client, owner, steps, query, days):
    Entry.objects.create(owner=owner, body="old", mood=2, created_at=timezone.now() - timedelta(days=200))
    body = owner_client.get(f"/progress/{query}").content.decode()
    assert f"Your mood, last {days} days" in body
    assert f'href="?days={days}#mood-heading" aria-current="true"' in body
    assert ("<td>2.0</td>" in body) == (days == 365)


def test_calendar_strip_marks_days_with_entries_without_a_streak(owner_client, owner, steps):
    Entry.objects.create(owner=owner, body="a", created_at=timezone.now() - timedelta(days=2))
    body = owner_client.get("/progress/").content.decode()
    assert "1 of the last 30 days" in body
    assert body.count('class="wrote"') == 1
    assert "streak" not in body.lower()


def test_check_in_saves_a_journal_entry(owner_client, owner, steps):
    response = owner_client.post(
        "/progress/check-in/", {"mood": "4", "note": "a little lighter"}, follow=True
    )
    assert "Thank you for checking in" in response.content.decode()
    entry = Entry.objects.get(owner=owner)
    assert entry.kind == Entry.Kind.CHECKIN
    assert entry.mood == 4
    assert entry.body == "a little lighter"


def test_check_in_with_a_bad_mood_is_400_and_keeps_the_note(owner_client, owner, steps):
    response = owner_client.post("/progress/check-in/", {"mood": "9", "note": "keep me"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose how you are feeling" in body
    assert 'value="keep me"' in body
    assert not Entry.objects.filter(owner=owner).exists()


def test_dashboard_budget_whatever_the_number_of_entries(
    owner_client, owner, steps, django_assert_max_num_queries
):
    now = timezone.now()
    rows = [
        Entry(
            owner=owner,
            step=list(steps.values())[i % 12],
            body="x",
            mood=1 + i % 5,
            created_at=now - timedelta(hours=i),
        )
        for i in range(600)
    ]
    Entry.objects.bulk_create(rows)
    owner_client.get("/steps/reflect/")
    with django_assert_max_num_queries(6):
        assert owner_client.get("/progress/").status_code == 200


def test_steps_page_budget_signed_in(owner_client, steps, django_assert_max_num_queries):
    owner_client.get("/steps/reflect/")
    with django_assert_max_num_queries(4):
        body = owner_client.get("/steps/").content.decode()
    assert "In progress" in body


def test_another_users_progress_is_never_shown(owner_client, stranger_client, steps):
    owner_client.post("/steps/reflect/complete/")
    body = stranger_client.get("/progress/").content.decode()
    assert "0 of 8 core steps completed" in body


def test_progress_requires_sign_in(client):
    response = client.get("/progress/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_reading_alone_starts_no_session(client, steps):
    from django.contrib.sessions.models import Session

    client.get("/steps/reflect/")
    client.get("/steps/boundaries/")
    assert Session.objects.count() == 0
    assert "sessionid" not in client.cookies


def test_visits_are_kept_once_a_visitor_has_done_something(client, steps):
    client.post("/steps/acknowledge-feelings/complete/")
    client.get("/steps/reflect/")
    body = client.get("/steps/").content.decode()
    assert body.count("In progress") == 1
    assert "Completed" in body


@pytest.mark.parametrize("read", [60, 4], ids=["all-read", "rest-counted"])
def test_a_much_answered_prompt_shows_the_latest_three_and_a_count(
    owner_client, owner, steps, read, monkeypatch
):
    from journal import models
    from recovery.content import library

    monkeypatch.setattr(models, "ANSWERS_READ", read)
    prompt = library().steps["reflect"].prompts[0].id
    now = timezone.now()
    entries = [
        Entry.objects.create(
            owner=owner, step=steps["reflect"], prompt=prompt, body="x", created_at=now - timedelta(days=d)
        )
        for d in range(5)
    ]
    body = owner_client.get("/steps/reflect/").content.decode()
    for entry in entries[:3]:
        assert f'href="/journal/{entry.code}/"' in body
    for entry in entries[3:]:
        assert f'href="/journal/{entry.code}/"' not in body
    assert 'href="/journal/?step=reflect">all 5</a>' in body


def test_continue_goes_to_the_next_core_step_after_a_glance_at_an_optional_one(owner_client, steps):
    from recovery.content import library

    lib = library()
    first, second = lib.core[0], lib.core[1]
    optional = lib.optional[-1]
    owner_client.post(f"/steps/{first.slug}/complete/")
    owner_client.get(optional.get_absolute_url())  # a look at an optional module, last of all
    page = owner_client.get("/progress/").content.decode()
    assert f"Continue where you left off: {second.title}" in page


def test_a_first_visit_then_complete_in_one_request_stores_one_row(owner, steps):
    from recovery.content import library
    from recovery.models import StepProgress
    from recovery.progress import UserTracker

    tracker = UserTracker(owner)
    doc = library().steps["reflect"]
    tracker.visit(doc)
    tracker.complete(doc)
    assert StepProgress.objects.get(user=owner, step__slug="reflect").status == "completed"


def test_dashboard_reads_as_many_rows_for_600_entries_as_for_3(owner_client, owner, steps):
    """Counts per step and moods per day are grouped in the database: the page sends the same
    queries however long the journal is, and none of them returns a row per entry."""

    def queries():
        owner_client.get("/steps/reflect/")
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get("/progress/").status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    now = timezone.now()
    make = [Entry(owner=owner, step=steps["reflect"], mood=3, body="x", created_at=now) for _ in range(3)]
    Entry.objects.bulk_create(make)
    few = queries()
    Entry.objects.bulk_create(
        Entry(
            owner=owner,
            step=list(steps.values())[i % 12],
            mood=1 + i % 5,
            body="x",
            created_at=now - timedelta(hours=i),
        )
        for i in range(600)
    )
    many = queries()
    assert len(many) == len(few) <= 6


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan; PostgreSQL picks by table size")
def test_dashboard_groups_from_indexes_alone(owner, steps):
    entries = Entry.objects.for_user(owner)
    since = timezone.now() - timedelta(days=90)
    assert "USING COVERING INDEX entry_owner_step_prompt" in entries.counts_per_step().explain()
    assert "USING COVERING INDEX entry_owner_day_mood" in entries.moods_per_day(since).explain()


def test_today_after_a_tick_is_read_in_few_queries(owner_client, steps, django_assert_max_num_queries):
    owner_client.post("/steps/reflect/exercises/signs-check/", {"done": "1"})
    with django_assert_max_num_queries(12):
        assert "Welcome back" in owner_client.get("/").content.decode()
