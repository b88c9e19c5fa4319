"""No acknowledged write is lost or doubled under concurrent load, even across a deploy.

20 clients at once each create 50 entries and edit each one, through two gunicorn servers in
production mode on one PostgreSQL database (bench/servers.py), while one server replaces its
workers halfway through as a deploy would. Afterwards the database is read directly, the text
decrypted with the run's key: every write a server acknowledged (a redirect to the entry) is
there exactly once with the text of its last acknowledged edit, and no response was a 500.

Skipped, with the reason, when DATABASE_URL is not a postgres:// URL or PostgreSQL or Redis do
not answer; with REQUIRE_SERVICES=1 that is a failure instead.
"""

import re
import tempfile
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bench.servers import Gunicorn, Services, fernet_key, make_users, prepare
from tests.server_helpers import services_or_skip

pytestmark = pytest.mark.slow
CLIENTS = 20
ENTRIES = 50
ENTRY_URL = re.compile(r"^/journal/([0-9a-f-]{36})/$")


@pytest.fixture(scope="module")
def deployment():
    services_or_skip()
    key = fernet_key()
    with Services("nodataloss") as services, tempfile.TemporaryDirectory() as static:
        env = services.env(static_root=static, journal_key=key)
        prepare(env)
        a, b = Gunicorn(env), Gunicorn(env)
        try:
            a.start()
            b.start()
            yield {"servers": (a, b), "env": env, "key": key, "services": services}
        finally:
            a.stop()
            b.stop()


