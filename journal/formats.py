"""Readers of the files other journal apps export: Day One, Daylio, jrnl and Markdown.

Each reader has the shape of imports._walk: it reads an upload a piece at a time and calls
on_entry(number, record) once per entry with a record like those of our own entries.json, so
every entry passes through the same checks (imports._checked) and is added by the same batched
imports.import_entries. A record also says where in the file it came from ("line 5", a file's
name), for the messages.

An entry's code comes from the file: Day One's uuid, the `code` our own Markdown export writes,
or else a keyed hash of the format, the date and the words (keyed, so that an entry's address
does not let anyone test a guess of a short Daylio row), counted when a file holds the same entry
twice. The same file imported again therefore adds nothing.
"""

import codecs
import csv
import hashlib
import hmac
import html
import re
import uuid
import zipfile
import zlib
from collections import Counter
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import yaml
from django.core.exceptions import ValidationError
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables

from journal import imports
from journal.models import Mood

NAMES = {
    "mending": "an export from this site",
    "dayone": "Day One",
    "daylio": "Daylio",
    "jrnl": "jrnl",
    "markdown": "Markdown files",
}
SOURCE_NAMESPACE = uuid.UUID("0b6f3f7e-2d55-4c1e-9a53-5b0e6f2f8c41")
HEAD = 64 * 1024  # what detect() looks at
MAX_FRONT_MATTER = 64 * 1024
MAX_LABELS = 30  # distinct Daylio moods: five, or a few more when someone made their own
MAX_LABEL = 40
MAX_TAGS = 50
MAX_COLUMNS = 50

# Daylio's five default moods, best first; the words of our own scale mean the same.
DAYLIO_MOODS = {"rad": 5, "good": 4, "meh": 3, "bad": 2, "awful": 1}
MOOD_WORDS = {
    **DAYLIO_MOODS,
    **{label.lower(): value for value, label in Mood.choices},
    "great": 5,
    "ok": 3,
    "okay": 3,
    "low": 2,
}
DAILY_NOTE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?!\d)")
CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap])?\.?\s*m?\.?", re.IGNORECASE)
BREAK = re.compile(r"<br\s*/?>|</p\s*>|</div\s*>|</li\s*>", re.IGNORECASE)
TAG = re.compile(r"<[^<>]{0,500}>")


def _refuse_as(kind):
    def refuse(reason):
        return ValidationError(
            f"This file cannot be read as {NAMES[kind]}: {reason}. Nothing was imported.", code="not_readable"
        )

    return refuse


UNKNOWN = ValidationError(
    "We could not tell what kind of file this is. This page reads this site's own export (.zip), "
    "Day One (.zip or its .json), Daylio (.csv), jrnl (.json) and Markdown files (.md, or a .zip of them).",
    code="unknown_format",
)


def _quoted(value, most=60):
    return imports._quoted(value, most)


class _Reading:
    """One walk through a file: numbers the entries, keeps their codes apart and collects the
    problems only the reader can see (a date missing from a Markdown file, a bad CSV row)."""

    def __init__(self, kind, on_entry):
        self.kind, self.on_entry = kind, on_entry
        self.count, self.problems, self.seen = 0, [], Counter()
        self.key = salted_hmac("journal.formats.code", kind).digest()

    def add(self, where, make):
        self.count += 1
        if self.count > imports.MAX_ENTRIES:
            raise imports._too_large(
                f"it holds more than {imports.MAX_ENTRIES:,} entries, the most one import can add"
            )
        try:
            record = make()
        except ValueError as exc:
            label = f"Entry {self.count}, {where}" if where else f"Entry {self.count}"
            self.problems.append(f"{label}: {exc}.")
            return
        if isinstance(record, dict) and where:
            record["where"] = where
        self.on_entry(self.count, record)

    def code(self, *parts):
        """A code made from the entry's words and date; the same entry twice in one file gets
        two codes, the same file read again the same ones."""
        mac = hmac.new(self.key, digestmod=hashlib.sha256)
        for part in parts:
            mac.update(str(part).encode("utf-8", "surrogatepass") + b"\x1f")
        digest = mac.hexdigest()
        self.seen[digest] += 1
        return str(uuid.uuid5(SOURCE_NAMESPACE, f"{self.kind}:{digest}:{self.seen[digest]}"))

    def done(self):
        if self.problems:
            raise imports.refused(self.problems)
        return {"entries": self.count}


