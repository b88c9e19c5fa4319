"""Imports too large for one request, added by the job runner (django-q2, as the reminders are).

The request checks the whole file first (journal/imports.py), so a file with problems is refused
on the spot and adds nothing. A good file is kept, encrypted like entries, in its ImportJob row
until a worker has added it, a batch a transaction, each batch committing the job's progress with
its entries. The page polls that progress. When the job ends the file is removed; the row keeps
counts and entry codes only.

A job is added in runs of PER_RUN entries, each queued by the one before. A worker that dies
mid-run loses nothing: django-q2 hands the run out again, and it goes on after the last batch
committed. A job that shows no progress for STALE (its retries spent, or no worker
running) is reported as stopped, and `sweep` removes its file.
"""

import io
import json
import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from django_q.tasks import async_task

from journal import formats, imports
from journal.crypto import decrypt_bytes, encrypt_bytes
from journal.models import ImportJob

log = logging.getLogger(__name__)
# Longer than a job takes (a 20,000-entry import is about a minute of CPU) and than the job
# runner's timeout (Q_CLUSTER in settings): no progress for this long means no worker has it.
STALE = timedelta(minutes=15)
KEEP_FINISHED = timedelta(days=30)
# Entries a run adds before it queues the rest as a new run. cmarkgfm never frees what it renders
# (about 4.5 KB an entry), so a worker grows with every entry it adds; between runs django-q2
# replaces a worker grown past Q_CLUSTER's max_rss, which keeps a worker's peak the same for an
# import of any size. A multiple of imports.BATCH: a run pauses between batches.
PER_RUN = 2_500
STOPPED_BY_US = (
    "Something went wrong on our side while adding your entries. The entries added so far are "
    "kept: import the same file again and nothing will be added twice."
)
STOPPED_STALE = (
    "This import stopped before it finished. The entries added so far are kept: import the same "
    "file again and nothing will be added twice."
)


class Cancelled(Exception):
    """The person stopped the import while a worker was adding it."""


class _Upload(io.BytesIO):
    """The stored file, read back as the upload it was (imports reads .size)."""

    @property
    def size(self):
        return len(self.getbuffer())


@sensitive_variables()
def start(user, upload, checked, reader="mending"):
    """Keep a checked upload for the job runner and queue it; the job, to show its progress.
    `reader` names its format (formats.READERS), read again with the same options."""
    upload.seek(0)
    job = ImportJob.objects.create(
        owner=user,
        upload=encrypt_bytes(upload.read()),
        reader=reader,
        options=json.dumps(checked.options or {}),
        total=checked.count,
    )
    _queue(job)
    return job


def _queue(job):
    async_task(run, job.pk, task_name=f"import-{job.code}", group="imports")


def is_stale(job, now=None):
    return not job.finished and job.updated_at < (now or timezone.now()) - STALE


def under_way(user):
    """The person's import still being added, if any (a stale one does not count)."""
    job = ImportJob.objects.for_user(user).active().first()
    return job if job and not is_stale(job) else None


def _end(job_id, state, problems=()):
    ImportJob.objects.filter(pk=job_id).update(
        state=state,
        upload=None,
        problems="\n".join(problems),
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


@sensitive_variables()
def run(job_id):
    """The job runner's task: add one import's entries, going on from where it was left."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.finished:  # deleted with its account, cancelled, or done by another worker
            return
        job.state = ImportJob.State.RUNNING
        job.save(update_fields=["state", "updated_at"])
    options = json.loads(job.options) if job.options else {}
    shown_before = list(job.shown)

    def on_batch(report, read):
        shown = shown_before + [str(entry.code) for entry in report.shown]
        still = ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.RUNNING).update(
            read=read,
            added=report.added,
            skipped=report.skipped,
            unlinked=report.unlinked,
            shown=shown[: imports.ImportReport.SHOWN],
            updated_at=timezone.now(),
        )
        if not still:  # cancelled: this batch is rolled back with the raise
            raise Cancelled

    try:
        upload = _Upload(decrypt_bytes(job.upload))
        checked = imports.read_archive(upload, formats.READERS[job.reader], options or None)
        report = imports.ImportReport(added=job.added, skipped=job.skipped, unlinked=job.unlinked)
        report = imports.import_entries(
            job.owner, checked, report=report, after=job.read, on_batch=on_batch, until=PER_RUN
        )
        if report.paused:  # the rest in a next run, perhaps in a fresh worker (see PER_RUN)
            _queue(job)
            return
    except Cancelled:
        return
    except ValidationError as exc:  # the site's steps changed since the file was checked
        _end(job.pk, ImportJob.State.FAILED, exc.messages)
    except Exception as exc:
        # The type only: a message could quote the file.
        log.error("Import %s stopped by %s", job.code, type(exc).__name__)
        _end(job.pk, ImportJob.State.FAILED, [STOPPED_BY_US])
    else:
        _end(job.pk, ImportJob.State.DONE)


def cancel(job):
    """Stop a job: what was added stays; the file is removed at once."""
    ImportJob.objects.filter(pk=job.pk).exclude(state=ImportJob.State.DONE).update(
        state=ImportJob.State.FAILED,
        upload=None,
        problems="You stopped this import. The entries added before you stopped it are kept.",
        finished_at=timezone.now(),
    )


def sweep():
    """Scheduled: end the jobs no worker will finish (their files go), forget old finished ones."""
    now = timezone.now()
    for job in ImportJob.objects.active().filter(updated_at__lt=now - STALE).only("pk"):
        _end(job.pk, ImportJob.State.FAILED, [STOPPED_STALE])
    ImportJob.objects.filter(finished_at__lt=now - KEEP_FINISHED).delete()
