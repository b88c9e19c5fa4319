"""Moods out: the CSV for people who chart elsewhere, and "All time" on the dashboard's chart."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from journal.models import Entry
from recovery.models import Step
from tests.journal_helpers import make_entry

pytestmark = pytest.mark.django_db


def rows_of(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_moods_csv_has_date_mood_word_and_step_of_entries_and_check_ins(owner, owner_client, steps):
    now = timezone.now()
    make_entry(
        owner,
        title="Secret title",
        body="secret words",
        mood=4,
        step=steps["reflect"],
        created_at=now - timedelta(days=2),
    )
    make_entry(
        owner, kind=Entry.Kind.CHECKIN, title="Check-in", body="", mood=1, created_at=now - timedelta(days=1)
    )
    make_entry(owner, title="No mood", created_at=now)
    make_entry(owner, mood=5, deleted_at=now)  # in the trash
    response = owner_client.get("/journal/export/moods.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert {d.strip() for d in response["Cache-Control"].split(",")} == {"private", "no-store"}
    assert (
        response["Content-Disposition"] == f'attachment; filename="moods-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    rows = rows_of(response)
    assert rows[0] == ["date", "time", "mood", "mood_word", "step"]
    day = timezone.localtime(now - timedelta(days=2))
    assert rows[1][0] == f"{day:%Y-%m-%d}" and rows[1][2:] == ["4", "Good", steps["reflect"].title]
    assert rows[2][2:] == ["1", "Very low", ""]
    assert len(rows) == 3
    assert b"secret" not in response.content


def test_a_strangers_moods_csv_has_none_of_the_owners(owner, stranger_client):
    make_entry(owner, mood=3)
    assert rows_of(stranger_client.get("/journal/export/moods.csv")) == [
        ["date", "time", "mood", "mood_word", "step"]
    ]


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_a_step_title_that_looks_like_a_formula_is_kept_as_text(owner, owner_client, steps, start):
    step = steps["reflect"]
    Step.objects.filter(pk=step.pk).update(title=f'{start}HYPERLINK("http://x.example","y")')
    make_entry(owner, mood=2, step=step)
    cell = rows_of(owner_client.get("/journal/export/moods.csv"))[1][4]
    assert cell == f'\'{start}HYPERLINK("http://x.example","y")'


def test_the_progress_page_links_to_the_moods_csv(owner, owner_client, steps):
    make_entry(owner, mood=3)
    assert 'href="/journal/export/moods.csv"' in owner_client.get("/progress/").content.decode()


# All time


def test_all_time_shows_every_day_when_under_a_year(owner, owner_client, steps):
    now = timezone.now()
    for days_ago, mood in ((200, 1), (100, 3), (2, 5)):
        make_entry(owner, mood=mood, created_at=now - timedelta(days=days_ago))
    page = owner_client.get("/progress/?days=all").content.decode()
    assert "Your mood, all time" in page
    assert 'href="?days=all#mood-heading" aria-current="true"' in page
    assert "<td>1.0</td>" in page  # 200 days ago, outside the 90-day default
    assert "each day you noted one" in page
    assert page.count('class="dot"') == 3


def test_all_time_over_years_is_drawn_by_month(owner, owner_client, steps):
    now = timezone.now()
    # Four years of a mood every other day: about 730 days, which would be unreadable as dots.
    for days_ago in range(0, 4 * 365, 2):
        make_entry(owner, mood=days_ago % 5 + 1, created_at=now - timedelta(days=days_ago))
    page = owner_client.get("/progress/?days=all").content.decode()
    assert "each month you noted one (the mean of its days)" in page
    assert 47 <= page.count('class="dot"') <= 50
    assert '<th scope="col">Month</th>' in page


def test_all_time_over_two_years_is_drawn_by_week(owner, owner_client, steps):
    now = timezone.now()
    for days_ago in range(0, 2 * 365, 7):
        make_entry(owner, mood=3, created_at=now - timedelta(days=days_ago))
    page = owner_client.get("/progress/?days=all").content.decode()
    assert "each week you noted one" in page
    assert 104 <= page.count('class="dot"') <= 106
    assert "Week of " in page


def test_all_time_with_no_moods_is_calm(owner_client, steps):
    page = owner_client.get("/progress/?days=all").content.decode()
    assert "No moods yet." in page


def test_all_time_breaks_the_line_over_a_long_stretch_without_moods(owner, owner_client, steps):
    # Found as: two years with nothing noted were drawn as one straight line of mood.
    now = timezone.now()
    for days_ago in (800, 795, 790, 10, 5, 0):
        make_entry(owner, mood=3, created_at=now - timedelta(days=days_ago))
    page = owner_client.get("/progress/?days=all").content.decode()
    assert page.count('<polyline class="line"') == 2
    today = timezone.localdate()
    assert f"to {today.day} {today:%b %Y}. Higher is better." in page  # the year, as the start has
