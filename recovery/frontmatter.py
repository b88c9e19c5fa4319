"""What a content file must hold: one step or page file read, its front matter checked field by
field, and its Markdown rendered. Every problem names the file, the line and the field, so a
maintainer knows exactly what to mend. The library that keeps them all is recovery/content.py.
"""

import datetime
import math
import re
from dataclasses import dataclass, field
from urllib.parse import quote

import yaml

from recovery import markdown

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
WORDS = re.compile(r"\w+")
WORDS_PER_MINUTE = 200

# The articles the modules draw on, by the key a step's `sources` uses.
SOURCES = {
    "healing-from-emotional-neglect": "Healing from Emotional Neglect in a Relationship",
    "how-to-get-my-ex-back": "How to Get My Ex Back After a Bad Breakup",
    "reconnecting-emotionally-after-betrayal": "Reconnecting Emotionally After Betrayal",
    "recovering-from-relationship-rejection": "Recovering from Relationship Rejection",
    "recovery-from-negative-relationships": "Recovery from Negative Relationships",
}

STEP_FIELDS = {
    # name: (type, required)
    "title": (str, True),
    "slug": (str, True),
    "order": (int, True),
    "summary": (str, True),
    "core": (bool, True),
    "help": (str, True),
    "prompts": (list, True),
    "exercises": (list, True),
    "sources": (list, True),
    "in_brief": (list, True),
    "try_today": (str, True),
    "content_note": (str, False),
    "related": (list, False),
    "aliases": (list, False),
}
PAGE_FIELDS = {
    "title": (str, True),
    "slug": (str, True),
    "summary": (str, True),
    "crisis_lines": (list, False),
}
TYPE_NAMES = {str: "text", int: "a whole number", bool: "true or false", list: "a list"}


@dataclass(frozen=True)
class Problem:
    level: str  # "error" or "warning"
    path: str
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self):
        where = f"{self.path}:{self.line}" if self.line else self.path
        what = f"field '{self.field}': " if self.field else ""
        return f"{where}: {what}{self.message}"


@dataclass(frozen=True)
class Item:
    id: str
    text: str


@dataclass
class Step:
    slug: str
    title: str
    order: int
    summary: str
    core: bool
    help: str
    prompts: list
    exercises: list
    sources: list  # titles
    html: str
    toc: list
    reading_minutes: int
    path: str
    content_note: str = ""
    related: list = field(default_factory=list)
    aliases: list = field(default_factory=list)
    order_line: int | None = None  # where `order` is, for a report that it clashes
    in_brief: list = field(default_factory=list)  # up to three short lines for a tired reader
    try_today: Item | None = None  # one of `exercises`: a small thing to do today
    help_html: str = ""  # `help` rendered from Markdown, so the box can link

    def prompt(self, prompt_id):
        return next((p for p in self.prompts if p.id == prompt_id), None)

    def exercise(self, exercise_id):
        return next((e for e in self.exercises if e.id == exercise_id), None)

    def get_absolute_url(self):
        return f"/steps/{self.slug}/"


@dataclass
class Page:
    slug: str
    title: str
    summary: str
    html: str
    toc: list
    path: str
    meta: dict = field(default_factory=dict)
    crisis_lines: list = field(default_factory=list)  # [CrisisLine], for the verification check


@dataclass
class Parsed:
    """One file as read: its document (None when it has errors) and what is wrong with it."""

    digest: str
    doc: object
    problems: list
    slug: str


