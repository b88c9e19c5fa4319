"""The journal's zip format, written by export and read back by import (journal/imports.py).

A zip holds `entries.json` (everything, the file import reads, with the person's own prompts), one Markdown file per entry
with YAML front matter (for people and other tools), `trash/` for entries in the trash, a
README.txt, and with the account's "download my data" also `progress.json`.
"""

import io
import json
import zipfile

import yaml
from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify
from django.views.decorators.debug import sensitive_variables

from journal.models import Counter, Entry, Mood, OwnPrompt, SafetyPlan
from recovery.content import library
from recovery.models import ExerciseTick, StepProgress

FORMAT = "mending-journal"
FORMAT_VERSION = 1

README = """Your journal, exported from {site}.

entries.json   every entry, with its date, step, prompt and mood, and the prompts you wrote
               yourself; {site}'s "Import" reads this file
entries/       one Markdown file per entry, readable in any text editor
trash/         entries that were in your trash when you exported
{progress}
Keep this file somewhere safe: it is not encrypted.
"""
PROGRESS_LINE = (
    "progress.json  your progress through the steps and the exercises you ticked\n"
    "safety-plan.md your safety plan, if you made one\n"
    "counters.json  the counters you keep, with their earlier counts\n"
)
# libyaml's dumper where PyYAML has it: the pure-Python one took most of a 10,000-entry export.
YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _iso(moment):
    return moment.isoformat() if moment else None


@sensitive_variables()
def _own_prompt_record(prompt):
    return {
        "code": str(prompt.code),
        "text": prompt.text,
        "template": prompt.template,
        "pinned": prompt.pinned,
        "created_at": _iso(prompt.created_at),
        "retired_at": _iso(prompt.retired_at),
    }


@sensitive_variables()
def entry_record(entry, steps, own_prompts=None):
    doc = steps.get(entry.step.slug) if entry.step_id else None
    item = doc.prompt(entry.prompt) if doc and entry.prompt else None
    own = (own_prompts or {}).get(entry.own_prompt_id)
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
        "own_prompt": str(own.code) if own else None,
        "own_prompt_text": own.text if own else None,
        "created_at": _iso(entry.created_at),
        "updated_at": _iso(entry.updated_at),
        "version": entry.version,
        "deleted_at": _iso(entry.deleted_at),
    }


@sensitive_variables()
def markdown_file(record):
    front = {
        "title": record["title"],
        "date": record["created_at"],
        "step": record["step"],
        "step_title": record["step_title"],
        "prompt": record["prompt"],
        "prompt_text": record["prompt_text"],
        "own_prompt_text": record["own_prompt_text"],
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
    return {"steps": steps, "exercises": ticks, "start": user.start_reason or None}


@sensitive_variables()
def _safety_plan(user):
    plan = SafetyPlan.objects.for_user(user).first()
    if plan is None:
        return None
    parts = [f"## {heading}\n\n{text.strip() or '(empty)'}\n" for heading, text in plan.sections()]
    return "# My safety plan\n\n" + "\n".join(parts)


@sensitive_variables()
def _counters(user):
    return [
        {
            "name": counter.name,
            "started_on": counter.started_on.isoformat(),
            "earlier": [
                {"started_on": old.started_on.isoformat(), "ended_on": old.ended_on.isoformat()}
                for old in counter.history.all()
            ],
        }
        for counter in Counter.objects.for_user(user).prefetch_related("history")
    ]


@sensitive_variables()
def build_archive(user, include_progress=False):
    """The bytes of a zip with all of the user's entries (trash included)."""
    steps = library().steps
    records = []
    buffer = io.BytesIO()
    # Few (at most MAX_OWN_PROMPTS), read once; the entries name theirs by code.
    own_prompts = {p.pk: p for p in OwnPrompt.objects.for_user(user).order_by("created_at", "id")}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = Entry.objects.all_for(user).select_related("step").defer("body_html", "excerpt")
        entries = entries.order_by("created_at", "id")
        for entry in entries.iterator(chunk_size=500):
            record = entry_record(entry, steps, own_prompts)
            records.append(record)
            archive.writestr(_file_name(record), markdown_file(record))
        # Before the entries, so an import has the prompts when it meets the entries that answer them.
        document = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "exported_at": _iso(timezone.now()),
            "own_prompts": [_own_prompt_record(p) for p in own_prompts.values()],
        }
        archive.writestr("entries.json", _entries_json(document, records))
        if include_progress:
            archive.writestr("progress.json", json.dumps(_progress(user), ensure_ascii=False, indent=2))
            if plan := _safety_plan(user):
                archive.writestr("safety-plan.md", plan)
            archive.writestr("counters.json", json.dumps(_counters(user), ensure_ascii=False, indent=2))
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