def _record(code, created_at, title="", body="", mood=None, kind="entry"):
    return {
        "code": code,
        "kind": kind,
        "title": title,
        "body": body,
        "mood": mood,
        "step": None,
        "prompt": None,
        "created_at": created_at,
        "deleted_at": None,
        "version": 1,
    }


def _with_lines(body, lines):
    """The body with a line or two added at its end (tags, activities)."""
    lines = [line for line in lines if line]
    if not lines or not isinstance(body, str):
        return body
    return "\n\n".join(part for part in (body.rstrip(), "\n".join(lines)) if part)


def _tags_line(tags, label="Tags"):
    if tags is None or tags == []:
        return ""
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or len(tags) > MAX_TAGS:
        raise ValueError(f"its tags are not a list of at most {MAX_TAGS} words")
    words = []
    for tag in tags:
        if isinstance(tag, bool) or not isinstance(tag, str | int | float) or len(str(tag)) > 100:
            raise ValueError(f"its tag {_quoted(tag)} is not a short word")
        if str(tag).strip():
            words.append(str(tag).strip())
    return f"{label}: {', '.join(words)}" if words else ""


def _plain(value):
    """Daylio's notes hold a little HTML (<br>, <b>): plain lines of text instead."""
    if not isinstance(value, str):
        return value
    return html.unescape(TAG.sub("", BREAK.sub("\n", value))).strip()


# Zips and JSON, bounded as our own import is


def _size_checked(upload):
    if upload.size > imports.MAX_UPLOAD:
        raise imports.too_big(upload.size)
    upload.seek(0)


def _guarded(read, refuse):
    """Run a read of a zip or a JSON document, turning what a damaged file raises into words."""
    try:
        return read()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error):
        raise imports.NOT_ZIP from None
    except RecursionError:
        raise refuse("it nests lists or sets of fields far deeper than a journal does") from None
    except (RuntimeError, NotImplementedError):
        raise ValidationError(
            "This zip is encrypted or uses a compression we cannot read.", code="not_zip"
        ) from None


def _is_markdown(name):
    parts = name.split("/")
    hidden = any(part.startswith(".") or part == "__MACOSX" for part in parts)
    return not hidden and name.lower().endswith((".md", ".markdown"))


def _top_json(names):
    return [n for n in names if "/" not in n and n.lower().endswith(".json") and not n.startswith(".")]


def _json_list(document, key, each, refuse):
    """Walk a JSON object, calling each(value) for every item of its list `key`, one at a time."""
    found = False
    document.expect("{")
    if document._peek() == "}":
        document.pos += 1
    else:
        while True:
            name = document.value(imports.MAX_HEADER_VALUE)
            if not isinstance(name, str):
                raise refuse(f"{document.name} is not valid JSON")
            document.expect(":")
            if name == key and not found:
                found = True
                if document.expect("[") == "[" and document._peek() == "]":
                    document.pos += 1
                else:
                    while True:
                        each(document.value(imports.MAX_RECORD))
                        if document.expect(",", "]") == "]":
                            break
            else:
                document.value(imports.MAX_RECORD)
            if document.expect(",", "}") == "}":
                break
    if document._peek():
        raise refuse(f"{document.name} goes on after its end")
    if not found:
        raise refuse(f"{document.name} has no list of “{key}”")


def _stream(upload):
    return upload.file if hasattr(upload, "file") else upload


# Day One: a zip with Journal.json (or another journal's .json), or that .json on its own


def _dayone_moment(item):
    value = item.get("creationDate")
    if not isinstance(value, str) or len(value) > 40:
        return value
    try:
        moment = datetime.fromisoformat(value)
        zone = item.get("timeZone")
        if isinstance(zone, str) and 0 < len(zone) < 60 and moment.tzinfo is not None:
            moment = moment.astimezone(ZoneInfo(zone))  # the same moment, in the writer's own zone
    except (ValueError, KeyError, OSError):
        return value  # refused, or kept as UTC, by the shared checks
    return moment.isoformat()


@sensitive_variables()
def _dayone_record(reading, item):
    if not isinstance(item, dict):
        return item
    created = _dayone_moment(item)
    text = item.get("text")
    code = item.get("uuid")
    if code is None:
        code = reading.code(created, text)
    body = _with_lines(text if text is not None else "", [_tags_line(item.get("tags"))])
    if item.get("starred") is True:
        body = _with_lines(body, ["Starred in Day One."])
    return _record(code, created, body=body)


