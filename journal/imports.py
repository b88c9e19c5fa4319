# Reading an export back (journal/export.py writes it): checked whole first, then added in batches.
"""Import of a journal export, bounded so that no file can lock its importer out or take a
worker down.

The upload stays in memory (it is journal text in the clear). `entries.json` is streamed out of
the zip a piece at a time and parsed one entry at a time, so neither the zip nor the document is
ever held whole. It is read twice: once to check every entry (a file with any problem adds
nothing, and every problem is named), then again to add the entries, 500 at a time, with their
HTML, excerpt and search index made in bulk.

An import of up to INLINE_ENTRIES entries and INLINE_TEXT characters is added within its request,
in one transaction. A larger one (up to MAX_ENTRIES and MAX_TEXT) is handed to the job runner
(journal/import_jobs.py), which adds it a batch a transaction with its progress shown.
"""

import codecs
import json
import re
import struct
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.debug import sensitive_variables

from journal.export import FORMAT, FORMAT_VERSION
from journal.forms import BODY_LIMIT, OWN_PROMPT_LIMIT, TITLE_LIMIT
from journal.models import MAX_OWN_PROMPTS, Entry, Mood, OwnPrompt, SearchToken
from recovery.content import library
from recovery.models import Step

MAX_UPLOAD = 50 * 1024 * 1024
MAX_REQUEST = MAX_UPLOAD + 64 * 1024  # the file plus the form around it
MAX_JSON = 64 * 1024 * 1024
MAX_RATIO = 50  # a real entries.json compresses 3 to 10 times; a zip bomb a thousand
# Rendering each entry's Markdown (and cleaning it) is most of an import's time: about 1.5 ms of
# CPU an entry on the busy 2-core machine measured (bench/importer.py). Up to INLINE_* an import
# is added within its request (a few seconds); beyond, by the job runner, whose worker holds one
# batch at a time (worker peak memory for 10,000 entries in bench/results.md).
INLINE_ENTRIES = 1_000
INLINE_TEXT = 1_000_000  # characters of title and body
MAX_ENTRIES = 20_000
MAX_TEXT = 30_000_000
MAX_MEMBERS = 2 * MAX_ENTRIES + 100  # files in a zip: an export holds entries.json and a .md an entry
EOCD_SEARCH = 22 + 65_535 + 20 + 56  # the end record, its longest comment, and zip64's two records
MAX_RECORD = 1024 * 1024  # one entry's JSON: a 100,000-character body is at most ~600 KB escaped
MAX_HEADER_VALUE = 64 * 1024
MAX_PROBLEMS_SHOWN = 10
BATCH = 250
CHUNK = 256 * 1024
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
MAX_VERSION = 2**31 - 1  # PostgreSQL's integer
# A fixed namespace for the codes of imported entries (see _code_for).
IMPORT_NAMESPACE = uuid.UUID("6f1c1e0e-4b7a-4c55-9d4e-0c3a8f6a1d21")
UNSAYABLE = re.compile(r"[\x00\ud800-\udfff]")


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


def _not_export(reason):
    return ValidationError(
        f"This file is not a journal export from this site: {reason}. "
        "Choose the .zip you downloaded from “Export”.",
        code="not_export",
    )


def _too_large(what):
    return ValidationError(
        f"This import is too large to add in one go: {what}. Nothing was imported.", code="too_large"
    )


NOT_ZIP = ValidationError(
    "This file is not a zip file, or it is damaged. Choose the .zip you downloaded from “Export”.",
    code="not_zip",
)
TOO_DEEP = _not_export("entries.json nests lists or sets of fields far deeper than an export does")


# entries.json, a piece at a time


