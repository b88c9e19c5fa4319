"""Real-browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

One browser serves all the tests here and every test gets fresh contexts (cookies, storage).
When Chromium cannot be started every test here skips with one reason, printed once at the end
of the run; with REQUIRE_BROWSER=1 (CI) that is a failure instead.

Nothing may leave the machine: each context answers requests to the live server, fulfils the
few outside addresses a test asks for with a small local page, refuses everything else, and the
test fails if anything else was attempted, or if the console shows a script error or a request
refused by the Content-Security-Policy.
"""

import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.cache import caches

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 800}
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

_skip_reason = []


def _start_browser():
    """(playwright, browser), or raise with why not."""
    if not Path(CHROMIUM).is_file():
        raise RuntimeError(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RuntimeError("Playwright is not installed (pip install -r requirements-dev.txt)") from None
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as exc:
        playwright.stop()
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RuntimeError(f"Chromium at {CHROMIUM} did not start: {first_line}") from None
    return playwright, browser


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the browser tests, stopped when they are done.

    Playwright's sync API keeps an asyncio loop marked as running in this thread for as long as
    it is started, and Django refuses ORM calls when it sees one. The tests call the ORM from
    this thread only between browser calls, never from a coroutine, so the check is lifted
    while the browser runs and restored for the rest of the suite.
    """
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        playwright, chromium = _start_browser()
    except RuntimeError as exc:
        _restore_env(ASYNC_UNSAFE, previous)
        reason = f"browser tests skipped: {exc}; REQUIRE_BROWSER=1 makes this a failure"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {exc}", pytrace=False)
        _skip_reason[:] = [reason]
        pytest.skip(reason)
    yield chromium
    chromium.close()
    playwright.stop()
    _restore_env(ASYNC_UNSAFE, previous)


def _restore_env(name, value):
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def pytest_terminal_summary(terminalreporter):
    # Without -rs a skip leaves only a count; this says once why the browser tests did not run.
    if _skip_reason:
        terminalreporter.write_line(_skip_reason[0], yellow=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def screenshots():
    """tests/screenshots/, which git ignores: the pictures of every run, for a person to look at;
    failures/ in it holds the pages of tests that failed in this run."""
    SCREENSHOTS.mkdir(exist_ok=True)
    shutil.rmtree(SCREENSHOTS / "failures", ignore_errors=True)
    return SCREENSHOTS


class Guard:
    """Keeps every request of a context on this machine and remembers what tried to leave."""

    def __init__(self, origin):
        self.origin = origin
        self.fulfil = {}  # outside URL -> HTML served in its place
        self.fulfilled = []
        self.refused = []
        self.errors = []  # script errors and Content-Security-Policy refusals

    def console(self, message):
        # A 4xx answer the test asked for (a 409 conflict, a 400 form) is logged too; it is not a fault.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"{message.text} ({message.location.get('url')})")

    def __call__(self, route):
        url = route.request.url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == self.origin or parts.scheme in ("data", "blob"):
            route.continue_()
        elif url in self.fulfil:
            self.fulfilled.append(url)
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=self.fulfil[url])
        else:
            self.refused.append(f"{route.request.method} {url}")
            route.abort("blockedbyclient")


@pytest.fixture(scope="session")
def live_server(django_db_setup):
    """pytest-django's live server, started after the test database exists (being
    session-scoped it would otherwise start first, and on SQLite each of its threads would open
    its own connection to the shared in-memory database: "database table is locked").

    On in-memory SQLite the server's threads share the test's one connection, so they take
    turns: two requests at once (an autosave fired by the click that also submits the form)
    would step on each other's transactions. A file or PostgreSQL database needs no turns.
    """
    from pytest_django.live_server_helper import LiveServer

    addr = os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    server = LiveServer(addr, start=False)
    if server.thread.connections_override:
        server.thread.static_handler = OneAtATime
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _server_idle_before_flush(request):
    """A request still being served when a test ends (a keepalive beacon, an autosave) must not
    meet the flush of the test's data: on in-memory SQLite that locks the tables ("database
    table is locked") and leaves the last test's rows for the next. Set up after the database
    fixture, so this waits for the server before the flush."""
    if "transactional_db" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    with OneAtATime.lock:
        pass


class OneAtATime(StaticFilesHandler):
    lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            return super().__call__(environ, start_response)


@pytest.fixture
def site(live_server, settings):
    """The live server's address. Test settings are changed in this process, which serves it."""
    # The neutral page quick exit leads to; fulfilled locally by tests that use it.
    settings.QUICK_EXIT_URL = "https://weather.example/today"
    if settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
        # On in-memory SQLite the server's thread and the test share one database: the cache's
        # writes (rate-limit counts) from a request still finishing would lock the table under
        # the test's next setup. What the database cache is for is tested without a browser.
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        caches["default"].clear()  # rate-limit counts of an earlier test (one email a key)
    return live_server.url


@pytest.fixture
def new_context(browser, site, request, screenshots):
    """Make browser contexts (fresh cookies and storage) that cannot reach outside this machine."""
    made = []

    def make(**options):
        options.setdefault("viewport", DESKTOP)
        options.setdefault("base_url", site)
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        guard = Guard(site)
        context.route("**/*", guard)
        context.guard = guard
        context.on("console", guard.console)
        context.on("weberror", lambda error: guard.errors.append(f"uncaught: {error.error}"))
        made.append(context)
        return context

    yield make

    report = getattr(request.node, "report_call", None)
    failures = SCREENSHOTS / "failures"
    for n, context in enumerate(made):
        if report is not None and report.failed:
            failures.mkdir(exist_ok=True)
            for m, page in enumerate(context.pages):
                if not page.is_closed():
                    page.screenshot(path=failures / f"{request.node.name}-{n}-{m}.png", full_page=True)
    refused = [url for context in made for url in context.guard.refused]
    errors = [error for context in made for error in context.guard.errors]
    for context in made:
        context.close()
    assert not refused, f"requests tried to leave this machine: {refused}"
    assert not errors, f"the browser console reported errors: {errors}"


@pytest.fixture
def sign_in(site, settings):
    """Put a signed-in session for `user` into a browser context, without the log-in form."""

    def add_session(context, user):
        from django.test import Client

        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site}])

    return add_session


@pytest.fixture
def person(make_user, transactional_db):
    """A signed-up, verified user with no progress and no entries."""
    return make_user("sam@example.com", password="a long calm password 1")
