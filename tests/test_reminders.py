"""Email reminders: only when asked, at the person's own local time, at most one a day even with
several workers, skipped on days they already wrote, and easy to stop from the email."""

import os
import sqlite3
import subprocess
import sys
import threading
import time as clock
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, connections
from django.test import Client

from journal.models import Entry
from me import reminders
from me.models import ReminderSent, ReminderSettings

MONDAY = 0
# Monday 7 December 2026, 13:05 UTC: 08:05 in New York, 14:05 in Berlin, 00:05 Tuesday in Auckland.
NOW = datetime(2026, 12, 7, 13, 5, tzinfo=UTC)
FORM = {"enabled": "on", "weekdays": ["0", "3"], "at": "08:00", "time_zone": "America/New_York"}


def remind(user, at=time(8, 0), zone="America/New_York", weekdays=1 << MONDAY, **more):
    return ReminderSettings.objects.create(
        user=user, enabled=True, weekdays=weekdays, at=at, time_zone=zone, **more
    )


@pytest.fixture
def site_url(settings):
    settings.SITE_URL = "https://mending.example"
    return settings.SITE_URL


# Settings, through the account page


@pytest.mark.django_db
def test_reminders_are_off_by_default(owner_client, owner, mailoutbox):
    assert (
        "Off. We only send reminders if you ask for them." in owner_client.get("/accounts/").content.decode()
    )
    assert 'href="/accounts/reminders/"' in owner_client.get("/accounts/").content.decode()
    assert reminders.send_due_reminders(NOW) == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_the_form_starts_from_the_servers_zone_and_offers_the_browsers(owner_client, settings):
    body = owner_client.get("/accounts/reminders/").content.decode()
    assert "data-detect-time-zone" in body
    assert f'<option value="{settings.TIME_ZONE}" selected>' in body
    assert '<option value="Pacific/Auckland">' in body


