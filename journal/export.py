"""The journal's zip format, written by export and read back by import.

A zip holds `entries.json` (everything, the file import reads), one Markdown file per entry
with YAML front matter (for people and other tools), `trash/` for entries in the trash, a
README.txt, and with the account's "download my data" also `progress.json`.
"""

import io
import json
import uuid
import zipfile
from dataclasses import dataclass, field

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify
from django.views.decorators.debug import sensitive_variables

from journal.forms import BODY_LIMIT, TITLE_LIMIT
from journal.models import Entry, Mood
from recovery.content import library
from recovery.models import ExerciseTick, Step, StepProgress

FORMAT = "mending-journal"
FORMAT_VERSION = 1
MAX_UPLOAD = 50 * 1024 * 1024
MAX_REQUEST = MAX_UPLOAD + 64 * 1024  # the file plus the form around it
MAX_JSON = 200 * 1024 * 1024
MAX_ENTRIES = 100_000
MAX_PROBLEMS_SHOWN = 10

README = """Your journal, exported from {site}.

entries.json   every entry, with its date, step, prompt and mood; {site}'s "Import" reads this file
entries/       one Markdown file per entry, readable in any text editor
trash/         entries that were in your trash when you exported
{progress}
Keep this file somewhere safe: it is not encrypted.
"""
PROGRESS_LINE = "progress.json  your progress through the steps and the exercises you ticked\n"
# libyaml's dumper where PyYAML has it: the pure-Python one took most of a 10,000-entry export.
YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _iso(moment):
    return moment.isoformat() if moment else None


@sensitive_variables()
def _entry_record(entry, steps):
    doc = steps.get(entry.step.slug) if entry.step_id else None
    item = doc.prompt(entry.prompt) if doc and entry.prompt else None
    return {
        "code": str(entry.code),
        "kind": entry.kind,
        "title": entry.title,
        "body": entry.body,
        "mood": entry.mood,
        "step": entry.step.slug if entry.step_id else None,
        "step_title": entry.step.title if entry.step_id else None,
        "prompt": entry.prompt or None,
        "prompt_text": item.text if item else None,
        "created_at": _iso(entry.created_at),
        "updated_at": _iso(entry.updated_at),
        "version": entry.version,
        "deleted_at": _iso(entry.deleted_at),
    }


@sensitive_variables()
def _markdown_file(record):
    front = {
        "title": record["title"],
        "date": record["created_at"],
        "step": record["step"],
        "step_title": record["step_title"],
        "prompt": record["prompt"],
        "prompt_text": record["prompt_text"],
        "mood": record["mood"],
        "mood_label": Mood(record["mood"]).label if record["mood"] else None,
        "kind": record["kind"],
        "code": record["code"],
    }
    front = {k: v for k, v in front.items() if v not in (None, "")}
    header = yaml.dump(front, Dumper=YAML_DUMPER, allow_unicode=True, sort_keys=False, width=100)
    return f"---\n{header}---\n\n{record['body']}\n"


def _file_name(record):
    folder = "trash" if record["deleted_at"] else "entries"
    stamp = parse_datetime(record["created_at"]).strftime("%Y-%m-%d-%H%M")
    words = slugify(record["title"])[:40].strip("-") or record["kind"]
    return f"{folder}/{stamp}-{words}-{record['code'][:8]}.md"


def _progress(user):
    steps = [
        {
            "step": row.step.slug,
            "step_title": row.step.title,
            "status": row.status,
            "started_at": _iso(row.started_at),
            "completed_at": _iso(row.completed_at),
            "last_visited_at": _iso(row.last_visited_at),
        }
        for row in StepProgress.objects.filter(user=user).select_related("step").order_by("step__order")
    ]
    ticks = [
        {"step": tick.step.slug, "exercise": tick.exercise, "created_at": _iso(tick.created_at)}
        for tick in ExerciseTick.objects.filter(user=user).select_related("step").order_by("created_at")
    ]
    return {"steps": steps, "exercises": ticks}


