"""A database that goes away for a few seconds: every write meanwhile answers 503 (never 500)
with the words kept on the page, /healthz says 503, and once it is back every acknowledged write
is stored exactly once and nothing else is.

The first tests make the test database refuse queries for a window (a connection execute
wrapper raising OperationalError). The last runs gunicorn on a PostgreSQL database of its own and
blocks every connection to it for three seconds while a loop of writes goes on.
"""

import re
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager

import pytest
import requests
from django.db import OperationalError, connection
from django.test import Client

from bench.servers import Gunicorn, Services, fernet_key, make_users, prepare
from journal.models import Draft, Entry
from tests.journal_helpers import make_entry
from tests.server_helpers import services_or_skip

UNSAVED = "We could not save this just now. Your words are still here; try again in a moment."
# The test's own transaction must outlive the outage, so its savepoints are let through.
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


class Outage:
    """While `down`, every query (or only those matching `only`) fails as an unreachable database."""

    def __init__(self, only=None):
        self.down = False
        self.only = only

    def __call__(self, execute, sql, params, many, context):
        control = sql.lstrip().upper().startswith(TRANSACTION_CONTROL)
        if self.down and not control and (self.only is None or self.only.search(sql)):
            raise OperationalError("connection to server failed: the database is down (test)")
        return execute(sql, params, many, context)


@contextmanager
def outage(**kwargs):
    broken = Outage(**kwargs)
    with connection.execute_wrapper(broken):
        yield broken


@pytest.fixture
def writer(owner):
    # A 503 raised in a middleware goes through handler500, which the test client would re-raise.
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    return client


def new_entry(client, title, body):
    return client.post(
        "/journal/new/", {"title": title, "body": body, "mood": "3", "draft": str(uuid.uuid4())}
    )


def autosave(client, draft, body):
    return client.post(
        "/journal/drafts/save/", {"draft": draft, "title": "", "body": body}, HTTP_HX_REQUEST="true"
    )


def stored_titles(owner):
    return Counter(Entry.objects.filter(owner=owner).values_list("title", flat=True))


@pytest.mark.django_db
def test_writes_during_an_outage_are_503_and_acknowledged_ones_are_stored_once(owner, writer, caplog):
    acknowledged, refused, statuses = [], [], Counter()
    drafts_acknowledged, drafts_refused = {}, {}
    with outage() as broken:
        for i in range(30):
            broken.down = 10 <= i < 20
            title, body = f"entry {i}", f"secret words number {i}"
            response = new_entry(writer, title, body)
            statuses[response.status_code] += 1
            if response.status_code == 302:
                acknowledged.append(title)
            else:
                assert response.status_code == 503, response.content[:300]
                assert response["Retry-After"]
                assert "no-store" in response["Cache-Control"]
                page = response.content.decode()
                assert UNSAVED in page
                assert f">{body}</textarea>" in page  # the words, back in a textarea that posts them
                refused.append(title)
            draft = str(uuid.uuid4())
            saved = autosave(writer, draft, f"draft words {i}")
            statuses[saved.status_code] += 1
            (drafts_acknowledged if saved.status_code == 200 else drafts_refused)[draft] = f"draft words {i}"
            if broken.down:
                assert saved.status_code == 503
                assert writer.get("/healthz").status_code == 503

    assert statuses[500] == 0, statuses
    assert len(refused) == 10 and len(drafts_refused) == 10
    assert writer.get("/healthz").status_code == 200
    titles = stored_titles(owner)
    assert all(titles[title] == 1 for title in acknowledged), titles
    assert not any(titles[title] for title in refused)
    drafts = dict(Draft.objects.filter(owner=owner).pending().values_list("code", "body"))
    assert {str(code): body for code, body in drafts.items()} == drafts_acknowledged
    # Journal text never reaches a log, not even in the errors of the outage.
    assert "secret words" not in caplog.text and "draft words" not in caplog.text


@pytest.mark.django_db
def test_a_save_that_meets_the_outage_shows_the_editor_again_with_the_words(owner, writer, steps):
    body = "What I wanted to say, kept whole."
    data = {"title": "Kept", "body": body, "mood": "4", "step": "reflect", "draft": str(uuid.uuid4())}
    with outage(only=re.compile(r'^\s*INSERT INTO "journal_entry"', re.I)) as broken:
        broken.down = True
        response = writer.post("/journal/new/", data)

    assert response.status_code == 503
    assert response["Retry-After"]
    page = response.content.decode()
    assert UNSAVED in page
    # The whole editor, not the plain page: the mood and step are kept with the words.
    assert 'class="journal-editor"' in page and 'action="/journal/new/"' in page
    assert f">{body}</textarea>" in page and 'value="Kept"' in page
    assert 'value="4" checked' in page
    assert 'value="reflect" selected' in page
    assert not Entry.objects.filter(owner=owner).exists()
    # And once the database answers, posting the same page again saves it, once.
    assert writer.post("/journal/new/", data).status_code == 302
    assert stored_titles(owner) == Counter({"Kept": 1})


