"""The skeleton: health check, error pages, settings, and no request to another host."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.db.utils import OperationalError

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def test_healthz_answers_200_with_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_unknown_url_gets_a_friendly_404_in_the_layout(client):
    response = client.get("/no/such/place/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "We could not find that page" in body
    assert "Get help now" in body
    assert 'id="main"' in body


def test_server_error_shows_a_calm_page_without_traceback(client, settings):
    from django.urls import path

    import recovery.urls

    def explode(request):
        raise RuntimeError("secret detail")

    settings.DEBUG = False
    settings.ROOT_URLCONF = type(
        "urls", (), {"urlpatterns": [path("boom/", explode), *recovery.urls.urlpatterns]}
    )
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert 'href="/help/"' in body
    assert "secret detail" not in body
    assert "Traceback" not in body


def test_home_page_is_accessible_shell(client):
    body = client.get("/").content.decode()
    assert '<html lang="en">' in body
    assert '<a class="skip-link" href="#main">' in body
    assert '<main id="main"' in body
    assert "<header" in body and "<footer" in body and 'aria-label="Main"' in body
    assert 'hx-headers=\'{"X-CSRFToken": "' in body
    assert "/static/django_htmx/htmx-2.min.js" in body
    for label in ("Steps", "Journal", "Progress", "Sign in", "Get help now", "Exit this page"):
        assert label in body


EXTERNAL = re.compile(
    r"""(?:src|href|action|srcset|poster|data)\s*=\s*["']?(?:https?:)?//|@import\s+(?:url\()?["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""",
    re.IGNORECASE,
)


def test_no_template_or_static_file_references_another_host():
    offenders = []
    for folder in ("templates", "static"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in {".html", ".css", ".js", ".svg", ".txt"}:
                for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                    if EXTERNAL.search(line):
                        offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert offenders == []


def test_external_reference_detector_catches_a_cdn_link():
    assert EXTERNAL.search('<script src="https://cdn.example.com/x.js">')
    assert EXTERNAL.search("@import url('//fonts.example.com/a.css');")
    assert not EXTERNAL.search('<a href="/help/">')


def run_manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production(**env):
    """The environment of a production server that is set up right, with `env` changed."""
    from cryptography.fernet import Fernet

    return {
        "DEBUG": "false",
        "SECRET_KEY": "x" * 20 + "a-real-looking-secret-key-for-production-0123456789",
        "JOURNAL_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "mending.example",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        **env,
    }


def test_check_deploy_with_production_settings_reports_nothing():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **production())
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    # Only Info may be listed: crisis lines that a person has yet to verify (content.I001).
    assert "ERRORS:" not in output and "WARNINGS:" not in output, output
    assert "System check identified no issues" in output or "INFOS:" in output, output


def test_production_refuses_to_start_without_an_email_backend():
    result = run_manage("check", **production(EMAIL_BACKEND=""))
    assert result.returncode != 0
    assert "EMAIL_BACKEND must be set when DEBUG is off" in result.stderr


def test_check_deploy_says_a_console_email_backend_leaks_reset_links():
    result = run_manage(
        "check", "--deploy", **production(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
    )
    assert "recovery.W002" in result.stdout + result.stderr
    assert "password-reset links" in result.stdout + result.stderr


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", DEBUG="false", SECRET_KEY="", JOURNAL_KEYS="x")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_wrong_database_url_names_the_variable():
    result = run_manage("migrate", "--check", DATABASE_URL="mysql://nobody@nowhere/db")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_names_the_variable():
    result = run_manage("migrate", DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_development_log_prints_each_line_once():
    code = "import logging; logging.getLogger('django.request').warning('Not Found: /somewhere/')"
    result = run_manage("shell", "-c", code, DEBUG="true")
    assert result.stderr.count("Not Found: /somewhere/") == 1, result.stderr