@sensitive_variables()
def build_archive(user, include_progress=False):
    """The bytes of a zip with all of the user's entries (trash included)."""
    steps = library().steps
    records = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = Entry.objects.all_for(user).select_related("step").defer("body_html", "excerpt")
        entries = entries.order_by("created_at", "id")
        for entry in entries.iterator(chunk_size=500):
            record = _entry_record(entry, steps)
            records.append(record)
            archive.writestr(_file_name(record), _markdown_file(record))
        document = {"format": FORMAT, "version": FORMAT_VERSION, "exported_at": _iso(timezone.now())}
        archive.writestr("entries.json", _entries_json(document, records))
        if include_progress:
            archive.writestr("progress.json", json.dumps(_progress(user), ensure_ascii=False, indent=2))
        readme = README.format(site=settings.SITE_NAME, progress=PROGRESS_LINE if include_progress else "")
        archive.writestr("README.txt", readme)
    return buffer.getvalue()


def _entries_json(document, records):
    """The document with its entries, one entry a line: still easy to read and compare, and
    written by json's C encoder (indent= takes the pure-Python one, a third of the time of a
    10,000-entry export)."""
    head = json.dumps(document, ensure_ascii=False)[:-1]
    lines = ",\n".join(json.dumps(record, ensure_ascii=False) for record in records)
    return f'{head}, "entries": [\n{lines}\n]}}\n'


def export_response(user, include_progress=False):
    """A download of everything in the user's journal; with progress for the account page."""
    data = build_archive(user, include_progress=include_progress)
    name = "my-data" if include_progress else "journal"
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate():%Y-%m-%d}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response


# Reading an export back