@pytest.mark.django_db
def test_an_edit_that_meets_the_outage_keeps_the_words_and_the_version(owner, writer):
    entry = make_entry(owner, body="before")
    data = {"title": "t", "body": "after, not lost", "version": "1", "draft": str(uuid.uuid4())}
    with outage(only=re.compile(r'^\s*UPDATE "journal_entry"', re.I)) as broken:
        broken.down = True
        response = writer.post(f"/journal/{entry.code}/edit/", data)

    assert response.status_code == 503
    page = response.content.decode()
    assert UNSAVED in page and ">after, not lost</textarea>" in page
    assert f'action="/journal/{entry.code}/edit/"' in page and 'name="version" value="1"' in page
    assert Entry.objects.get(pk=entry.pk).body == "before"
    assert writer.post(f"/journal/{entry.code}/edit/", data).status_code == 302
    assert Entry.objects.get(pk=entry.pk).body == "after, not lost"


@pytest.mark.django_db
def test_pages_that_only_read_are_503_too_during_the_outage(owner, writer):
    with outage() as broken:
        broken.down = True
        for path in ("/journal/", "/progress/", "/steps/", "/healthz"):
            response = writer.get(path)
            assert response.status_code == 503, path
            assert "Please try again in a moment" in response.content.decode() or path == "/healthz"


# A real outage, on PostgreSQL under gunicorn

WRITERS = 4
OUTAGE_SECONDS = 3
ENTRY_URL = re.compile(r"^/journal/([0-9a-f-]{36})/$")


def block_connections(admin_url, name, allowed):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if allowed else "false"}')
        if not allowed:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )


@pytest.mark.slow
def test_a_real_outage_answers_503_and_loses_or_doubles_nothing():
    """Writers post entries and autosaves in a loop through gunicorn while every connection to
    the database is cut and refused for three seconds."""
    services_or_skip()
    key = fernet_key()
    with Services("outage") as services, tempfile.TemporaryDirectory() as static:
        env = services.env(static_root=static, journal_key=key)
        prepare(env)
        emails = [f"outage{n}@example.com" for n in range(WRITERS)]
        accounts = make_users(env, emails, None, sessions=True)
        server = Gunicorn(env, workers=2).start()
        try:
            ledger = run_writes_through_an_outage(server, services, accounts)
        finally:
            server.stop()
            block_connections(services._admin_url, services.name, True)
        stored = stored_titles_in(services, key)

    statuses = ledger["statuses"]
    assert statuses[500] == 0, statuses
    assert not ledger["other"], ledger["other"][:5]
    assert statuses[503] > 0, f"the outage was never met: {statuses}"
    assert 503 in ledger["health"], "healthz never said 503 during the outage"
    doubled = {title: n for title, n in stored.items() if n > 1}
    assert not doubled, f"stored more than once: {list(doubled)[:5]}"
    missing = [title for title in ledger["acknowledged"] if title not in stored]
    assert not missing, f"{len(missing)} acknowledged writes are not stored: {missing[:5]}"
    # A write answered 503 was rolled back whole; it may only be there if its commit won the race
    # with the cut (then it is there once, and its retry from the page would be a second entry).
    assert len([t for t in ledger["refused"] if t in stored]) <= WRITERS


def run_writes_through_an_outage(server, services, accounts):
    ledger = {
        "statuses": Counter(),
        "acknowledged": [],
        "refused": [],
        "other": [],
        "health": Counter(),
        "lock": threading.Lock(),
    }
    started, done = threading.Event(), threading.Event()

    def write(email, account):
        with requests.Session() as browser:
            browser.cookies.set("sessionid", account["sessionid"])
            browser.cookies.set("csrftoken", account["csrftoken"])
            headers = {"X-CSRFToken": account["csrftoken"]}
            i = 0
            while not done.is_set():
                title = f"{email} {i}"
                i += 1
                try:
                    response = browser.post(
                        f"{server.url}/journal/new/",
                        data={"title": title, "body": f"words of {title}", "draft": str(uuid.uuid4())},
                        headers=headers,
                        allow_redirects=False,
                        timeout=30,
                    )
                except requests.RequestException as exc:
                    with ledger["lock"]:
                        ledger["other"].append(f"{title}: {type(exc).__name__}")
                    continue
                with ledger["lock"]:
                    ledger["statuses"][response.status_code] += 1
                    if response.status_code == 302 and ENTRY_URL.match(response.headers["Location"]):
                        ledger["acknowledged"].append(title)
                    elif response.status_code == 503 and f"words of {title}" in response.text:
                        ledger["refused"].append(title)
                    else:
                        ledger["other"].append(f"{title}: {response.status_code} {response.text[:200]!r}")
                started.set()

    def watch_health():
        while not done.is_set():
            try:
                status = requests.get(f"{server.url}/healthz", timeout=10).status_code
            except requests.RequestException:
                status = "no answer"
            with ledger["lock"]:
                ledger["health"][status] += 1
            time.sleep(0.2)

    threads = [threading.Thread(target=write, args=(email, a)) for email, a in accounts.items()]
    threads.append(threading.Thread(target=watch_health))
    for thread in threads:
        thread.start()
    try:
        assert started.wait(30), "no write was answered"
        time.sleep(1)
        block_connections(services._admin_url, services.name, False)
        time.sleep(OUTAGE_SECONDS)
        block_connections(services._admin_url, services.name, True)
        time.sleep(3)
    finally:
        done.set()
        for thread in threads:
            thread.join(60)
    return ledger


def stored_titles_in(services, key):
    from cryptography.fernet import Fernet

    fernet = Fernet(key)
    with services.connect() as conn:
        rows = conn.execute("SELECT title FROM journal_entry").fetchall()
    return Counter(fernet.decrypt(title.encode()).decode() for (title,) in rows)