class _Document:
    """entries.json read from the zip a chunk at a time and parsed one value at a time, with
    the bytes actually read counted (a zip's header can lie about the size)."""

    def __init__(self, stream, size, name="entries.json", refuse=None):
        self.stream, self.size = stream, size  # the size its header claims
        # Other apps' JSON (journal/formats.py) is read the same way, named and refused in its words.
        self.name, self.refuse = name, refuse or _not_export
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.json = json.JSONDecoder()
        self.text, self.pos, self.done, self.read, self.consumed = "", 0, False, 0, 0

    def _more(self):
        if self.done:
            return False
        chunk = self.stream.read(CHUNK)
        self.read += len(chunk)
        if self.read > MAX_JSON:
            raise _too_large(f"its {self.name} is over {MAX_JSON // 1024 // 1024} MB")
        if self.read > self.size:
            raise NOT_ZIP
        try:
            piece = self.decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise ValidationError(
                f"{self.name} is not valid UTF-8 text (the first bad byte is at position "
                f"{self.read - len(chunk) + max(exc.start, 0)}). Nothing was imported.",
                code="not_utf8",
            ) from None
        self.consumed += self.pos
        self.text = self.text[self.pos :] + piece
        self.pos = 0
        self.done = not chunk
        return True

    def _peek(self):
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.text) or not self._more():
                return self.text[self.pos : self.pos + 1]

    def expect(self, *chars):
        found = self._peek()
        if found not in chars:
            where = f"at character {self.consumed + self.pos:,}"
            raise self.refuse(f"{self.name} is not valid JSON ({where})")
        self.pos += 1
        return found

    def value(self, most):
        """The next JSON value, reading more of the file until it is whole (at most `most` chars)."""
        self._peek()
        while True:
            try:
                value, end = self.json.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                # Either the value goes on in the next chunk, or the JSON is broken here.
                if len(self.text) - self.pos <= most and self._more():
                    continue
                raise self.refuse(
                    f"{self.name} is not valid JSON near character {self.consumed + exc.pos:,}, "
                    "or holds a value far longer than an export's"
                ) from None
            except RecursionError:
                raise self.refuse(
                    f"{self.name} nests lists or sets of fields far deeper than an export does"
                ) from None
            except ValueError:  # a number of thousands of digits
                raise self.refuse(f"{self.name} holds a number far too long to be an export's") from None
            # A number or a word at the end of what was read may go on in the next chunk.
            if end == len(self.text) and not self.done and self._more():
                continue
            self.pos = end
            return value

    def read_top(self, on_entry, on_own_prompt):
        """Walk the top-level object, calling on_entry(number, record) for each entry and
        on_own_prompt(number, record) for each own prompt; the other fields."""
        header = {}
        self.expect("{")
        if self._peek() == "}":
            self.pos += 1
        else:
            while True:
                key = self.value(MAX_HEADER_VALUE)
                if not isinstance(key, str):
                    raise _not_export("entries.json is not valid JSON")
                self.expect(":")
                if key == "entries":
                    if "entries" in header:
                        raise _not_export("entries.json has two lists of entries")
                    header["entries"] = self._entries(on_entry)
                elif key == "own_prompts":
                    if "own_prompts" in header:
                        raise _not_export("entries.json has two lists of own prompts")
                    header["own_prompts"] = self._own_prompts(on_own_prompt)
                else:
                    header[key] = self.value(MAX_HEADER_VALUE)
                    _check_header(header, key)
                if self.expect(",", "}") == "}":
                    break
        if self._peek():
            raise _not_export("entries.json goes on after its end")
        return header

    def _entries(self, on_entry):
        too_many = f"it holds more than {MAX_ENTRIES:,} entries, the most one import can add"
        return self._list(on_entry, MAX_ENTRIES, "entries.json has no list of entries", too_many)

    def _own_prompts(self, on_own_prompt):
        too_many = f"it holds more than {MAX_OWN_PROMPTS} own prompts, the most an export holds"
        return self._list(on_own_prompt, MAX_OWN_PROMPTS, "its own prompts are not a list", too_many)

    def _list(self, on_item, most, not_a_list, too_many):
        """Read a list a value at a time, calling on_item(number, value); how many there were."""
        if self._peek() != "[":
            raise _not_export(not_a_list)
        self.pos += 1
        count = 0
        if self._peek() == "]":
            self.pos += 1
            return count
        while True:
            count += 1
            if count > most:
                raise _too_large(too_many)
            on_item(count, self.value(MAX_RECORD))
            if self.expect(",", "]") == "]":
                return count


