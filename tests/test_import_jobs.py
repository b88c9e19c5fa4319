# Imports too large for one request: added by the job runner, with their progress shown.
import json
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ

from journal import import_jobs, imports
from journal.models import Entry, ImportJob, OwnPrompt
from tests.journal_helpers import export_json, raw_row, zip_bytes

pytestmark = pytest.mark.django_db


def record(i, **overrides):
    data = {
        "code": str(uuid.uuid4()),
        "kind": "entry",
        "title": f"Day {i}",
        "body": f"Walked by the river, day {i}.",
        "mood": i % 5 + 1,
        "created_at": (timezone.now() - timedelta(hours=i)).isoformat(),
        "version": 1,
    }
    data.update(overrides)
    return data


def archive(count, **overrides):
    return zip_bytes({"entries.json": export_json([record(i, **overrides) for i in range(count)])})


def upload(client, content):
    return client.post(
        "/journal/import/", {"archive": SimpleUploadedFile("journal.zip", content, "application/zip")}
    )


@pytest.fixture
def small_inline(monkeypatch):
    """Send files of more than three entries to the job runner, as 1,001 would be."""
    monkeypatch.setattr(imports, "INLINE_ENTRIES", 3)
    monkeypatch.setattr(imports, "BATCH", 2)


@pytest.fixture
def job_of(owner_client, small_inline):
    def start(count=7, **overrides):
        response = upload(owner_client, archive(count, **overrides))
        assert response.status_code == 302, response.content.decode()[-1500:]
        return ImportJob.objects.get(code=response.url.split("/")[-2])

    return start


def test_ten_thousand_entries_are_imported_in_the_background_with_progress(owner, owner_client):
    # Found as: a 10,000-entry export answered 500 after 30 s and imported nothing.
    content = zip_bytes({"entries.json": export_json([record(i, body=f"Day {i}.") for i in range(10_000)])})
    response = upload(owner_client, content)
    assert response.status_code == 302
    job = ImportJob.objects.get(owner=owner)
    assert response.url == f"/journal/import/{job.code}/"
    assert OrmQ.objects.count() == 1  # queued for the job runner, not added in the request
    assert not Entry.objects.exists()

    page = owner_client.get(response.url).content.decode()
    assert "0 of 10000 entries done" in page
    assert '<meta http-equiv="refresh" content="3">' in page  # updates without JavaScript too

    import_jobs.run(job.pk)  # what a worker does with the queued task: a run of 2,500 entries
    job.refresh_from_db()
    assert (job.state, job.read, job.added) == ("running", 2_500, 2_500)
    assert OrmQ.objects.count() == 2  # the next run is queued, for a worker that may be fresh
    assert "2500 of 10000 entries done" in owner_client.get(response.url).content.decode()
    runs = 1
    while not job.finished and runs < 10:
        import_jobs.run(job.pk)
        runs += 1
        job.refresh_from_db()
    assert runs == 4 and OrmQ.objects.count() == 4
    assert (job.state, job.read, job.added, job.upload) == ("done", 10_000, 10_000, None)
    assert Entry.objects.filter(owner=owner).count() == 10_000
    page = owner_client.get(response.url).content.decode()
    assert "Added 10000 entries to your journal." in page
    assert "http-equiv" not in page and "Stop this import" not in page
    assert "Day 0" in page and "and 9950 more" in page


