"""Today: the signed-in home page, its small thing to try, its prompt, check-in and counters."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django.utils.html import escape

from journal.models import Counter, CounterReset, Entry
from recovery.content import library
from recovery.models import ExerciseTick

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def test_visitor_still_gets_the_home_page(client, steps):
    body = client.get("/").content.decode()
    assert "You do not have to carry this alone" in body
    assert "Try this today" not in body


def test_today_offers_the_current_steps_first_exercise_and_an_unanswered_prompt(owner_client, steps):
    response = owner_client.get("/")
    body = response.content.decode()
    doc = library().steps["acknowledge-feelings"]
    assert "Try this today" in body
    assert escape(doc.try_today.text) in body
    assert f'href="/journal/new/?step=acknowledge-feelings&amp;prompt={doc.prompts[0].id}"' in body
    assert "Write about this" in body
    assert "streak" not in body.lower()


def test_today_uses_the_steps_try_today_and_in_brief(owner_client, steps):
    doc = library().steps["acknowledge-feelings"]
    assert doc.try_today is not None and doc.try_today != doc.exercises[0]
    body = owner_client.get("/").content.decode()
    assert escape(doc.try_today.text) in body
    for line in doc.in_brief:
        assert f"<li>{line}</li>" in body


def test_the_prompt_moves_on_once_answered(owner_client, owner, steps):
    doc = library().steps["acknowledge-feelings"]
    Entry.objects.create(owner=owner, step=steps[doc.slug], prompt=doc.prompts[0].id, body="x")
    body = owner_client.get("/").content.decode()
    assert f"prompt={doc.prompts[1].id}" in body


def test_ticking_without_javascript_comes_back_to_today(owner_client, owner, steps):
    exercise = library().steps["acknowledge-feelings"].try_today.id
    response = owner_client.post(f"/today/exercises/acknowledge-feelings/{exercise}/", {"done": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/#try-today"
    assert ExerciseTick.objects.filter(user=owner, exercise=exercise).exists()
    assert 'aria-pressed="true"' in owner_client.get("/").content.decode()


def test_ticking_with_htmx_answers_only_that_part(owner_client, owner, steps):
    exercise = library().steps["acknowledge-feelings"].try_today.id
    response = owner_client.post(
        f"/today/exercises/acknowledge-feelings/{exercise}/", {"done": "1"}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="card today-item" id="try-today"')
    assert 'aria-pressed="true"' in body and "<html" not in body


def test_ticking_an_unknown_exercise_is_404(owner_client, steps):
    assert owner_client.post("/today/exercises/acknowledge-feelings/nope/").status_code == 404
    assert owner_client.post("/today/exercises/nope/nope/").status_code == 404


def test_check_in_from_today_without_javascript_comes_back(owner_client, owner, steps):
    response = owner_client.post("/progress/check-in/", {"mood": "3", "note": "ok", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/#today-checkin"
    entry = Entry.objects.get(owner=owner, kind=Entry.Kind.CHECKIN)
    assert entry.mood == 3
    assert "Thank you for checking in" in owner_client.get("/").content.decode()


def test_check_in_from_today_with_htmx_happens_in_place(owner_client, owner, steps):
    response = owner_client.post("/progress/check-in/", {"mood": "4", "next": "/"}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="today-checkin"' in body and "Thank you for checking in" in body and "<html" not in body


def test_check_in_errors_from_today_are_a_clear_400(owner_client, owner, steps):
    response = owner_client.post("/progress/check-in/", {"mood": "9", "next": "/"})
    assert response.status_code == 400
    assert "Choose how you are feeling." in response.content.decode()
    response = owner_client.post(
        "/progress/check-in/", {"mood": "2", "note": "a\x00b", "next": "/"}, headers=HTMX
    )
    assert response.status_code == 400
    assert "cannot store" in response.content.decode()
    assert not Entry.objects.filter(owner=owner).exists()


def test_check_in_ignores_a_next_that_leaves_the_site(owner_client, steps):
    response = owner_client.post("/progress/check-in/", {"mood": "3", "next": "https://evil.example/"})
    assert response["Location"] == "/progress/"


def test_a_counter_is_named_by_its_person_and_encrypted_at_rest(owner_client, owner, steps):
    response = owner_client.post("/today/counters/", {"name": "days since I last wrote to them"})
    assert response.status_code == 302
    counter = Counter.objects.get(owner=owner)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM journal_counter WHERE id = %s", [counter.pk])
        raw = cursor.fetchone()[0]
    assert "last wrote" not in raw
    body = owner_client.get("/").content.decode()
    assert "days since I last wrote to them" in body


def test_a_counter_can_start_in_the_past_and_counts_days(owner_client, owner, steps):
    start = timezone.localdate() - timedelta(days=12)
    owner_client.post("/today/counters/", {"name": "since the end", "started_on": start.isoformat()})
    assert "<strong>12</strong> days: since the end" in owner_client.get("/").content.decode()


def test_starting_again_is_one_tap_kind_and_keeps_the_old_count(owner_client, owner, steps):
    counter = Counter.objects.create(
        owner=owner, name="no contact", started_on=timezone.localdate() - timedelta(days=40)
    )
    response = owner_client.post(f"/today/counters/{counter.code}/reset/", follow=True)
    body = response.content.decode()
    assert "Starting again is part of it" in body
    counter.refresh_from_db()
    assert counter.started_on == timezone.localdate()
    old = CounterReset.objects.get(counter=counter)
    assert old.days == 40
    assert "Earlier counts, all part of it: 40 days" in body
    for word in ("fail", "broke", "streak", "lost"):
        assert word not in body.lower()


def test_starting_again_with_htmx_answers_the_counters_part(owner_client, owner, steps):
    counter = Counter.objects.create(
        owner=owner, name="n", started_on=timezone.localdate() - timedelta(days=3)
    )
    response = owner_client.post(f"/today/counters/{counter.code}/reset/", headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card today-item" id="counters"')
    assert "Starting again is part of it" in body


def test_turning_a_counter_off_removes_it_and_its_history(owner_client, owner, steps):
    counter = Counter.objects.create(owner=owner, name="n", started_on=timezone.localdate())
    owner_client.post(f"/today/counters/{counter.code}/remove/")
    assert not Counter.objects.filter(pk=counter.pk).exists()


@pytest.mark.parametrize(
    "data,message",
    [
        ({"name": ""}, "Give the counter a name."),
        ({"name": "a\x00b"}, "cannot store"),
        ({"name": "x" * 100_000}, "under 80 characters"),
        ({"name": "ok", "started_on": "not a date"}, "Enter a date"),
        ({"name": "ok", "started_on": "9999-01-01"}, "today or a day before"),
        ({"name": "ok", "started_on": "0001-01-01"}, "after 1900"),
    ],
)
def test_hostile_counter_input_is_a_clear_400(owner_client, owner, steps, data, message):
    response = owner_client.post("/today/counters/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Counter.objects.exists()


def test_at_most_ten_counters(owner_client, owner, steps):
    for i in range(10):
        Counter.objects.create(owner=owner, name=f"c{i}", started_on=timezone.localdate())
    response = owner_client.post("/today/counters/", {"name": "one more"})
    assert response.status_code == 400
    assert "up to 10 counters" in response.content.decode()


def test_stranger_gets_404_for_someone_elses_counter(owner, stranger_client, steps):
    counter = Counter.objects.create(owner=owner, name="Quince counter", started_on=timezone.localdate())
    assert stranger_client.post(f"/today/counters/{counter.code}/reset/").status_code == 404
    assert stranger_client.post(f"/today/counters/{counter.code}/remove/").status_code == 404
    assert "Quince counter" not in stranger_client.get("/").content.decode()
    assert Counter.objects.filter(pk=counter.pk).exists()


def test_signed_out_posts_go_to_sign_in(client, owner, steps):
    counter = Counter.objects.create(owner=owner, name="n", started_on=timezone.localdate())
    for url in ("/today/counters/", f"/today/counters/{counter.code}/reset/", "/today/exercises/reflect/x/"):
        response = client.post(url, {"name": "x"})
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_today_reads_in_few_queries(owner_client, owner, steps, django_assert_max_num_queries):
    for i in range(5):
        counter = Counter.objects.create(owner=owner, name=f"c{i}", started_on=timezone.localdate())
        CounterReset.objects.create(
            counter=counter, started_on=timezone.localdate(), ended_on=timezone.localdate()
        )
    owner_client.get("/")
    with django_assert_max_num_queries(12):
        owner_client.get("/")


def test_counters_are_in_the_download_and_re_encrypted_on_rotation(owner_client, owner, settings):
    counter = Counter.objects.create(owner=owner, name="since the move", started_on=timezone.localdate())
    CounterReset.objects.create(
        counter=counter, started_on=timezone.localdate(), ended_on=timezone.localdate()
    )
    archive = zipfile.ZipFile(io.BytesIO(owner_client.get("/accounts/download/").content))
    exported = json.loads(archive.read("counters.json"))
    assert exported[0]["name"] == "since the move" and len(exported[0]["earlier"]) == 1

    settings.JOURNAL_KEYS = [Fernet.generate_key().decode(), *settings.JOURNAL_KEYS]
    call_command("rotate_journal_keys", stdout=io.StringIO())
    settings.JOURNAL_KEYS = settings.JOURNAL_KEYS[:1]
    assert Counter.objects.get(pk=counter.pk).name == "since the move"


def test_a_new_account_confirmed_in_another_browser_is_welcomed_not_welcomed_back(owner_client):
    """Signed in by the form in a browser that never saw the sign-up: nothing done yet."""
    page = owner_client.get("/").content.decode()
    assert "Welcome. We are glad you are here." in page
    assert 'href="/start/"' in page


def test_the_check_in_on_today_uses_the_labelled_mood_tiles(owner_client):
    page = owner_client.get("/").content.decode()
    section = page[page.index('id="today-checkin"') :]
    assert section.count('class="choice__tile"') == 5
