"""What every request does, made cheaper: the session read (recovery/sessions.py), the signed-in
user read (recovery/auth.py) and the CSP header (recovery/middleware.py). Same answers as the
library code they stand in for."""

from datetime import timedelta

import pytest
from csp.utils import build_policy
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone

from recovery.auth import EmailBackend, ModelBackend
from recovery.middleware import ContentSecurityPolicyMiddleware
from recovery.models import User
from recovery.sessions import SessionStore

pytestmark = pytest.mark.django_db


def signed_in(client):
    return client.get("/progress/").status_code == 200


def test_a_session_reads_back_what_was_saved(db_sessions):
    store = SessionStore()
    store["progress"] = {"steps": {"reflect": {"status": "in_progress"}}}
    store.create()
    assert SessionStore(store.session_key).load() == {
        "progress": {"steps": {"reflect": {"status": "in_progress"}}}
    }


@pytest.fixture
def db_sessions(settings):
    """The store this file is about, also in the pass where Redis holds sessions (cached_db)."""
    settings.SESSION_ENGINE = "recovery.sessions"


def test_an_expired_session_signs_nobody_in(db_sessions, owner):
    client = Client()
    client.force_login(owner)
    assert signed_in(client)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert not signed_in(client)


def test_an_unknown_session_key_is_a_visitor(db_sessions, client, owner):
    client.cookies["sessionid"] = "x" * 32
    assert not signed_in(client)
    store = SessionStore("x" * 32)
    assert store.load() == {}
    assert store.session_key is None


def test_a_deactivated_user_is_signed_out_at_once(owner_client, owner):
    assert signed_in(owner_client)
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert not signed_in(owner_client)


def test_a_password_changed_elsewhere_signs_this_session_out(owner_client, owner):
    assert signed_in(owner_client)
    owner.set_password("another long calm password 2")
    owner.save()
    assert not signed_in(owner_client)


@pytest.mark.parametrize("backend", [ModelBackend, EmailBackend])
def test_the_user_read_is_the_user_the_orm_reads(backend, owner):
    User.objects.filter(pk=owner.pk).update(last_login=timezone.now(), collapse_content_notes=True)
    expected = User.objects.get(pk=owner.pk)
    user = backend().get_user(owner.pk)
    fields = [f.attname for f in User._meta.concrete_fields]
    assert [getattr(user, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert user.last_login.tzinfo is not None
    assert backend().get_user(str(owner.pk)) == expected
    assert backend().get_user("not a number") is None
    assert backend().get_user(owner.pk + 1000) is None


def test_every_response_carries_the_sites_csp_as_django_csp_builds_it(client, owner_client, steps):
    for c, path in [
        (client, "/"),
        (client, "/steps/reflect/"),
        (owner_client, "/journal/"),
        (client, "/nope/"),
    ]:
        assert c.get(path)["Content-Security-Policy"] == build_policy(), path


def test_a_response_with_a_policy_of_its_own_still_gets_it():
    middleware = ContentSecurityPolicyMiddleware(lambda request: response)
    response = HttpResponse("a page that needs one more image source")
    response._csp_update = {"img-src": ["https://images.example.org"]}
    header = middleware(RequestFactory().get("/"))["Content-Security-Policy"]
    assert "img-src 'self' data: https://images.example.org" in header
    assert header != build_policy()