class _Lines:
    """Line numbers of front matter keys and list items, from YAML's own node tree."""

    def __init__(self, node, offset):
        self.node = node
        self.offset = offset

    def at(self, *path):
        """Line of the node at a path of keys and list indexes, or of the deepest one found."""
        node, found = self.node, None
        for step in path:
            if isinstance(node, yaml.MappingNode) and isinstance(step, str):
                match = next(((k, v) for k, v in node.value if k.value == step), None)
                if match is None:
                    break
                found, node = match[0].start_mark.line, match[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
                node = node.value[step]
                found = node.start_mark.line
            else:
                break
        return None if found is None else found + self.offset

    def of(self, key, index=None, subkey=None):
        node = self.node
        if not isinstance(node, yaml.MappingNode):
            return None
        for k, v in node.value:
            if k.value == key:
                if index is None:
                    return k.start_mark.line + self.offset
                if isinstance(v, yaml.SequenceNode) and index < len(v.value):
                    item = v.value[index]
                    if subkey and isinstance(item, yaml.MappingNode):
                        for ik, _ in item.value:
                            if ik.value == subkey:
                                return ik.start_mark.line + self.offset
                    return item.start_mark.line + self.offset
                return k.start_mark.line + self.offset
        return None


def split_front_matter(text):
    """Return (front matter text, body, line number where the body starts) or raise ValueError."""
    if not text.startswith("---"):
        raise ValueError("the file must start with a '---' line, then YAML front matter")
    lines = text.split("\n")
    for i in range(1, len(lines)):
        if lines[i].rstrip() == "---":
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2
    raise ValueError("the front matter has no closing '---' line")


def _check_fields(data, spec, rel, lines, problems):
    for name, (kind, required) in spec.items():
        if name not in data or data[name] is None:
            if required:
                problems.append(Problem("error", rel, "is missing", lines.of(name), name))
            continue
        value = data[name]
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            problems.append(
                Problem(
                    "error",
                    rel,
                    f"must be {TYPE_NAMES[kind]}, not {value!r}",
                    lines.of(name),
                    name,
                )
            )
        elif kind is str and not value.strip():
            problems.append(Problem("error", rel, "must not be empty", lines.of(name), name))
    for name in data:
        if name not in spec:
            known = ", ".join(spec)
            problems.append(
                Problem("warning", rel, f"is not a known field (known: {known})", lines.of(name), name)
            )


def _items(data, name, rel, lines, problems):
    """Validate a list of {id, text}: prompts or exercises."""
    items, seen = [], set()
    raw = data.get(name)
    if not isinstance(raw, list):
        return items
    if not 1 <= len(raw) <= 10:
        problems.append(Problem("error", rel, "must have 1 to 10 items", lines.of(name), name))
    for i, entry in enumerate(raw):
        where = f"{name}[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"id", "text"}:
            problems.append(
                Problem("error", rel, "each item needs exactly 'id' and 'text'", lines.of(name, i), where)
            )
            continue
        item_id, text = entry["id"], entry["text"]
        if not isinstance(item_id, str) or not SLUG.match(item_id):
            problems.append(
                Problem(
                    "error",
                    rel,
                    f"id {item_id!r} must be lowercase words joined by hyphens",
                    lines.of(name, i, "id"),
                    f"{where}.id",
                )
            )
            continue
        if item_id in seen:
            problems.append(
                Problem("error", rel, f"id '{item_id}' is used twice", lines.of(name, i, "id"), f"{where}.id")
            )
            continue
        if not isinstance(text, str) or not text.strip():
            problems.append(
                Problem("error", rel, "text must not be empty", lines.of(name, i, "text"), f"{where}.text")
            )
            continue
        seen.add(item_id)
        items.append(Item(item_id, text.strip()))
    return items


def _load_yaml(front, rel, problems):
    try:
        data = yaml.safe_load(front)
        node = yaml.compose(front, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else None
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem("error", rel, f"the front matter is not valid YAML: {reason}", line))
        return None, None
    if not isinstance(data, dict):
        problems.append(Problem("error", rel, "the front matter must be a set of 'name: value' fields", 2))
        return None, None
    return data, _Lines(node, 2)


def _render(body, rel, body_line, problems):
    rendered = markdown.render(body, toc=True)
    for snippet in rendered.stripped:
        short = snippet if len(snippet) < 60 else snippet[:57] + "..."
        problems.append(
            Problem(
                "warning",
                rel,
                f"raw HTML or an unsafe link was removed from the page: {short!r}",
                body_line + _line_of(body, snippet),
            )
        )
    return rendered


def _line_of(body, snippet):
    first = snippet.splitlines()[0] if snippet else ""
    index = body.find(first)
    return body.count("\n", 0, index) if index >= 0 else 0


def _read_front(path, text, rel, spec, problems):
    """Front matter checked against `spec`: (data, lines, body, body_line), or None if unreadable."""
    try:
        front, body, body_line = split_front_matter(text)
    except ValueError as exc:
        problems.append(Problem("error", rel, str(exc), 1))
        return None
    data, lines = _load_yaml(front, rel, problems)
    if data is None:
        return None
    _check_fields(data, spec, rel, lines, problems)
    slug = data.get("slug")
    if isinstance(slug, str) and slug != path.stem:
        problems.append(
            Problem(
                "error", rel, f"'{slug}' must match the file name '{path.stem}'", lines.of("slug"), "slug"
            )
        )
    return data, lines, body, body_line


def parse_step(path, text, rel):
    problems = []
    front = _read_front(path, text, rel, STEP_FIELDS, problems)
    if front is None:
        return None, problems
    data, lines, body, body_line = front
    slug = data.get("slug")
    prompts = _items(data, "prompts", rel, lines, problems)
    exercises = _items(data, "exercises", rel, lines, problems)
    sources = []
    for i, key in enumerate(data.get("sources") or []):
        if key in SOURCES:
            sources.append(SOURCES[key])
        else:
            known = ", ".join(SOURCES)
            problems.append(
                Problem(
                    "error",
                    rel,
                    f"unknown source {key!r} (known: {known})",
                    lines.of("sources", i),
                    f"sources[{i}]",
                )
            )
    for name in ("related", "aliases"):
        for i, value in enumerate(data.get(name) or []):
            if not isinstance(value, str) or not SLUG.match(value):
                problems.append(
                    Problem("error", rel, f"{value!r} is not a step slug", lines.of(name, i), f"{name}[{i}]")
                )
    in_brief = _in_brief(data, rel, lines, problems)
    try_today = _try_today(data, exercises, rel, lines, problems)
    rendered = _render(body, rel, body_line, problems)
    help_text = data.get("help")
    help_html = ""
    if isinstance(help_text, str) and help_text.strip():
        help_html = _render(help_text, rel, lines.of("help") or 1, problems).html
    if any(p.level == "error" for p in problems):
        return None, problems
    step = Step(
        slug=slug,
        title=data["title"].strip(),
        order=data["order"],
        summary=data["summary"].strip(),
        core=data["core"],
        help=data["help"].strip(),
        prompts=prompts,
        exercises=exercises,
        sources=sources,
        html=rendered.html,
        toc=rendered.toc,
        reading_minutes=max(1, math.ceil(len(WORDS.findall(body)) / WORDS_PER_MINUTE)),
        path=rel,
        content_note=(data.get("content_note") or "").strip(),
        related=list(data.get("related") or []),
        aliases=list(data.get("aliases") or []),
        order_line=lines.of("order"),
        in_brief=in_brief,
        try_today=try_today,
        help_html=help_html,
    )
    return step, problems


def _in_brief(data, rel, lines, problems):
    """`in_brief`: one to three short, non-empty lines of text."""
    raw = data.get("in_brief")
    if not isinstance(raw, list):
        return []
    if not 1 <= len(raw) <= 3:
        problems.append(Problem("error", rel, "must have 1 to 3 lines", lines.of("in_brief"), "in_brief"))
    found = []
    for i, value in enumerate(raw):
        if not isinstance(value, str) or not value.strip():
            problems.append(
                Problem(
                    "error",
                    rel,
                    f"must be a line of text, not {value!r}",
                    lines.of("in_brief", i),
                    f"in_brief[{i}]",
                )
            )
        else:
            found.append(value.strip())
    return found


def _try_today(data, exercises, rel, lines, problems):
    """`try_today`: the id of one of this step's exercises."""
    value = data.get("try_today")
    if not isinstance(value, str) or not value.strip():
        return None
    item = next((e for e in exercises if e.id == value.strip()), None)
    if item is None:
        known = ", ".join(e.id for e in exercises) or "none"
        problems.append(
            Problem(
                "error",
                rel,
                f"'{value}' is not the id of an exercise of this step (exercises: {known})",
                lines.of("try_today"),
                "try_today",
            )
        )
    return item


def parse_page(path, text, rel):
    problems = []
    front = _read_front(path, text, rel, PAGE_FIELDS, problems)
    if front is None:
        return None, problems
    data, lines, body, body_line = front
    slug = data.get("slug")
    crisis_lines, records = _crisis_lines(data.get("crisis_lines"), rel, lines, problems)
    rendered = _render(body, rel, body_line, problems)
    if any(p.level == "error" for p in problems):
        return None, problems
    meta = {k: v for k, v in data.items() if k not in ("title", "slug", "summary")}
    if crisis_lines:
        meta["crisis_lines"] = crisis_lines
    page = Page(
        slug=slug,
        title=data["title"].strip(),
        summary=data["summary"].strip(),
        html=rendered.html,
        toc=rendered.toc,
        path=rel,
        meta=meta,
        crisis_lines=records,
    )
    return page, problems


PHONE = re.compile(r"^\+?[0-9][0-9 -]*[0-9]$")


@dataclass(frozen=True)
class CrisisLine:
    """One line of a page's `crisis_lines`, as the check about verification dates needs it."""

    path: str
    line: int | None
    country: str
    name: str
    verified: datetime.date | None


def _crisis_lines(groups, rel, lines, problems):
    """Check `crisis_lines` and return (groups ready for the template, [CrisisLine])."""
    shown, records = [], []
    if groups is None:
        return shown, records
    if not isinstance(groups, list):
        return shown, records  # _check_fields has reported the type
    for i, group in enumerate(groups):
        where = f"crisis_lines[{i}]"
        if not isinstance(group, dict) or not isinstance(group.get("country"), str):
            problems.append(Problem("error", rel, "needs a 'country'", lines.at("crisis_lines", i), where))
            continue
        country = group["country"].strip()
        entries = []
        for j, entry in enumerate(group.get("lines") or []):
            here = f"{where}.lines[{j}]"
            line = lines.at("crisis_lines", i, "lines", j)
            if not isinstance(entry, dict):
                problems.append(Problem("error", rel, "must be a set of fields", line, here))
                continue
            checked = _crisis_line(
                entry, rel, problems, here, lambda key, i=i, j=j: lines.at("crisis_lines", i, "lines", j, key)
            )
            if checked is None:
                continue
            entries.append(checked)
            records.append(CrisisLine(rel, line, country, checked["name"], checked["verified"]))
        shown.append(
            {
                "country": country,
                "id": re.sub(r"[^a-z0-9]+", "-", country.lower()).strip("-"),
                "lines": entries,
            }
        )
    return shown, records


def _crisis_line(entry, rel, problems, where, line_of):
    """One crisis line checked and made ready to show (tel: and sms: links), or None."""
    bad = len(problems)
    known = {"name", "call", "text", "text_message", "note", "hours", "url", "added", "verified"}
    for key in entry:
        if key not in known:
            problems.append(
                Problem(
                    "warning",
                    rel,
                    f"is not a known field (known: {', '.join(sorted(known))})",
                    line_of(key),
                    f"{where}.{key}",
                )
            )
    if not isinstance(entry.get("name"), str) or not entry["name"].strip():
        problems.append(Problem("error", rel, "is missing", line_of("name"), f"{where}.name"))
    for key in ("call", "text"):
        value = entry.get(key)
        if value is not None and not (isinstance(value, str | int) and PHONE.match(str(value))):
            problems.append(
                Problem(
                    "error",
                    rel,
                    f'must be a phone number like "0808 2000 247", not {value!r}',
                    line_of(key),
                    f"{where}.{key}",
                )
            )
    if not any(entry.get(key) for key in ("call", "text", "url")):
        problems.append(
            Problem("error", rel, "needs at least one of 'call', 'text' or 'url'", line_of("name"), where)
        )
    for key in ("note", "hours", "text_message"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            problems.append(Problem("error", rel, "must be text", line_of(key), f"{where}.{key}"))
    if not isinstance(entry.get("added"), datetime.date):
        problems.append(
            Problem(
                "error",
                rel,
                "must be the date the line was added, like 2026-11-29",
                line_of("added"),
                f"{where}.added",
            )
        )
    verified = entry.get("verified")
    if verified is not None and not isinstance(verified, datetime.date):
        problems.append(
            Problem(
                "error",
                rel,
                "must be the date a person checked the line on the organisation's own "
                "site, like 2026-11-29, or left out until someone has",
                line_of("verified"),
                f"{where}.verified",
            )
        )
    url = entry.get("url", "")
    if url and not str(url).startswith("https://"):
        problems.append(Problem("error", rel, "must start with https://", line_of("url"), f"{where}.url"))
    if len(problems) > bad and any(p.level == "error" for p in problems[bad:]):
        return None
    call, text = entry.get("call"), entry.get("text")
    sms = None
    if text:
        sms = "sms:" + re.sub(r"[^0-9+]", "", str(text))
        if entry.get("text_message"):
            sms += "?body=" + quote(entry["text_message"])
    return {
        "name": entry["name"].strip(),
        "call": str(call) if call else "",
        "tel": "tel:" + re.sub(r"[^0-9+]", "", str(call)) if call else "",
        "text": str(text) if text else "",
        "text_message": entry.get("text_message") or "",
        "sms": sms or "",
        "note": (entry.get("note") or "").strip(),
        "hours": (entry.get("hours") or "").strip(),
        "url": url or "",
        "added": entry["added"],
        "verified": verified,
    }
