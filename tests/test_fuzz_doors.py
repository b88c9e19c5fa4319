"""Hostile values at every door: each form, each POST and each GET that reads a parameter, as
the signed-in owner, as a stranger aiming at the owner's codes, and as a visitor.

Whatever arrives (NUL, lone surrogates, bytes that are not UTF-8, numbers past every integer
column, long text, a list where one value belongs, a file where text belongs, someone else's
codes), the answer is never a 500, takes less than CPU_BOUND seconds of this process's time, and
leaves the other person's rows exactly as they were. Each example runs in a savepoint rolled
back afterwards, so every one starts from the same two journals.

A few examples a door in `make test`; `make fuzz` (HYPOTHESIS_PROFILE=fuzz) runs many more. The
import file itself is fuzzed in test_journal_import.py.
"""

import json
import os
import time
import uuid
from dataclasses import dataclass
from urllib.parse import quote_from_bytes

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journal.models import Draft, Entry, OwnPrompt
from recovery.content import library
from recovery.models import ExerciseTick, StepProgress, User
from recovery.progress import tracker_for
from tests.journal_helpers import make_entry

pytestmark = pytest.mark.django_db

CPU_BOUND = 2.0  # seconds of this process's CPU a request may take, whatever is sent
PASSWORD = "a long calm password 1"
QUICK = os.environ.get("HYPOTHESIS_PROFILE", "quick") == "quick"
DOOR_SETTINGS = settings(
    max_examples=15 if QUICK else max(15, settings.default.max_examples // 10),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "%00",
    "\ud800",
    "x\udfffy",
    "\u202e\u200b\ufeff",
    "💔",
    "null",
    "None",
    "[]",
    "{}",
    "-1",
    "0",
    "6",
    "-0",
    "1.5",
    "1e309",
    "NaN",
    "inf",
    "١",  # an Arabic-Indic one: int() accepts it
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "-9223372036854775809",
    "9" * 5000,
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "{{ request }}",
    "%(value)s",
    "x" * 201,
    "x" * 100_001,
    "word " * 19_999,
    PASSWORD,
    "alice@example.com",
    "charlie@example.com",
]


def wire(value):
    """A value as the bytes that go on the wire: surrogates as their UTF-8-like bytes."""
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def urlencode(pairs):
    return "&".join(
        f"{quote_from_bytes(wire(k), safe='')}={quote_from_bytes(wire(v), safe='')}" for k, v in pairs
    )


def hostile(codes=()):
    """One hostile value: text, bytes that are not UTF-8, numbers, or one of someone's codes."""
    return st.one_of(
        st.sampled_from(NASTY + list(codes)),
        st.text(max_size=40),
        st.text(st.characters(codec=None, categories=["Cc", "Cs", "Co", "Cf", "Zs"]), max_size=10),
        st.integers().map(str),
        st.binary(max_size=12),
    )


@dataclass(frozen=True)
class Door:
    method: str
    path: str  # with {entry}, {trashed}, {draft}, {own}, {slug}, {exercise}, {text} in it
    fields: tuple = ()
    always: tuple = ()  # (name, value) pairs every request carries, e.g. the preview button

    def __str__(self):
        return f"{self.method} {self.path}" + "".join(f" {name}" for name, _ in self.always)


EDITOR = ("title", "body", "mood", "step", "prompt", "version", "draft", "own")
OWN_PROMPT = ("text", "template")
AUTOSAVE = ("draft", "entry", "version", "title", "body", "mood", "step", "prompt")
LIST = ("q", "step", "mood", "page")
PRINT = ("start", "end", "steps", "moods", "checkins", "title", "name_site")

DOORS = [
    # The path and plain pages
    Door("GET", "/", ("next",)),
    Door("GET", "/steps/", ()),
    Door("GET", "/steps/{slug}/", ()),
    Door("GET", "/{text}/", ()),
    Door("POST", "/steps/{slug}/complete/", ()),
    Door("POST", "/steps/{slug}/revisit/", ()),
    Door("POST", "/steps/{slug}/exercises/{exercise}/", ("done",)),
    Door("GET", "/healthz", ()),
    Door("POST", "/exit/", AUTOSAVE),
    # The journal
    Door("GET", "/journal/", LIST),
    Door("GET", "/journal/trash/", ("page",)),
    Door("GET", "/journal/new/", ("step", "prompt", "draft", "own")),
    Door("POST", "/journal/new/", EDITOR),
    Door("POST", "/journal/new/", EDITOR, always=(("preview", "1"),)),
    Door("GET", "/journal/{entry}/", ()),
    Door("GET", "/journal/{entry}/edit/", ("draft",)),
    Door("POST", "/journal/{entry}/edit/", EDITOR),
    Door("POST", "/journal/{entry}/edit/", EDITOR, always=(("preview", "1"),)),
    Door("POST", "/journal/preview/", ("body",)),
    Door("POST", "/journal/drafts/save/", AUTOSAVE),
    Door("POST", "/journal/drafts/{draft}/discard/", ()),
    Door("POST", "/journal/{entry}/delete/", ()),
    Door("POST", "/journal/{trashed}/restore/", ("next",)),
    Door("GET", "/journal/{trashed}/destroy/", ()),
    Door("POST", "/journal/{trashed}/destroy/", ()),
    Door("GET", "/journal/export/", ()),
    Door("GET", "/journal/export/therapist/", ()),
    Door("GET", "/journal/print/", PRINT),
    Door("POST", "/journal/print/", PRINT),
    Door("POST", "/journal/export/therapist/pdf/", PRINT),
    Door("GET", "/journal/export/moods.csv", ()),
    Door("GET", "/journal/{entry}/download.md", ()),
    Door("GET", "/journal/{entry}/download.pdf", ()),
    Door("POST", "/journal/import/", ("archive",)),
    # Own prompts
    Door("GET", "/journal/prompts/", ()),
    Door("GET", "/journal/prompts/add/", ()),
    Door("POST", "/journal/prompts/add/", OWN_PROMPT),
    Door("GET", "/journal/prompts/{own}/edit/", ()),
    Door("POST", "/journal/prompts/{own}/edit/", OWN_PROMPT),
    Door("POST", "/journal/prompts/{own}/pin/", ()),
    Door("POST", "/journal/prompts/{own}/unpin/", ()),
    Door("POST", "/journal/prompts/{own}/retire/", ()),
    Door("POST", "/journal/prompts/{own}/bring-back/", ()),
    Door("GET", "/journal/prompts/{own}/delete/", ()),
    Door("POST", "/journal/prompts/{own}/delete/", ()),
    # Progress and the account
    Door("GET", "/progress/", ()),
    Door("POST", "/progress/check-in/", ("mood", "note")),
    Door("POST", "/accounts/", ("collapse_content_notes",)),
    Door("POST", "/accounts/delete/", ("password",)),
    Door("GET", "/accounts/download/", ()),
    # allauth
    Door("POST", "/accounts/login/", ("login", "password", "shared_device", "remember", "next")),
    Door("POST", "/accounts/signup/", ("email", "password1", "password2")),
    Door("POST", "/accounts/logout/", ("next",)),
    Door("POST", "/accounts/reauthenticate/", ("password",)),
    Door("POST", "/accounts/password/reset/", ("email",)),
    Door("GET", "/accounts/password/reset/key/{text}-{text}/", ()),
    Door("POST", "/accounts/password/reset/key/{text}-{text}/", ("password1", "password2")),
    Door("GET", "/accounts/confirm-email/{text}/", ()),
    Door("POST", "/accounts/confirm-email/{text}/", ()),
    Door(
        "POST", "/accounts/email/", ("email", "action_add", "action_remove", "action_primary", "action_send")
    ),
    Door("POST", "/accounts/password/change/", ("oldpassword", "password1", "password2")),
    Door("POST", "/accounts/password/set/", ("password1", "password2")),
    Door("POST", "/accounts/login/code/confirm/", ("code",)),
    Door("POST", "/accounts/2fa/authenticate/", ("code",)),
    Door("POST", "/accounts/2fa/reauthenticate/", ("code",)),
    Door("POST", "/accounts/2fa/totp/activate/", ("code",)),
    Door("POST", "/accounts/2fa/totp/deactivate/", ()),
    Door("POST", "/accounts/2fa/recovery-codes/generate/", ()),
    Door("POST", "/accounts/sessions/", ()),
]


def journal_of(user):
    """A little of everything a person has: entries (one in the trash), drafts, progress."""
    lib = library()
    doc = lib.path[0]
    entry = make_entry(user, title=f"{user.email}'s entry", step=None)
    trashed = make_entry(user, title="in the trash", deleted_at=timezone.now())
    draft = Draft.objects.create(owner=user, title="typing", body="half a thought")
    Draft.objects.create(owner=user, entry=entry, title="an edit", body="not saved yet", base_version=1)
    own = OwnPrompt.objects.create(
        owner=user, text=f"{user.email}'s question", template="To begin:", pinned=True
    )
    entry.own_prompt = own
    entry.save(update_fields=["own_prompt"])

    class Request:
        pass

    request = Request()
    request.user = user
    tracker = tracker_for(request)
    tracker.complete(doc)
    tracker.tick(doc, doc.exercises[0].id, True)
    return {"entry": entry.code, "trashed": trashed.code, "draft": draft.code, "own": own.code}


def snapshot(user):
    """Everything of one person's that a door could change, as plain values."""
    return {
        "user": list(
            User.objects.filter(pk=user.pk).values_list(
                "email", "password", "is_active", "collapse_content_notes"
            )
        ),
        "emails": sorted(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary")),
        "mfa": sorted(Authenticator.objects.filter(user=user).values_list("type", "data")),
        "entries": list(
            Entry.objects.filter(owner=user)
            .order_by("pk")
            .values_list(
                "code",
                "title",
                "body",
                "mood",
                "step_id",
                "prompt",
                "own_prompt_id",
                "version",
                "deleted_at",
                "updated_at",
            )
        ),
        "own_prompts": list(
            OwnPrompt.objects.filter(owner=user)
            .order_by("pk")
            .values_list("code", "text", "template", "pinned", "retired_at")
        ),
        "drafts": list(
            Draft.objects.filter(owner=user)
            .order_by("pk")
            .values_list(
                "code", "entry_id", "title", "body", "mood", "step_id", "prompt", "updated_at", "used_at"
            )
        ),
        "progress": list(
            StepProgress.objects.filter(user=user)
            .order_by("pk")
            .values_list("step_id", "status", "started_at", "completed_at", "last_visited_at")
        ),
        "ticks": sorted(ExerciseTick.objects.filter(user=user).values_list("step_id", "exercise")),
    }


@pytest.fixture
def world(make_user):
    """The owner and the stranger, each with a journal, and the names a door may be given."""
    owner, stranger = make_user("alice@example.com"), make_user("charlie@example.com")
    lib = library()
    return {
        "owner": (owner, journal_of(owner)),
        "stranger": (stranger, journal_of(stranger)),
        "slugs": [doc.slug for doc in lib.path],
        "prompts": [(doc.slug, p.id) for doc in lib.path for p in doc.prompts],
        "exercises": [(doc.slug, e.id) for doc in lib.path for e in doc.exercises],
    }


def plausible(name, world, codes, link):
    """A value that looks right for the field, so hostile values in the others get further in."""
    by_name = {
        "draft": st.one_of(st.uuids().map(str), st.sampled_from([str(c) for c in codes])),
        "entry": st.sampled_from([str(c) for c in codes]),
        "own": st.sampled_from([str(c) for c in codes]),
        "text": st.text(max_size=60),
        "template": st.text(max_size=200),
        "version": st.sampled_from(["1", "2"]),
        "mood": st.sampled_from(["1", "3", "5"]),
        "step": st.just(link[0]),
        "prompt": st.sampled_from([link[1], ""]),
        "done": st.sampled_from(["0", "1"]),
        "title": st.text(max_size=30),
        "body": st.text(max_size=200),
        "note": st.text(max_size=30),
        "start": st.sampled_from(["2020-01-01", "2026-01-01"]),
        "end": st.sampled_from(["2030-12-31", "2026-12-31"]),
        "steps": st.just(link[0]),
        "moods": st.sampled_from(["1", "3", "5"]),
        "login": st.sampled_from(["alice@example.com", "charlie@example.com"]),
        "email": st.emails().filter(lambda e: len(e) < 200),
        "password": st.just(PASSWORD),
        "oldpassword": st.just(PASSWORD),
        "password1": st.just("another long calm password 2"),
        "password2": st.just("another long calm password 2"),
    }
    return by_name.get(name, st.just("1"))


@st.composite
def requests(draw, door, world, role):
    """(path, query pairs, body pairs or other payload, how the body is encoded)."""
    # The owner uses their own codes; the stranger and the visitor aim at the owner's.
    mine = world["owner"][1]
    codes = [*mine.values(), *world["stranger"][1].values()]
    code_texts = [str(c) for c in codes]
    quoted = hostile().map(lambda v: quote_from_bytes(wire(v)))
    slug, exercise = draw(st.sampled_from(world["exercises"]))
    path = door.path.format(
        entry=draw(st.sampled_from([mine["entry"], mine["trashed"], uuid.uuid4()])),
        trashed=draw(st.sampled_from([mine["trashed"], mine["entry"]])),
        draft=draw(st.sampled_from([mine["draft"], uuid.uuid4()])),
        own=draw(st.sampled_from([mine["own"], uuid.uuid4()])),
        slug=draw(st.one_of(st.just(slug), quoted)),
        exercise=draw(st.one_of(st.just(exercise), quoted)),
        text=draw(hostile(code_texts).map(lambda v: quote_from_bytes(wire(v), safe=""))).replace("%2F", "x")
        or "x",
    )
    # One or two fields hostile and the rest as a person would fill them, so that hostile
    # values get past the first check that would refuse the whole form.
    link = draw(st.sampled_from(world["prompts"]))
    odd = (
        draw(st.sets(st.sampled_from(door.fields), max_size=min(2, len(door.fields)))) if door.fields else ()
    )
    pairs = list(door.always)
    for name in door.fields:
        how = (
            draw(st.sampled_from(["hostile", "hostile", "missing", "twice"])) if name in odd else "plausible"
        )
        if how == "missing":
            continue
        values = hostile(code_texts) if how != "plausible" else plausible(name, world, codes, link)
        pairs.append((name, draw(values)))
        if how == "twice":
            pairs.append((name, draw(values)))
    # Now and then a field nobody asked for, or a body in another shape.
    if draw(st.booleans()):
        pairs.append((draw(hostile()), draw(hostile())))
    encoding = "form" if door.method == "GET" else draw(st.sampled_from(["form"] * 4 + ["multipart", "json"]))
    return path, pairs, encoding


def send(client, door, path, pairs, encoding):
    if door.method == "GET":
        return client.get(f"{path}?{urlencode(pairs)}")
    if encoding == "form":
        return client.generic(
            "POST", path, urlencode(pairs).encode(), content_type="application/x-www-form-urlencoded"
        )
    texts = {wire(k).decode("utf-8", "replace"): wire(v).decode("utf-8", "replace") for k, v in pairs}
    if encoding == "json":
        return client.post(path, json.dumps(texts), content_type="application/json")
    # A file where text belongs: the first field arrives as an upload.
    data = dict(texts)
    if data:
        from django.core.files.uploadedfile import SimpleUploadedFile

        name = next(iter(data))
        data[name] = SimpleUploadedFile("x.txt", wire(data[name]) or b"x")
    return client.post(path, data)


def client_for(role, world):
    client = Client()
    if role != "visitor":
        client.force_login(world[role][0])
    return client


ROLES = ["owner", "stranger", "visitor"]


@pytest.mark.parametrize("door", DOORS, ids=str)
def test_door_answers_hostile_values_without_a_500(world, door):
    @DOOR_SETTINGS
    @given(data=st.data())
    def knock(data):
        role = data.draw(st.sampled_from(ROLES), label="role")
        other = world["stranger" if role == "owner" else "owner"][0]
        path, pairs, encoding = data.draw(requests(door, world, role), label="request")
        with transaction.atomic():
            if not django_settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
                caches["default"].clear()  # rate limits, counted in Redis, would answer 429 to all
            client = client_for(role, world)
            before = snapshot(other)
            started = time.process_time()
            response = send(client, door, path, pairs, encoding)
            spent = time.process_time() - started
            after = snapshot(other)
            transaction.set_rollback(True)
        assert response.status_code < 500, (response.status_code, response.content[:500])
        assert spent < CPU_BOUND, f"{door} took {spent:.2f} s of CPU"
        assert after == before, f"{door} as {role} changed the other person's rows"

    knock()