def _check_header(header, key):
    if key == "format" and header[key] != FORMAT:
        raise _not_export(f'entries.json does not say "format": "{FORMAT}"')
    if key == "version" and (header[key] != FORMAT_VERSION or isinstance(header[key], bool)):
        shown = header[key] if isinstance(header[key], int | str) else "unknown"
        raise ValidationError(
            f"This export has format version {_quoted(shown)}; this site reads version {FORMAT_VERSION}.",
            code="version",
        )


def _members_claimed(upload):
    """How many files a zip says it holds, read from its end-of-central-directory record (or the
    zip64 one) before zipfile reads the whole directory into memory; None when not found."""
    size = upload.seek(0, 2)
    tail_start = max(0, size - EOCD_SEARCH)
    upload.seek(tail_start)
    tail = upload.read()
    upload.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    (count,) = struct.unpack_from("<H", tail, at + 10)
    if count != 0xFFFF:
        return count
    locator = tail.rfind(b"PK\x06\x07", 0, at)  # zip64: the count is in its own record
    if locator < 0 or len(tail) < locator + 20:
        return None
    (record,) = struct.unpack_from("<Q", tail, locator + 8)
    record -= tail_start
    if not 0 <= record <= len(tail) - 56 or tail[record : record + 4] != b"PK\x06\x06":
        return None
    return struct.unpack_from("<Q", tail, record + 32)[0]


def open_zip(upload):
    """zipfile.ZipFile over an upload, once it says it holds no more files than an export of
    MAX_ENTRIES entries does: a 50 MB zip of empty files lists a million names, and zipfile
    keeps an object for each before anything else could be checked."""
    claimed = _members_claimed(upload)
    if claimed is not None and claimed > MAX_MEMBERS:
        raise _too_large(
            f"the zip holds {claimed:,} files, more than an import of {MAX_ENTRIES:,} entries can"
        )
    archive = zipfile.ZipFile(upload)
    if len(archive.filelist) > MAX_MEMBERS:  # a directory that did not say its size
        raise _too_large(f"the zip holds more than {MAX_MEMBERS:,} files")
    return archive


def _open(upload):
    """The entries.json stream of an uploaded zip, once its header is found believable."""
    if upload.size > MAX_UPLOAD:
        raise too_big(upload.size)
    upload.seek(0)
    archive = open_zip(upload)
    try:
        info = archive.getinfo("entries.json")
    except KeyError:
        raise _not_export("it has no entries.json inside") from None
    return open_member(archive, info, _not_export), info.file_size


def open_member(archive, info, refuse):
    """A JSON file in a zip, opened for streaming once its header is found believable: not over
    MAX_JSON, and not compressed more than MAX_RATIO times (a zip bomb). The size is counted again
    as it is read (_Document), as a header can lie."""
    if info.file_size > MAX_JSON:
        raise _too_large(
            f"its {info.filename} is {info.file_size / 1024 / 1024:,.0f} MB, over {MAX_JSON // 1024 // 1024} MB"
        )
    if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise refuse(
            f"its {info.filename} is compressed far more than a journal ever is "
            f"({info.file_size / 1024 / 1024:,.0f} MB from {info.compress_size / 1024:,.0f} KB)"
        )
    return archive.open(info)


def _walk(upload, on_entry, options=None, on_own_prompt=None):
    try:
        stream, size = _open(upload)
    except (RuntimeError, NotImplementedError):  # zipfile's words for a password or a method
        raise ValidationError(
            "This zip is encrypted or uses a compression we cannot read.", code="not_zip"
        ) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error):
        raise NOT_ZIP from None
    # Only reading the file is caught here: an error in on_entry is the caller's, not the file's.
    try:
        with stream:
            header = _Document(stream, size).read_top(
                on_entry, on_own_prompt or (lambda number, record: None)
            )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error):
        raise NOT_ZIP from None
    except RecursionError:
        raise TOO_DEEP from None
    if "format" not in header:
        raise _not_export(f'entries.json does not say "format": "{FORMAT}"')
    if "version" not in header:
        _check_header({"version": None}, "version")
    if "entries" not in header:
        raise _not_export("entries.json has no list of entries")
    return header