@sensitive_variables()
def walk_dayone(upload, on_entry, options=None):
    refuse = _refuse_as("dayone")
    reading = _Reading("dayone", on_entry)

    def each(item):
        reading.add(None, lambda: _dayone_record(reading, item))

    def read():
        _size_checked(upload)
        if not zipfile.is_zipfile(upload):
            upload.seek(0)
            document = imports._Document(_stream(upload), upload.size, "the file", refuse)
            _json_list(document, "entries", each, refuse)
            return
        archive = imports.open_zip(upload)
        names = sorted(_top_json(archive.namelist()))
        if not names:
            raise refuse("it has no Journal.json inside")
        for name in names:
            info = archive.getinfo(name)
            with imports.open_member(archive, info, refuse) as stream:
                _json_list(imports._Document(stream, info.file_size, name, refuse), "entries", each, refuse)

    _guarded(read, refuse)
    return reading.done()


# jrnl: `jrnl --export json`


@sensitive_variables()
def _jrnl_record(reading, item):
    if not isinstance(item, dict):
        return item
    day, clock = item.get("date"), item.get("time") or "00:00"
    if not isinstance(day, str) or not isinstance(clock, str) or len(day) > 20 or len(clock) > 20:
        raise ValueError(f"its date {_quoted(day)} and time {_quoted(clock)} are not a date and a time")
    created = f"{day}T{clock}"
    title, body = item.get("title"), item.get("body")
    code = reading.code(created, title, body)
    lines = [_tags_line(item.get("tags")), "Starred in jrnl." if item.get("starred") is True else ""]
    return _record(code, created, title=title or "", body=_with_lines(body or "", lines))


@sensitive_variables()
def walk_jrnl(upload, on_entry, options=None):
    refuse = _refuse_as("jrnl")
    reading = _Reading("jrnl", on_entry)

    def read():
        _size_checked(upload)
        document = imports._Document(_stream(upload), upload.size, "the file", refuse)
        _json_list(
            document, "entries", lambda item: reading.add(None, lambda: _jrnl_record(reading, item)), refuse
        )

    _guarded(read, refuse)
    return reading.done()


# Daylio: its CSV export


DAYLIO_REQUIRED = ("full_date", "time", "mood")


