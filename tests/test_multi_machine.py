"""Two app servers, one PostgreSQL and one Redis: nothing lives in one process's memory.

Starts two gunicorn servers in production mode on two loopback ports against a PostgreSQL
database made for this module and Redis under a key prefix of its own (bench/servers.py); both
are removed afterwards. Skipped, with the reason, when DATABASE_URL is not a postgres:// URL or
the services do not answer; with REQUIRE_SERVICES=1 that is a failure instead.
"""

import re
import tempfile

import pytest
import requests

from bench.servers import Gunicorn, Services, make_users, prepare
from tests.server_helpers import services_or_skip

pytestmark = pytest.mark.slow
PASSWORD = "a long calm password 1"
# The public name a load balancer forwards to every server. allauth counts failed log-ins per
# site domain and address, and without django.contrib.sites the domain is the Host header.
PUBLIC_HOST = "mending.test"
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(scope="module")
def servers():
    """Servers A and B, and the environment they share (to make users with)."""
    services_or_skip()
    with Services("multi") as services, tempfile.TemporaryDirectory() as static:
        env = services.env(static_root=static)
        env["ALLOWED_HOSTS"] = f"127.0.0.1,{PUBLIC_HOST}"
        prepare(env)
        a, b = Gunicorn(env), Gunicorn(env)
        try:
            a.start()
            b.start()
            yield a, b, env
        finally:
            a.stop()
            b.stop()


@pytest.fixture
def browser():
    """One browser behind a load balancer: the same Host and cookies reach both servers."""
    with requests.Session() as session:
        session.headers["Host"] = PUBLIC_HOST
        yield session


def log_in(browser, server, email, password):
    page = browser.get(f"{server.url}/accounts/login/")
    assert page.status_code == 200
    token = CSRF_FIELD.search(page.content).group(1).decode()
    return browser.post(
        f"{server.url}/accounts/login/",
        data={"login": email, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{server.url}/accounts/login/"},
        allow_redirects=False,
    )


def signed_in(browser, server):
    response = browser.get(f"{server.url}/progress/", allow_redirects=False)
    return response.status_code == 200 and b"Sign out" in response.content


def form_token(browser, server, path):
    page = browser.get(f"{server.url}{path}")
    assert page.status_code == 200, path
    return CSRF_FIELD.search(page.content).group(1).decode()


def test_user_signed_in_on_one_server_is_signed_in_on_the_other(servers, browser):
    a, b, env = servers
    make_users(env, ["roaming@example.com"], PASSWORD)

    response = log_in(browser, a, "roaming@example.com", PASSWORD)

    assert response.status_code == 302, response.text[:500]
    assert signed_in(browser, b)
    # And signing out on B signs out everywhere: the session is gone from the shared store.
    token = form_token(browser, b, "/progress/")
    browser.post(f"{b.url}/accounts/logout/", data={"csrfmiddlewaretoken": token}, allow_redirects=False)
    assert not signed_in(browser, a)


def test_entry_written_on_one_server_is_read_on_the_other(servers, browser):
    a, b, env = servers
    make_users(env, ["writer@example.com"], PASSWORD)
    assert log_in(browser, a, "writer@example.com", PASSWORD).status_code == 302
    # B has shown the journal list before A changes it.
    for _ in range(2):
        assert "Written on server A" not in browser.get(f"{b.url}/journal/").text

    token = form_token(browser, a, "/journal/new/")
    saved = browser.post(
        f"{a.url}/journal/new/",
        data={
            "title": "Written on server A",
            "body": "The walk helped today.",
            "mood": "4",
            "csrfmiddlewaretoken": token,
        },
        allow_redirects=False,
    )

    assert saved.status_code == 302, saved.text[:500]
    read = browser.get(b.url + saved.headers["Location"], allow_redirects=False)
    assert read.status_code == 200
    assert "Written on server A" in read.text
    assert "The walk helped today." in read.text
    # The list B kept is not served again: the user's pages version moved in the database.
    assert "Written on server A" in browser.get(f"{b.url}/journal/").text


def test_login_rate_limit_counts_attempts_on_both_servers(servers, browser):
    a, b, env = servers
    make_users(env, ["guarded@example.com"], PASSWORD)

    # allauth allows 5 failed attempts per account in 5 minutes. Spread over two servers with
    # per-process counters, B would have seen only 2 and let the right password in.
    for server in (a, b, a, b, a):
        failed = log_in(browser, server, "guarded@example.com", "not the password")
        assert failed.status_code == 200
        assert b"Too many failed" not in failed.content

    blocked = log_in(browser, b, "guarded@example.com", PASSWORD)

    assert blocked.status_code in (200, 429)
    assert b"Too many failed login attempts" in blocked.content
    assert not signed_in(browser, a)
    assert not signed_in(browser, b)