# One entry


def _quoted(value, most=40):
    """A value from the file, safe to show: short, no NUL, no lone surrogate."""
    if not isinstance(value, str):
        if isinstance(value, bool) or value is None or isinstance(value, int | float):
            return repr(value) if not isinstance(value, int) or abs(value) < 10**12 else "a huge number"
        return "a list" if isinstance(value, list) else "a set of fields"
    text = value[:most].encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return f"“{text}{'…' if len(value) > most else ''}”"


def _text(record, name, most):
    value = record.get(name) or ""
    if not isinstance(value, str):
        raise ValueError(f"its {name} is not text")
    if len(value) > most:
        raise ValueError(f"its {name} is {len(value):,} characters long; the limit is {most:,}")
    if found := UNSAYABLE.search(value):
        what = "a NUL character" if found.group() == "\x00" else "a broken character (a lone surrogate)"
        raise ValueError(f"its {name} contains {what}, which cannot be saved")
    return value


def _moment(record, name, required, latest):
    label = name.replace("_", " ")  # "created at", as the messages say it
    value = record.get(name)
    if value is None and not required:
        return None
    try:
        moment = parse_datetime(value) if isinstance(value, str) and len(value) < 40 else None
    except ValueError:  # a month 13, an offset of 99 hours
        moment = None
    if moment is None:
        raise ValueError(f"its {label} date {_quoted(value)} is not a date and time")
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, timezone.get_current_timezone())
        in_range = EARLIEST <= moment <= latest
    except (OverflowError, ValueError):
        in_range = False
    if not in_range:
        raise ValueError(f"its {label} date {_quoted(value)} is not between 1 January 1970 and tomorrow")
    # In UTC: PostgreSQL refuses an offset past 15:59, which ISO 8601 (and Python) allow up to 23:59.
    return moment.astimezone(UTC)


def _link(record, steps):
    step, prompt = record.get("step") or None, record.get("prompt") or ""
    for value in (step, prompt):
        if value is not None and (not isinstance(value, str) or len(value) > 100 or UNSAYABLE.search(value)):
            raise ValueError("its step or prompt is not a short name")
    if prompt and not step:
        raise ValueError(f"its prompt {_quoted(prompt)} has no step; a prompt belongs to a step")
    row = steps.get(step) if step else None
    if row is None:
        return step, None, ""  # a step that no longer exists: kept without it (reported)
    doc = library().steps.get(row.slug)
    # A retired step is no longer in the content, and its prompts cannot be checked: kept as exported.
    if prompt and doc is not None and doc.prompt(prompt) is None:
        raise ValueError(f"its prompt {_quoted(prompt)} is not one of the prompts of the step “{row.title}”")
    return step, row, prompt


@sensitive_variables()
def _checked(record, steps, latest):
    if not isinstance(record, dict):
        raise ValueError("it is not a set of fields")
    code = record.get("code")
    try:
        code = uuid.UUID(code) if isinstance(code, str) and len(code) < 50 else None
    except ValueError:
        code = None
    if code is None:
        raise ValueError(f"its code {_quoted(record.get('code'))} is not a UUID")
    mood = record.get("mood")
    if mood is not None and (type(mood) is not int or mood not in Mood.values):
        raise ValueError(f"its mood {_quoted(mood)} is not a whole number from 1 to 5")
    kind = record.get("kind") or Entry.Kind.ENTRY
    if not isinstance(kind, str) or kind not in Entry.Kind.values:
        raise ValueError(f"its kind {_quoted(kind)} is not one of {', '.join(Entry.Kind.values)}")
    slug, step, prompt = _link(record, steps)
    own_prompt = _own_prompt_of(record)
    version = record.get("version")
    version = 1 if version is None else version
    if type(version) is not int or not 1 <= version <= MAX_VERSION:
        raise ValueError(f"its version {_quoted(version)} is not a whole number from 1 to {MAX_VERSION:,}")
    return {
        "code": code,
        "kind": kind,
        "title": _text(record, "title", TITLE_LIMIT),
        "body": _text(record, "body", BODY_LIMIT),
        "mood": mood,
        "slug": slug,
        "step": step,
        "prompt": prompt,
        "own_prompt": own_prompt,
        "created_at": _moment(record, "created_at", True, latest),
        "deleted_at": _moment(record, "deleted_at", False, latest),
        "version": version,
    }