@pytest.mark.django_db
def test_turning_reminders_on_and_off_without_javascript(owner_client, owner):
    response = owner_client.post("/accounts/reminders/", FORM)
    assert response.status_code == 302
    row = ReminderSettings.objects.get(user=owner)
    assert row.enabled and row.days() == [0, 3] and row.at == time(8, 0)
    assert row.time_zone == "America/New_York" and not row.show_site_name
    page = owner_client.get("/accounts/").content.decode()
    assert "On: Monday, Thursday at 08:00 (America/New_York)." in page
    assert "data-detect-time-zone" not in owner_client.get("/accounts/reminders/").content.decode()
    owner_client.post("/accounts/reminders/", {**FORM, "enabled": ""})
    assert not ReminderSettings.objects.get(user=owner).enabled


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change,message",
    [
        ({"weekdays": []}, "Choose at least one day"),
        ({"weekdays": ["9"]}, "Choose days of the week"),
        ({"weekdays": ["x\x00"]}, "Choose days of the week"),
        ({"at": "25:99"}, "Enter a time like 19:30."),
        ({"at": "0" * 100_000}, "Enter a time like 19:30."),
        ({"at": "08:00\x00"}, "Enter a time like 19:30."),
        ({"time_zone": "Mars/Olympus"}, "Choose a time zone from the list."),
        ({"time_zone": "UTC\x00"}, "Choose a time zone from the list."),
        ({"time_zone": "A" * 100_000}, "Choose a time zone from the list."),
    ],
)
def test_hostile_settings_are_a_clear_400(owner_client, owner, change, message):
    response = owner_client.post("/accounts/reminders/", {**FORM, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReminderSettings.objects.exists()


@pytest.mark.django_db
def test_signed_out_visitor_gets_the_sign_in_page(client):
    response = client.get("/accounts/reminders/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# The job


@pytest.mark.django_db
def test_a_reminder_is_sent_at_the_persons_local_time_once(owner, mailoutbox, site_url):
    remind(owner)
    assert reminders.send_due_reminders(datetime(2026, 12, 7, 12, 55, tzinfo=UTC)) == 0  # 07:55 there
    assert reminders.send_due_reminders(NOW) == 1
    assert reminders.send_due_reminders(NOW) == 0
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [owner.email]
    assert message.subject == "A moment for yourself"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith(f"<{site_url}/accounts/reminders/stop/")
    assert ReminderSent.objects.get(user=owner).day.isoformat() == "2026-12-07"


@pytest.mark.django_db
def test_the_email_is_neutral(owner, mailoutbox, site_url, steps, settings):
    remind(owner)
    reminders.send_due_reminders(NOW)
    message = mailoutbox[0]
    text = f"{message.subject}\n{message.from_email}\n{message.body}"
    assert settings.SITE_NAME not in text
    for word in ("breakup", "Acknowledge your feelings", "journal", "&amp;"):
        assert word.lower() not in text.lower()


@pytest.mark.django_db
def test_the_site_name_only_when_the_person_allows_it(owner, mailoutbox, site_url, settings):
    remind(owner, show_site_name=True)
    reminders.send_due_reminders(NOW)
    assert settings.SITE_NAME in mailoutbox[0].body
    assert mailoutbox[0].from_email == settings.DEFAULT_FROM_EMAIL


@pytest.mark.django_db
def test_only_on_the_chosen_weekdays_and_not_hours_late(owner, mailoutbox):
    remind(owner, weekdays=1 << 2)  # Wednesdays
    assert reminders.send_due_reminders(NOW) == 0
    ReminderSettings.objects.filter(user=owner).update(weekdays=1 << MONDAY, at=time(1, 0))
    assert reminders.send_due_reminders(NOW) == 0  # 01:00 was seven hours ago there
    assert mailoutbox == []


@pytest.mark.django_db
def test_local_day_follows_the_persons_time_zone(owner, mailoutbox):
    remind(owner, at=time(0, 0), zone="Pacific/Auckland", weekdays=1 << 1)  # Tuesday 00:05 there
    assert reminders.send_due_reminders(NOW) == 1
    assert ReminderSent.objects.get(user=owner).day.isoformat() == "2026-12-08"


@pytest.mark.django_db
def test_skipped_on_a_day_they_already_wrote_or_checked_in(owner, stranger, mailoutbox):
    remind(owner)
    remind(stranger)
    # 07:30 in New York on the day: it counts. The day before does not.
    Entry.objects.create(
        owner=owner, kind=Entry.Kind.CHECKIN, mood=3, created_at=datetime(2026, 12, 7, 12, 30, tzinfo=UTC)
    )
    Entry.objects.create(owner=stranger, body="x", created_at=datetime(2026, 12, 7, 4, 0, tzinfo=UTC))
    assert reminders.send_due_reminders(NOW) == 1
    assert [m.to for m in mailoutbox] == [[stranger.email]]
    assert ReminderSent.objects.get(user=owner).outcome == ReminderSent.Outcome.SKIPPED


@pytest.mark.django_db
def test_a_failed_send_is_neither_lost_nor_recorded(owner, mailoutbox, monkeypatch):
    remind(owner)

    def broken(self, messages):
        raise ConnectionError("mail server went away")

    monkeypatch.setattr(EmailBackend, "send_messages", broken)
    assert reminders.send_due_reminders(NOW) == 0
    assert not ReminderSent.objects.exists()  # the claim was rolled back with the failure
    monkeypatch.undo()
    assert reminders.send_due_reminders(NOW) == 1
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_worker_threads_at_once_send_one_reminder_per_person(make_user, mailoutbox, monkeypatch):
    """Two workers run the job at the same moment, each in its own thread and connection."""
    if connection.vendor == "sqlite":
        pytest.skip("in-memory SQLite shares one cache between threads; the process test covers SQLite")
    people = [make_user(f"person{i}@example.com") for i in range(5)]
    for person in people:
        remind(person)
    send = EmailBackend.send_messages

    def slow(self, messages):
        clock.sleep(0.05)  # hold the claim open while the other worker tries the same person
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", slow)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(reminders.send_due_reminders(NOW))
        except Exception as exc:  # reported below, in the test's own thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == 5
    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in people)
    assert ReminderSent.objects.count() == 5


WORKER = """
import sys, time
import django

django.setup()
from django.core.mail.backends.console import EmailBackend
from me.reminders import send_due_reminders

send = EmailBackend.send_messages
def slow(self, messages):
    time.sleep(0.05)  # hold the claim open while the other worker tries the same person
    return send(self, messages)
EmailBackend.send_messages = slow
now, start = sys.argv[1], float(sys.argv[2])
while time.time() < start:
    time.sleep(0.005)
print("SENT", send_due_reminders(__import__("datetime").datetime.fromisoformat(now)))
"""


def _database_for_workers(tmp_path):
    """A DATABASE_URL other processes can open holding this test's data: PostgreSQL's test
    database itself, or for SQLite (in memory here) a file copy of it."""
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}", None
    path = tmp_path / "workers.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    return f"sqlite:///{path}", path


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_at_once_send_one_reminder_per_person(make_user, settings, tmp_path):
    """Two worker processes run the job at the same moment against one database: PostgreSQL
    when DATABASE_URL is postgres://..., else a SQLite file."""
    people = [make_user(f"person{i}@example.com") for i in range(5)]
    for person in people:
        remind(person)
    url, sqlite_file = _database_for_workers(tmp_path)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "recovery.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "JOURNAL_KEYS": ",".join(settings.JOURNAL_KEYS),
        "SECRET_KEY": settings.SECRET_KEY,
        "LOG_LEVEL": "WARNING",
    }
    root = Path(__file__).resolve().parent.parent
    start = str(clock.time() + 4)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, NOW.isoformat(), start],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], [err for _, err in outputs]
    printed = "".join(out for out, _ in outputs)
    assert printed.count("Subject: A moment for yourself") == 5
    for person in people:
        assert printed.count(f"To: {person.email}") == 1
    assert sorted(int(line.split()[1]) for line in printed.splitlines() if line.startswith("SENT ")) in (
        [0, 5],
        [1, 4],
        [2, 3],
    )
    if sqlite_file:
        with sqlite3.connect(sqlite_file) as db:
            rows = db.execute("SELECT COUNT(*), COUNT(DISTINCT user_id) FROM me_remindersent").fetchone()
        assert rows == (5, 5)
    else:
        assert ReminderSent.objects.count() == 5