def test_the_queued_task_runs_through_the_job_runner(owner, owner_client, small_inline, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", True)  # django-q2 runs the task as a worker would, at once
    response = upload(owner_client, archive(7))
    page = owner_client.get(response.url).content.decode()
    assert "Added 7 entries to your journal." in page
    assert Entry.objects.filter(owner=owner).count() == 7


def test_progress_is_polled_with_htmx_until_the_import_ends(owner_client, job_of):
    job = job_of()
    partial = owner_client.get(job.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="import-progress"')
    assert 'hx-trigger="every 2s"' in partial and "<html" not in partial
    import_jobs.run(job.pk)
    partial = owner_client.get(job.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in partial and "Added 7 entries" in partial


def test_import_job_pages_are_the_owners_alone_and_never_kept(owner_client, stranger_client, client, job_of):
    job = job_of()
    for path in (job.get_absolute_url(), f"/journal/import/{job.code}/cancel/"):
        assert stranger_client.get(path).status_code == 404
        assert stranger_client.post(path).status_code == 404
        assert client.get(path).status_code == 302  # to sign in
    response = owner_client.get(job.get_absolute_url())
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert owner_client.post(job.get_absolute_url()).status_code == 405
    job.refresh_from_db()
    assert job.state == "waiting" and job.upload is not None


def test_the_waiting_file_and_the_problems_are_encrypted(owner_client, job_of):
    job = job_of(body="My secret words by the river.")
    row = raw_row("journal_importjob", job.pk)
    assert b"secret" not in bytes(row["upload"]) and bytes(row["upload"]).startswith(b"gAAAA")
    import_jobs.cancel(job)
    row = raw_row("journal_importjob", job.pk)
    assert row["upload"] is None and row["problems"].startswith("gAAAA")


def test_a_worker_that_dies_midway_is_taken_over_without_adding_twice(owner, job_of, monkeypatch):
    job = job_of(7)
    real = imports._checked
    seen = []

    def dies_at_the_fifth(record, steps, latest):
        seen.append(record["title"])
        if len(seen) == 7 + 5:  # the check pass reads all seven, then the fifth to add
            raise SystemExit  # the worker is killed: nothing is caught
        return real(record, steps, latest)

    monkeypatch.setattr(imports, "_checked", dies_at_the_fifth)
    with pytest.raises(SystemExit):
        import_jobs.run(job.pk)
    job.refresh_from_db()
    assert (job.state, job.read, job.added) == ("running", 4, 4)  # two batches of two committed
    assert Entry.objects.filter(owner=owner).count() == 4

    monkeypatch.setattr(imports, "_checked", real)
    import_jobs.run(job.pk)  # django-q2 hands the task out again
    job.refresh_from_db()
    assert (job.state, job.read, job.added, job.skipped) == ("done", 7, 7, 0)
    titles = sorted(Entry.objects.filter(owner=owner).values_list("title", flat=True))
    assert titles == sorted(f"Day {i}" for i in range(7))


def test_stopping_an_import_keeps_what_was_added_and_removes_the_file(
    owner, owner_client, job_of, monkeypatch
):
    job = job_of(7)
    real = imports._checked
    seen = []

    def stopped_during_the_second_batch(record, steps, latest):
        seen.append(1)
        if len(seen) == 7 + 3:
            response = owner_client.post(f"/journal/import/{job.code}/cancel/")
            assert response.status_code == 302 and response.url == job.get_absolute_url()
        return real(record, steps, latest)

    monkeypatch.setattr(imports, "_checked", stopped_during_the_second_batch)
    import_jobs.run(job.pk)
    job.refresh_from_db()
    assert job.state == "failed" and job.upload is None
    assert Entry.objects.filter(owner=owner).count() == 2  # the first batch; the second rolled back
    page = owner_client.get(job.get_absolute_url()).content.decode()
    assert "You stopped this import" in page and "2 entries were added before it stopped" in page
    import_jobs.run(job.pk)  # a task handed out again does nothing
    assert Entry.objects.filter(owner=owner).count() == 2


def test_a_second_big_import_waits_for_the_first(owner_client, job_of):
    job_of()
    response = upload(owner_client, archive(5))
    assert response.status_code == 409
    assert "An import is already under way" in response.content.decode()
    assert ImportJob.objects.count() == 1


def test_a_file_with_problems_is_refused_in_the_request_and_nothing_is_queued(owner_client, small_inline):
    content = zip_bytes({"entries.json": export_json([record(i) for i in range(5)] + [record(9, mood=7)])})
    response = upload(owner_client, content)
    assert response.status_code == 400
    assert "Entry 6 (“Day 9”): its mood 7 is not a whole number from 1 to 5." in response.content.decode()
    assert not ImportJob.objects.exists() and not OrmQ.objects.exists()


def test_a_file_the_worker_cannot_add_says_why_and_adds_nothing(owner, owner_client, job_of, monkeypatch):
    job = job_of()

    def steps_changed(*args):
        raise ValidationError("Entry 3 (“Day 2”): its prompt “gone” is not one of the prompts of the step.")

    monkeypatch.setattr(imports, "read_archive", steps_changed)
    import_jobs.run(job.pk)
    page = owner_client.get(job.get_absolute_url()).content.decode()
    assert "This import stopped" in page and "its prompt “gone” is not one of the prompts" in page
    assert not Entry.objects.exists()


def test_an_error_in_the_worker_is_logged_without_journal_text(
    owner, owner_client, job_of, monkeypatch, caplog
):
    job = job_of(body="My secret words by the river.")

    def breaks(entry):
        raise RuntimeError(f"cannot render {entry.body}")

    monkeypatch.setattr(Entry, "derive", breaks)
    import_jobs.run(job.pk)
    assert "secret" not in caplog.text and "RuntimeError" in caplog.text
    page = owner_client.get(job.get_absolute_url()).content.decode()
    assert "Something went wrong on our side" in page and "nothing will be added twice" in page


def test_a_job_no_worker_finishes_is_reported_and_swept(owner, owner_client, job_of):
    job = job_of()
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=16))
    page = owner_client.get(job.get_absolute_url()).content.decode()
    assert "It stopped before it finished" in page and "http-equiv" not in page
    assert upload(owner_client, archive(5)).status_code == 302  # a stale job does not block another
    import_jobs.sweep()
    job.refresh_from_db()
    assert job.state == "failed" and job.upload is None
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=31))
    import_jobs.sweep()
    assert not ImportJob.objects.filter(pk=job.pk).exists()