def _label(number, record):
    title = record.get("title") if isinstance(record, dict) else None
    # A reader of another app's file (journal/formats.py) says where in it the entry came from.
    where = record.get("where") if isinstance(record, dict) else None
    label = f"Entry {number}, {where}" if isinstance(where, str) else f"Entry {number}"
    if isinstance(title, str) and title.strip():
        return f"{label} ({_quoted(title.strip())})"
    return label


# One own prompt, and an entry's link to one


def _uuid_of(value):
    try:
        return uuid.UUID(value) if isinstance(value, str) and len(value) < 50 else None
    except ValueError:
        return None


def _own_prompt_of(record):
    """The code of the own prompt an entry answers, as the file has it; None for none."""
    value = record.get("own_prompt")
    if value is None:
        return None
    if (code := _uuid_of(value)) is None:
        raise ValueError(f"its own prompt {_quoted(value)} is not a UUID")
    return code


@sensitive_variables()
def _checked_own_prompt(record, latest):
    if not isinstance(record, dict):
        raise ValueError("it is not a set of fields")
    if (code := _uuid_of(record.get("code"))) is None:
        raise ValueError(f"its code {_quoted(record.get('code'))} is not a UUID")
    text = _text(record, "text", OWN_PROMPT_LIMIT).strip()
    if not text:
        raise ValueError("its text is empty; a prompt needs a question")
    pinned = record.get("pinned", False)
    if type(pinned) is not bool:
        raise ValueError(f"its pinned {_quoted(pinned)} is not true or false")
    retired_at = _moment(record, "retired_at", False, latest)
    return {
        "code": code,
        "text": text,
        "template": _text(record, "template", BODY_LIMIT),
        "pinned": pinned and retired_at is None,
        "created_at": _moment(record, "created_at", True, latest),
        "retired_at": retired_at,
    }


def _own_label(number, record):
    text = record.get("text") if isinstance(record, dict) else None
    if isinstance(text, str) and text.strip():
        return f"Own prompt {number} ({_quoted(text.strip())})"
    return f"Own prompt {number}"


# The whole file


@dataclass
class Checked:
    """An upload whose every entry was found fine, to be read again by import_entries."""

    upload: object
    steps: dict
    latest: datetime
    count: int
    # How to read the upload again (imports._walk, or a reader of another app's file) and the
    # choices made for it (the mood of each Daylio label).
    reader: object = None
    options: dict | None = None
    first: datetime | None = None  # the range of dates, for the preview
    last: datetime | None = None
    text: int = 0  # characters of title and body
    codes: list = field(default_factory=list)  # of the entries, as the file has them

    @property
    def fits_one_request(self):
        return self.count <= INLINE_ENTRIES and self.text <= INLINE_TEXT