class MemoryUpload(MemoryFileUploadHandler):
    """Keep an uploaded export in memory. It is journal text in the clear, and Django would
    write any upload over 2.5 MB to a temporary file on disk."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.activated = content_length is not None and content_length <= MAX_REQUEST


def too_big(size):
    return ValidationError(
        f"This file is {size / 1024 / 1024:.0f} MB; an export is at most {MAX_UPLOAD // 1024 // 1024} MB.",
        code="too_big",
    )


@dataclass
class ImportReport:
    added: list = field(default_factory=list)  # the new Entry rows
    skipped: int = 0  # already in the journal (same code)
    unlinked: int = 0  # their step no longer exists; imported without it
    recoded: int = 0  # their code was taken; imported under a new one

    @property
    def total(self):
        return len(self.added) + self.skipped


def _not_export(reason):
    return ValidationError(
        f"This file is not a journal export from this site: {reason}. "
        "Choose the .zip you downloaded from “Export”.",
        code="not_export",
    )


@sensitive_variables()
def read_archive(upload):
    """The entries of an uploaded export, checked; raises ValidationError saying what is wrong."""
    if upload.size > MAX_UPLOAD:
        raise too_big(upload.size)
    try:
        with zipfile.ZipFile(upload) as archive:
            try:
                info = archive.getinfo("entries.json")
            except KeyError:
                raise _not_export("it has no entries.json inside") from None
            if info.file_size > MAX_JSON:
                raise _not_export("its entries.json is far larger than any export")
            raw = archive.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError):
        raise ValidationError(
            "This file is not a zip file, or it is damaged. Choose the .zip you downloaded from “Export”.",
            code="not_zip",
        ) from None
    except (RuntimeError, NotImplementedError):
        raise ValidationError(
            "This zip is encrypted or uses a compression we cannot read.", code="not_zip"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"entries.json is not valid UTF-8 text (the first bad byte is at position {exc.start}). "
            "Nothing was imported.",
            code="not_utf8",
        ) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _not_export(f"entries.json is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _not_export(f'entries.json does not say "format": "{FORMAT}"')
    if document.get("version") != FORMAT_VERSION:
        raise ValidationError(
            f"This export has format version {document.get('version')!r}; this site reads version "
            f"{FORMAT_VERSION}.",
            code="version",
        )
    records = document.get("entries")
    if not isinstance(records, list):
        raise _not_export("entries.json has no list of entries")
    if len(records) > MAX_ENTRIES:
        raise ValidationError(f"An import holds at most {MAX_ENTRIES:,} entries.", code="too_many")
    problems, items = [], []
    for number, record in enumerate(records, start=1):
        try:
            items.append(_checked(record))
        except ValueError as exc:
            problems.append(f"Entry {number}: {exc}")
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        if len(problems) > len(shown):
            shown.append(f"… and {len(problems) - len(shown)} more.")
        raise ValidationError(
            ["Nothing was imported, because some entries in the file cannot be read:", *shown],
            code="bad_entries",
        )
    return items


def _text(record, name, most):
    value = record.get(name) or ""
    if not isinstance(value, str):
        raise ValueError(f"its {name} is not text")
    if "\x00" in value:
        raise ValueError(f"its {name} contains a NUL character, which cannot be saved")
    if len(value) > most:
        raise ValueError(f"its {name} is {len(value):,} characters long; the limit is {most:,}")
    return value


def _moment(record, name, required):
    value = record.get(name)
    if value is None and not required:
        return None
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        raise ValueError(f"its {name} {value!r} is not a date and time")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


@sensitive_variables()
def _checked(record):
    if not isinstance(record, dict):
        raise ValueError("it is not a set of fields")
    try:
        code = uuid.UUID(str(record.get("code")))
    except ValueError:
        raise ValueError(f"its code {record.get('code')!r} is not a UUID") from None
    mood = record.get("mood")
    if mood is not None and (isinstance(mood, bool) or mood not in Mood.values):
        raise ValueError(f"its mood {mood!r} is not a whole number from 1 to 5")
    kind = record.get("kind") or Entry.Kind.ENTRY
    if kind not in Entry.Kind.values:
        raise ValueError(f"its kind {kind!r} is not one of {', '.join(Entry.Kind.values)}")
    step, prompt = record.get("step"), record.get("prompt") or ""
    if step is not None and not isinstance(step, str) or not isinstance(prompt, str) or len(prompt) > 100:
        raise ValueError("its step or prompt is not a short name")
    version = record.get("version") or 1
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"its version {version!r} is not a whole number from 1 up")
    return {
        "code": code,
        "kind": kind,
        "title": _text(record, "title", TITLE_LIMIT),
        "body": _text(record, "body", BODY_LIMIT),
        "mood": mood,
        "step": step or None,
        "prompt": prompt,
        "created_at": _moment(record, "created_at", required=True),
        "deleted_at": _moment(record, "deleted_at", required=False),
        "version": version,
    }


@sensitive_variables()
def import_entries(user, items):
    """Add the entries the user does not have yet, all in one transaction."""
    report = ImportReport()
    slugs = {item["step"] for item in items if item["step"]}
    steps = {s.slug: s for s in Step.objects.filter(slug__in=slugs)}
    seen = set()
    codes = [item["code"] for item in items]
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        seen |= set(Entry.objects.all_for(user).filter(code__in=chunk).values_list("code", flat=True))
    with transaction.atomic():
        for item in items:
            if item["code"] in seen:
                report.skipped += 1
                continue
            seen.add(item["code"])
            step = steps.get(item["step"]) if item["step"] else None
            if item["step"] and step is None:
                report.unlinked += 1
            entry = Entry(
                owner=user,
                code=item["code"],
                kind=item["kind"],
                step=step,
                prompt=item["prompt"] if step else "",
                title=item["title"],
                body=item["body"],
                mood=item["mood"],
                created_at=item["created_at"],
                deleted_at=item["deleted_at"],
                version=item["version"],
            )
            try:
                with transaction.atomic():
                    entry.save()
            except IntegrityError:
                if Entry.objects.all_for(user).filter(code=item["code"]).exists():
                    # The same archive imported at the same moment, in another tab: that
                    # import added this entry, so it is skipped here, not doubled.
                    report.skipped += 1
                    continue
                # The code belongs to an entry in another account (an export imported into a
                # second account): keep the text under a fresh code instead of refusing it.
                entry.code = uuid.uuid4()
                entry.save()
                report.recoded += 1
            report.added.append(entry)
    return report