def _lines(stream, refuse):
    """The lines of a CSV file as text, one at a time: a bad byte is named by its line, and no
    line is longer than an entry's record."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    number, line = 1, []
    while True:
        piece = stream.readline(imports.CHUNK)
        try:
            line.append(decoder.decode(piece, final=not piece))
        except UnicodeDecodeError:
            raise ValidationError(
                f"This file is not UTF-8 text (near line {number:,}). Export it again from Daylio "
                "as CSV, or save it as UTF-8. Nothing was imported.",
                code="not_utf8",
            ) from None
        if sum(map(len, line)) > imports.MAX_RECORD:
            raise refuse(f"line {number:,} is far longer than a day's entry")
        if piece.endswith(b"\n") or not piece:
            if "".join(line):
                yield "".join(line)
            if not piece:
                return
            number, line = number + 1, []


def _daylio_rows(upload):
    """(line, fields) for each row of a Daylio CSV, its columns checked; read a row at a time."""
    refuse = _refuse_as("daylio")
    _size_checked(upload)
    rows = csv.reader(_lines(_stream(upload), refuse))
    try:
        header = [name.strip().lower() for name in next(rows, [])]
    except csv.Error:
        header = []
    missing = [name for name in DAYLIO_REQUIRED if name not in header]
    if missing:
        raise refuse(
            f"its first line has no column {' or '.join(_quoted(m) for m in missing)} "
            "(a Daylio export starts with full_date,date,weekday,time,mood,activities,note)"
        )
    columns = {
        name: header.index(name)
        for name in (*DAYLIO_REQUIRED, "activities", "note_title", "note")
        if name in header
    }
    while True:
        line = rows.line_num + 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            raise refuse(f"line {line} is not a row we can read ({exc})") from None
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > MAX_COLUMNS:
            raise refuse(f"line {line} has {len(row):,} columns")
        yield line, {name: row[at] if at < len(row) else "" for name, at in columns.items()}


def _daylio_moment(fields):
    day, clock = fields["full_date"].strip(), fields["time"].strip()
    try:
        when = date.fromisoformat(day) if len(day) <= 10 else None
    except ValueError:
        when = None
    if when is None:
        raise ValueError(f"its date {_quoted(day)} is not a date like 2024-03-05")
    found = CLOCK.fullmatch(clock) if len(clock) <= 20 else None
    hour, minute = (int(found.group(1)), int(found.group(2))) if found else (-1, -1)
    if found and found.group(4):
        hour = hour % 12 + (12 if found.group(4).lower() == "p" else 0)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"its time {_quoted(clock)} is not a time like 21:30 or 9:30 pm")
    return datetime.combine(when, time(hour, minute)).isoformat()


def _daylio_label(fields):
    label = " ".join(fields["mood"].split()).lower()
    if not label or len(label) > MAX_LABEL:
        raise ValueError(f"its mood {_quoted(fields['mood'])} is not a mood's name")
    return label


@sensitive_variables()
def _daylio_record(reading, fields, moods):
    created = _daylio_moment(fields)
    label = _daylio_label(fields)
    activities = [a.strip() for a in fields.get("activities", "").split("|") if a.strip()]
    title, note = fields.get("note_title", ""), fields.get("note", "")
    code = reading.code(created, label, "|".join(activities), title, note)
    mood = moods[label] if label in moods else DAYLIO_MOODS.get(label)
    body = _with_lines(_plain(note), [_tags_line(activities, "Activities")])
    return _record(code, created, title=" ".join(_plain(title).split()), body=body, mood=mood)


@sensitive_variables()
def walk_daylio(upload, on_entry, options=None):
    moods = (options or {}).get("moods") or {}
    reading = _Reading("daylio", on_entry)
    for line, fields in _daylio_rows(upload):
        reading.add(f"line {line}", lambda fields=fields: _daylio_record(reading, fields, moods))
    return reading.done()


def daylio_labels(upload):
    """The mood names a Daylio file uses, in the order they first appear, with how often."""
    labels = Counter()
    for _line, fields in _daylio_rows(upload):
        try:
            labels[_daylio_label(fields)] += 1
        except ValueError:
            continue  # reported with its line by walk_daylio
        if len(labels) > MAX_LABELS:
            raise _refuse_as("daylio")(f"it names more than {MAX_LABELS} different moods")
    return labels


# Markdown: a .md file, or a zip of them (our own export's entries/, Obsidian daily notes)


def _front_matter(text):
    """(fields, body) of a Markdown file with optional YAML front matter."""
    if not text.startswith("---"):
        return {}, text
    first, _, rest = text.partition("\n")
    if first.strip() != "---":
        return {}, text
    end = re.search(r"^(---|\.\.\.)[ \t]*$", rest[:MAX_FRONT_MATTER], re.MULTILINE)
    if end is None:
        raise ValueError("its front matter has no closing --- line (or is longer than 64 KB)")
    try:
        # The pure-Python loader: it meets deep nesting with a RecursionError, not a crash.
        fields = yaml.load(rest[: end.start()], Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark else ""
        raise ValueError(f"its front matter is not valid YAML{where}") from None
    except RecursionError:
        raise ValueError("its front matter nests far too deeply") from None
    if fields is None:
        fields = {}
    if not isinstance(fields, dict):
        raise ValueError("its front matter is not a set of fields")
    return fields, rest[end.end() :].lstrip("\r\n")


def _markdown_moment(fields, name):
    value = fields.get("date", fields.get("created"))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00"
    if isinstance(value, str) and value.strip():
        value = value.strip()
        return f"{value}T00:00:00" if len(value) == 10 else value
    if value is not None:
        raise ValueError(f"its date {_quoted(value)} is not a date")
    found = DAILY_NOTE.match(name.rsplit("/", 1)[-1])
    if found is None:
        raise ValueError(
            "it has no date: add “date: 2024-03-05” to its front matter, or name it like 2024-03-05.md"
        )
    return f"{found.group(0)}T00:00:00"


def _markdown_mood(value):
    if value is None or value == "":
        return None
    if isinstance(value, str):
        word = " ".join(value.split()).lower()
        value = int(word) if word.isdigit() and len(word) == 1 else MOOD_WORDS.get(word, value)
    if type(value) is int and value in Mood.values:
        return value
    raise ValueError(f"its mood {_quoted(value)} is not a number from 1 to 5 or a word like “good”")


def _scalar_text(value, name):
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float | date):
        raise ValueError(f"its {name} is not text")
    return str(value)


@sensitive_variables()
def _markdown_record(reading, name, data):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"it is not UTF-8 text (the first bad byte is at position {exc.start:,})") from None
    fields, body = _front_matter(text.replace("\r\n", "\n"))
    created = _markdown_moment(fields, name)
    title = _scalar_text(fields.get("title"), "title")
    code = fields.get("code")
    if not isinstance(code, str):
        code = reading.code(created, title, body)
    body = _with_lines(body.strip("\n"), [_tags_line(fields.get("tags"))])
    kind = fields.get("kind") if fields.get("kind") in ("entry", "checkin") else "entry"
    return _record(code, created, title=title, body=body, mood=_markdown_mood(fields.get("mood")), kind=kind)


@sensitive_variables()
def walk_markdown(upload, on_entry, options=None):
    refuse = _refuse_as("markdown")
    reading = _Reading("markdown", on_entry)

    def one(name, data):
        # data is None for a file whose header says it is too long: it is never read
        where = f"file {_quoted(name, 80)}"
        if data is None or len(data) > imports.MAX_RECORD:
            reading.add(where, _too_long)
        else:
            reading.add(where, lambda: _markdown_record(reading, name, data))

    def read():
        _size_checked(upload)
        if not zipfile.is_zipfile(upload):
            upload.seek(0)
            one(upload.name or "the file", _stream(upload).read(imports.MAX_RECORD + 1))
            return
        archive = imports.open_zip(upload)
        infos = sorted(
            (i for i in archive.infolist() if not i.is_dir() and _is_markdown(i.filename)),
            key=lambda i: i.filename,
        )
        if not infos:
            raise refuse("it has no Markdown (.md) files inside")
        total = 0
        for info in infos:
            if info.file_size > imports.MAX_RECORD:
                one(info.filename, None)
                continue
            with archive.open(info) as stream:
                data = stream.read(imports.MAX_RECORD + 1)
            total += len(data)
            if total > imports.MAX_JSON:
                raise imports._too_large(
                    f"its Markdown files hold over {imports.MAX_JSON // 1024 // 1024} MB"
                )
            one(info.filename, data)

    _guarded(read, refuse)
    return reading.done()


def _too_long():
    raise ValueError(f"it is over {imports.MAX_RECORD // 1024:,} KB, longer than an entry can be")


# Which reader


READERS = {
    "mending": imports._walk,
    "dayone": walk_dayone,
    "daylio": walk_daylio,
    "jrnl": walk_jrnl,
    "markdown": walk_markdown,
}


def detect(upload):
    """Which reader an upload needs, from what it holds (not from its name, where that can be
    helped); a ValidationError when it is none of them."""
    _size_checked(upload)
    head = _stream(upload).read(HEAD)
    upload.seek(0)
    if head.startswith(b"PK"):

        def names():
            return imports.open_zip(upload).namelist()

        found = _guarded(names, _refuse_as("mending"))
        upload.seek(0)
        if "entries.json" in found:
            return "mending"
        if _top_json(found):
            return "dayone"
        if any(_is_markdown(name) for name in found):
            return "markdown"
        return "mending"  # refused by our own import, which says what a zip of ours holds
    text = head.decode("utf-8", "ignore").lstrip("\ufeff")
    if text.lstrip().startswith("{"):
        return "dayone" if '"creationDate"' in text else "jrnl"
    first = text.partition("\n")[0].lower()
    name = (upload.name or "").lower()
    if name.endswith(".zip"):
        return "mending"  # not a zip at all: our own import says so
    if "full_date" in first or name.endswith(".csv"):
        return "daylio"  # a .csv without Daylio's columns is told which are missing
    if text.startswith("---") or name.endswith((".md", ".markdown", ".txt")):
        return "markdown"
    raise UNKNOWN


def fingerprint(upload, user):
    """A keyed digest of the upload for this user: the preview page carries it, so the confirming
    post imports the very file that was previewed (and nobody can test a guess of a file by it)."""
    key = salted_hmac("journal.formats.preview", str(user.pk)).digest()
    mac = hmac.new(key, digestmod=hashlib.sha256)
    upload.seek(0)
    stream = _stream(upload)
    while chunk := stream.read(imports.CHUNK):
        mac.update(chunk)
    upload.seek(0)
    return mac.hexdigest()