@sensitive_variables()
def read_archive(upload, reader=_walk, options=None):
    """The upload, once every entry in it is found fine; a ValidationError says what is wrong."""
    steps = {s.slug: s for s in Step.objects.all()}
    latest = timezone.now() + timedelta(days=1)
    problems, text, dates, codes = [], 0, [], []

    def check(number, record):
        nonlocal text
        try:
            item = _checked(record, steps, latest)
        except ValueError as exc:
            problems.append(f"{_label(number, record)}: {exc}.")
            return
        text += len(item["title"]) + len(item["body"])
        codes.append(item["code"])
        if text > MAX_TEXT:
            raise _too_large(f"its entries hold more than {MAX_TEXT:,} characters of text")
        moment = item["created_at"]
        dates[:] = [min(dates[0], moment), max(dates[1], moment)] if dates else [moment, moment]

    def check_own_prompt(number, record):
        nonlocal text
        try:
            item = _checked_own_prompt(record, latest)
        except ValueError as exc:
            problems.append(f"{_own_label(number, record)}: {exc}.")
            return
        text += len(item["text"]) + len(item["template"])
        if text > MAX_TEXT:
            raise _too_large(f"its entries and prompts hold more than {MAX_TEXT:,} characters of text")

    header = _read(reader, upload, check, options, check_own_prompt)
    if problems:
        raise refused(problems, "entries or prompts")
    first, last = dates or (None, None)
    return Checked(upload, steps, latest, header["entries"], reader, options, first, last, text, codes)


def refused(problems, what="entries"):
    """The refusal of a file with problems: the first MAX_PROBLEMS_SHOWN, and how many more."""
    shown = problems[:MAX_PROBLEMS_SHOWN]
    if len(problems) > len(shown):
        shown.append(f"… and {len(problems) - len(shown)} more.")
    return ValidationError(
        [f"Nothing was imported, because some {what} in the file cannot be read:", *shown], code="bad_entries"
    )


# Adding the entries


@dataclass
class ImportReport:
    added: int = 0
    shown: list = field(default_factory=list)  # the first SHOWN new Entry rows, for the page
    skipped: int = 0  # already in the journal
    unlinked: int = 0  # their step no longer exists; imported without it
    own_prompts_added: int = 0
    own_prompts_skipped: int = 0  # already in the journal
    own_prompts_over: int = 0  # not added: the person has MAX_OWN_PROMPTS already
    paused: bool = False  # stopped after `until` entries, to go on in another run

    SHOWN = 50


class _Paused(Exception):
    """Raised between batches, once a run has read the entries it was given."""


def _code_for(user, code):
    """The code an imported entry gets, made from the importer and the code in the file: the
    same file imported again finds its entries, and a code in use in someone else's journal is
    treated exactly like one never seen (the file's code is never reused, so nothing tells)."""
    return uuid.uuid5(IMPORT_NAMESPACE, f"{user.pk}:{code}")


@sensitive_variables()
def _add_own_prompt(user, item, report):
    """The person's prompt for one in the file: the one they have already, else a new one."""
    code = _code_for(user, item["code"])
    mine = OwnPrompt.objects.for_user(user).filter(code__in=[item["code"], code]).exists()
    if mine:
        report.own_prompts_skipped += 1
        return
    if OwnPrompt.objects.for_user(user).count() >= MAX_OWN_PROMPTS:
        report.own_prompts_over += 1  # its answers are added without it
        return
    fields = {name: item[name] for name in ("text", "template", "pinned", "created_at", "retired_at")}
    OwnPrompt.objects.create(owner=user, code=code, **fields)
    report.own_prompts_added += 1


def _link_own_prompts(user, answers):
    """Point the entries just added at the prompts they answer, {code in the file: [entry codes]},
    and take those out of `answers`; what is left waits for its prompt further on in the file. A
    prompt neither in the file nor in the journal leaves its entries without one."""
    codes = {c: c for c in answers} | {_code_for(user, c): c for c in answers}
    found = OwnPrompt.objects.for_user(user).filter(code__in=list(codes)).values_list("code", "pk")
    prompts = {}
    for code, pk in found:
        if code in answers or codes[code] not in prompts:  # the file's own code first: this journal's
            prompts[codes[code]] = pk
    for code, pk in prompts.items():
        Entry.objects.filter(owner=user, code__in=answers.pop(code)).update(own_prompt_id=pk)