class Ledger:
    """What the servers acknowledged, and every status they answered, from all clients."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses = Counter()
        self.problems = []
        self.entries = {}  # code -> {"owner", "title", "body", "version"}
        self.writes = 0

    def answered(self, what, response):
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code != 302:
                self.problems.append(f"{what}: {response.status_code} {response.text[:200]!r}")
                return False
            self.writes += 1
            return True

    def failed(self, what, exc):
        with self.lock:
            self.problems.append(f"{what}: no response ({exc.__class__.__name__}: {exc})")


def write_entries(number, account, servers, cookies, ledger, halfway):
    email = account["email"]
    with requests.Session() as browser:
        browser.cookies.set(cookies["session"], account["sessionid"])
        browser.cookies.set(cookies["csrf"], account["csrftoken"])
        headers = {"X-CSRFToken": account["csrftoken"]}
        for i in range(ENTRIES):
            if i == ENTRIES // 2 and number == 0:
                halfway.set()
            title = f"{email} entry {i}"
            first = servers[(number + i) % 2]
            data = {"title": title, "body": f"First words of {title}.", "mood": str(1 + i % 5)}
            try:
                created = browser.post(
                    f"{first.url}/journal/new/", data=data, headers=headers, allow_redirects=False, timeout=60
                )
            except requests.RequestException as exc:
                ledger.failed(f"create {title}", exc)
                continue
            if not ledger.answered(f"create {title}", created):
                continue
            code = ENTRY_URL.match(created.headers["Location"]).group(1)
            with ledger.lock:
                ledger.entries[code] = {"owner": email, "title": title, "body": data["body"], "version": 1}
            # The edit goes to the other server, as the next request behind a load balancer may.
            second = servers[(number + i + 1) % 2]
            edit = {"title": title, "body": f"Edited words of {title}.", "mood": "3", "version": "1"}
            try:
                edited = browser.post(
                    f"{second.url}/journal/{code}/edit/",
                    data=edit,
                    headers=headers,
                    allow_redirects=False,
                    timeout=60,
                )
            except requests.RequestException as exc:
                ledger.failed(f"edit {title}", exc)
                continue
            if ledger.answered(f"edit {title}", edited):
                with ledger.lock:
                    ledger.entries[code].update(body=edit["body"], version=2)


def stored_entries(services, key, emails):
    from cryptography.fernet import Fernet

    fernet = Fernet(key)

    def clear(token):
        return fernet.decrypt(token.encode()).decode() if token else token

    with services.connect() as conn:
        rows = conn.execute(
            "SELECT e.code, u.email, e.title, e.body, e.version, e.deleted_at"
            " FROM journal_entry e JOIN recovery_user u ON u.id = e.owner_id"
            " WHERE u.email = ANY(%s)",
            (list(emails),),
        ).fetchall()
    return [
        {
            "code": str(code),
            "owner": email,
            "title": clear(title),
            "body": clear(body),
            "version": version,
            "deleted_at": deleted,
        }
        for code, email, title, body, version, deleted in rows
    ]


def test_concurrent_writes_through_a_deploy_are_all_kept_exactly_once(deployment):
    a, b = deployment["servers"]
    emails = [f"writer{n:02d}@example.com" for n in range(CLIENTS)]
    accounts = make_users(deployment["env"], emails, None, sessions=True)
    cookies = {"session": "sessionid", "csrf": "csrftoken"}
    ledger, halfway = Ledger(), threading.Event()

    def deploy():
        """Halfway through, server A replaces its workers while requests keep coming."""
        assert halfway.wait(120), "the clients never got halfway"
        before = set(a.workers())
        a.reload()
        return before, set(a.workers())

    with ThreadPoolExecutor(CLIENTS + 1) as pool:
        futures = [
            pool.submit(
                write_entries, n, {"email": email, **accounts[email]}, (a, b), cookies, ledger, halfway
            )
            for n, email in enumerate(emails)
        ]
        deployed = pool.submit(deploy)
        for future in futures:
            future.result()
        old_workers, new_workers = deployed.result()

    assert old_workers and new_workers and not old_workers & new_workers

    assert ledger.statuses[500] == 0, ledger.problems[:5]
    assert not ledger.problems, f"{len(ledger.problems)} writes not acknowledged: {ledger.problems[:5]}"
    assert ledger.writes == CLIENTS * ENTRIES * 2

    stored = stored_entries(deployment["services"], deployment["key"], emails)
    titles = Counter(row["title"] for row in stored)
    doubled = [title for title, count in titles.items() if count > 1]
    assert not doubled, f"entries stored more than once: {doubled[:5]}"
    by_code = {row["code"]: row for row in stored}
    missing = [code for code in ledger.entries if code not in by_code]
    assert not missing, f"{len(missing)} acknowledged entries are not in the database"
    wrong = [
        (want["title"], by_code[code]["body"], want["body"])
        for code, want in ledger.entries.items()
        if (by_code[code]["title"], by_code[code]["body"], by_code[code]["version"], by_code[code]["owner"])
        != (want["title"], want["body"], want["version"], want["owner"])
        or by_code[code]["deleted_at"] is not None
    ]
    assert not wrong, f"{len(wrong)} entries differ from their last acknowledged write: {wrong[:3]}"
    assert len(stored) == len(ledger.entries) == CLIENTS * ENTRIES


AUTOSAVE = "/journal/drafts/save/"  # journal/urls.py, name "autosave"


def test_two_autosaves_starting_the_same_draft_at_once_are_both_kept(deployment):
    """The editor saves after a pause and again on blur; the two can leave together, and on a
    new draft both find no row yet. Neither may be refused: the text would be lost."""
    a, b = deployment["servers"]
    email = "racer@example.com"
    account = make_users(deployment["env"], [email], None, sessions=True)[email]
    statuses, texts = Counter(), {}
    for attempt in range(10):
        draft = str(uuid.uuid4())
        start = threading.Barrier(2)

        def save(server, text, draft=draft, start=start):
            with requests.Session() as browser:
                browser.cookies.set("sessionid", account["sessionid"])
                browser.cookies.set("csrftoken", account["csrftoken"])
                start.wait()
                return browser.post(
                    server.url + AUTOSAVE,
                    data={"draft": draft, "title": "", "body": text},
                    headers={"X-CSRFToken": account["csrftoken"], "HX-Request": "true"},
                    timeout=30,
                ).status_code

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(save, (a, b), (f"pause {attempt}", f"blur {attempt}")))
        statuses.update(answers)
        texts[draft] = {f"pause {attempt}", f"blur {attempt}"}

    assert statuses == Counter({200: 20}), statuses
    with deployment["services"].connect() as conn:
        rows = dict(
            conn.execute(
                "SELECT code::text, body FROM journal_draft WHERE code::text = ANY(%s)", (list(texts),)
            ).fetchall()
        )
    from cryptography.fernet import Fernet

    fernet = Fernet(deployment["key"])
    assert set(rows) == set(texts)
    for code, body in rows.items():
        assert fernet.decrypt(body.encode()).decode() in texts[code]