def test_rotating_keys_re_encrypts_a_waiting_file(owner, job_of, settings):
    from cryptography.fernet import Fernet

    job = job_of()
    new = Fernet.generate_key().decode()
    settings.JOURNAL_KEYS = [new, *settings.JOURNAL_KEYS]
    call_command("rotate_journal_keys", verbosity=0)
    settings.JOURNAL_KEYS = [new]
    import_jobs.run(job.pk)
    assert Entry.objects.filter(owner=owner).count() == 7


def test_deleting_the_account_deletes_its_import_jobs(owner, job_of):
    job_of()
    owner.delete()
    assert not ImportJob.objects.exists()


def test_another_apps_file_too_big_for_one_request_is_added_by_the_job_with_its_mood_choices(
    owner, owner_client, small_inline
):
    rows = "".join(
        f"2024-03-{day:02d},March {day},Monday,21:30,{'rad' if day % 2 else 'meh'},,,Evening {day}.\n"
        for day in range(1, 8)
    )
    content = ("full_date,date,weekday,time,mood,activities,note_title,note\n" + rows).encode()

    def send(**fields):
        archive = SimpleUploadedFile("daylio.csv", content, "text/csv")
        return owner_client.post("/journal/import/", {"archive": archive, **fields})

    shown = send().context
    assert list(shown["moods"].mapping()) == ["rad", "meh"]
    response = send(confirm="1", digest=shown["digest"], mood_0="4", mood_1="1")
    assert response.status_code == 302
    job = ImportJob.objects.get(owner=owner)
    assert job.reader == "daylio" and not Entry.objects.exists()
    import_jobs.run(job.pk)
    moods = {e.created_at.day: e.mood for e in Entry.objects.filter(owner=owner)}
    assert moods == {day: 4 if day % 2 else 1 for day in range(1, 8)}


def test_an_htmx_post_is_sent_to_the_progress_page_by_htmx(owner_client, small_inline):
    archive = SimpleUploadedFile(
        "journal.zip", zip_bytes({"entries.json": export_json([record(i) for i in range(5)])})
    )
    response = owner_client.post("/journal/import/", {"archive": archive}, headers={"HX-Request": "true"})
    job = ImportJob.objects.get()
    assert response.status_code == 200 and response["HX-Redirect"] == job.get_absolute_url()


@pytest.mark.parametrize("prompts_first", [True, False], ids=["prompts-first", "prompts-last"])
def test_a_background_import_brings_own_prompts_and_links_their_answers(
    owner, owner_client, small_inline, prompts_first
):
    code = "0b8a3a6e-5d0c-4d0e-9b7b-1a2b3c4d5e6f"
    entries = [record(i, own_prompt=code if i % 2 else None) for i in range(7)]
    prompts = [{"code": code, "text": "What did I need?", "created_at": "2026-01-01T10:00:00+00:00"}]
    fields = [("own_prompts", prompts), ("entries", entries)]
    document = dict(fields if prompts_first else fields[::-1], format="mending-journal", version=1)
    response = upload(owner_client, zip_bytes({"entries.json": json.dumps(document)}))
    import_jobs.run(ImportJob.objects.get(code=response.url.split("/")[-2]).pk)
    prompt = OwnPrompt.objects.get(owner=owner)
    linked = sorted(e.title for e in Entry.objects.filter(owner=owner, own_prompt=prompt))
    assert linked == ["Day 1", "Day 3", "Day 5"]