def _read(reader, upload, on_entry, options, on_own_prompt):
    """Walk an upload with its reader; only our own export holds own prompts."""
    if reader is _walk:
        return _walk(upload, on_entry, options, on_own_prompt)
    return reader(upload, on_entry, options)


def already_there(user, checked):
    """How many of the file's entries the person has already (an import would leave them be)."""
    found = 0
    for start in range(0, len(checked.codes), 1000):
        chunk = checked.codes[start : start + 1000]
        codes = {*chunk, *(_code_for(user, code) for code in chunk)}
        found += Entry.objects.all_for(user).filter(code__in=codes).count()
    return min(found, checked.count)


@sensitive_variables()
def import_entries(user, checked, *, report=None, after=0, on_batch=None, until=None):
    """Add the entries of a checked upload that the user does not have yet: in one transaction,
    or, given on_batch, one transaction a batch, each calling on_batch(report, read) before it
    commits, so what it records of the progress commits with the entries. The first `after`
    entries of the file are passed over (a job going on where its last worker stopped); with
    `until`, it pauses after a batch once it has read that many more (report.paused). Own
    prompts are added as they come, and entries linked to them once the whole file is read
    (and, in batches, after each batch too: our export writes its prompts first)."""
    report, seen, batch, read = report or ImportReport(), set(), [], after
    answers = {}  # own prompt code in the file -> codes of the entries added that answer it

    def one_import_at_a_time():
        # Per account (PostgreSQL), so a file sent from two tabs is added once.
        list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))

    def flush():
        codes = {item["code"] for item in batch} | {_code_for(user, item["code"]) for item in batch}
        there = set(Entry.objects.all_for(user).filter(code__in=codes).values_list("code", flat=True))
        rows = []
        for item in batch:
            code = _code_for(user, item["code"])
            if item["code"] in there or code in there or code in seen:
                report.skipped += 1
                continue
            seen.add(code)
            report.unlinked += bool(item["slug"] and item["step"] is None)
            if item["own_prompt"]:
                answers.setdefault(item["own_prompt"], []).append(code)
            entry = Entry(
                owner=user,
                code=code,
                kind=item["kind"],
                step=item["step"],
                prompt=item["prompt"],
                title=item["title"],
                body=item["body"],
                mood=item["mood"],
                created_at=item["created_at"],
                deleted_at=item["deleted_at"],
                version=item["version"],
            )
            entry.derive()
            rows.append(entry)
        Entry.objects.bulk_create(rows)
        if rows and rows[0].pk is None:  # a database that does not return ids from a bulk insert
            ids = dict(Entry.objects.filter(code__in=[e.code for e in rows]).values_list("code", "pk"))
            for entry in rows:
                entry.pk = ids[entry.code]
        SearchToken.objects.bulk_create(
            [t for entry in rows for t in entry.new_search_tokens()], batch_size=2000
        )
        report.added += len(rows)
        report.shown += rows[: report.SHOWN - len(report.shown)]
        batch.clear()

    def flush_alone():
        with transaction.atomic():
            one_import_at_a_time()
            flush()
            _link_own_prompts(user, answers)
            on_batch(report, read)

    def add(number, record):
        nonlocal read
        if number <= after:
            return
        batch.append(_checked(record, checked.steps, checked.latest))
        read = number
        if len(batch) >= BATCH:
            flush_alone() if on_batch else flush()
            if until is not None and read - after >= until and read < checked.count:
                raise _Paused  # after the batch committed

    def add_own_prompt(number, record):
        _add_own_prompt(user, _checked_own_prompt(record, checked.latest), report)

    walk = checked.reader or _walk
    if on_batch:
        try:
            _read(walk, checked.upload, add, checked.options, add_own_prompt)
        except _Paused:
            report.paused = True
            return report
        flush_alone()
        _link_own_prompts(user, answers)
        return report
    with transaction.atomic():
        one_import_at_a_time()
        _read(walk, checked.upload, add, checked.options, add_own_prompt)
        if batch:
            flush()
        _link_own_prompts(user, answers)
    return report