# Stopping from the email


@pytest.mark.django_db
def test_the_link_in_the_email_stops_reminders_signed_out(owner, mailoutbox, site_url):
    remind(owner)
    reminders.send_due_reminders(NOW)
    link = next(line for line in mailoutbox[0].body.splitlines() if "/reminders/stop/" in line)
    path = link.removeprefix(site_url)
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(path)
    assert page.status_code == 200 and "Turn reminders off" in page.content.decode()
    assert ReminderSettings.objects.get(user=owner).enabled  # a GET (a link scanner) changes nothing
    response = visitor.post(path)
    assert response.status_code == 200 and "Reminders are off" in response.content.decode()
    assert not ReminderSettings.objects.get(user=owner).enabled


@pytest.mark.django_db
def test_one_click_unsubscribe_per_rfc_8058(owner, site_url):
    remind(owner)
    path = reminders.stop_url(owner.pk).removeprefix(site_url)
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not ReminderSettings.objects.get(user=owner).enabled


@pytest.mark.django_db
def test_a_forged_or_altered_link_is_404(owner, stranger, client):
    remind(owner)
    token = reminders.stop_token(stranger.pk)
    forged = token.replace(token.split(":")[0], str(owner.pk), 1)
    for bad in (forged, "1", "x" * 5000, "%00"):
        assert client.post(f"/accounts/reminders/stop/{bad}/").status_code == 404
    assert ReminderSettings.objects.get(user=owner).enabled


@pytest.mark.django_db
def test_reminders_go_with_the_account(owner_client, owner):
    remind(owner)
    ReminderSent.objects.create(user=owner, day=NOW.date())
    owner_client.post("/accounts/delete/", {"password": owner.raw_password})
    assert not ReminderSettings.objects.exists() and not ReminderSent.objects.exists()


@pytest.mark.django_db
def test_the_schedule_is_in_place_for_the_job_runner():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="send-due-reminders")
    assert schedule.func == "me.reminders.send_due_reminders"
    assert schedule.schedule_type == Schedule.MINUTES and schedule.repeats == -1
