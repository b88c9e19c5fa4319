"""/safety-plan/: private and encrypted for a signed-in person, print-only for a visitor."""

import io
import zipfile

import pytest
from cryptography.fernet import Fernet
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection

from journal.models import SafetyPlan
from me.safety import FIELDS

pytestmark = pytest.mark.django_db
PLAN = {
    "warning_signs": "Not sleeping, staying in my room",
    "coping": "A walk by the canal",
    "distractions": "The library on Elm Street",
    "helpers": "Rosa 555 0100",
    "professionals": "Dr Okafor 555 0199",
    "surroundings": "Give the spare pills to Rosa",
}


def raw_columns(plan):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(FIELDS)} FROM journal_safetyplan WHERE id = %s", [plan.pk])
        return " ".join(cursor.fetchone())


def test_signed_in_person_saves_their_plan_encrypted_at_rest(owner_client, owner):
    response = owner_client.post("/safety-plan/", PLAN)
    assert response.status_code == 302
    plan = SafetyPlan.objects.get(owner=owner)
    assert plan.helpers == "Rosa 555 0100"
    raw = raw_columns(plan)
    for text in PLAN.values():
        assert text not in raw
    body = owner_client.get("/safety-plan/").content.decode()
    assert "A walk by the canal" in body


def test_a_new_plan_starts_with_the_help_pages_lines(owner_client):
    body = owner_client.get("/safety-plan/").content.decode()
    assert "Samaritans (United Kingdom): Call 116 123" in body
    assert "local emergency number" in body


def test_the_six_parts_are_there_in_plain_words(client):
    body = client.get("/safety-plan/").content.decode()
    for heading in (
        "My warning signs",
        "Things I can do on my own to feel a little better",
        "People and places that take my mind off things",
        "People I can ask for help",
        "Professionals and helplines",
        "Making my surroundings safer",
    ):
        assert heading in body


def test_print_view_shows_the_saved_plan(owner_client, owner):
    owner_client.post("/safety-plan/", PLAN)
    response = owner_client.get("/safety-plan/print/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Give the spare pills to Rosa" in body
    assert "no-store" in response["Cache-Control"]


def test_visitor_prints_without_anything_being_stored(client, db):
    page = client.get("/safety-plan/").content.decode()
    assert 'action="/safety-plan/print/"' in page
    response = client.post("/safety-plan/print/", PLAN)
    assert response.status_code == 200
    assert "A walk by the canal" in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert not SafetyPlan.objects.exists()
    assert not Session.objects.exists()
    assert "sessionid" not in response.cookies
    # Posting to the form's own address prints too, and still keeps nothing.
    response = client.post("/safety-plan/", PLAN)
    assert "A walk by the canal" in response.content.decode()
    assert not SafetyPlan.objects.exists() and not Session.objects.exists()


def test_visitor_get_of_the_print_view_goes_to_the_form(client, db):
    response = client.get("/safety-plan/print/")
    assert response.status_code == 302 and response["Location"] == "/safety-plan/"


@pytest.mark.parametrize(
    "value,message", [("a\x00b", "cannot store"), ("x" * 100_000, "under 4000 characters")]
)
def test_hostile_input_is_a_clear_400(owner_client, client, owner, value, message):
    for who, url in ((owner_client, "/safety-plan/"), (client, "/safety-plan/print/")):
        response = who.post(url, {**PLAN, "coping": value})
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not SafetyPlan.objects.exists()


def test_stranger_only_ever_sees_their_own_plan(owner_client, stranger_client, owner):
    owner_client.post("/safety-plan/", PLAN)
    for url in ("/safety-plan/", "/safety-plan/print/"):
        assert "Rosa 555 0100" not in stranger_client.get(url).content.decode()
    stranger_client.post("/safety-plan/", {**PLAN, "helpers": "mine"})
    assert SafetyPlan.objects.get(owner=owner).helpers == "Rosa 555 0100"


def test_one_tap_from_help_and_from_the_header(owner_client, client, steps):
    assert 'href="/safety-plan/"' in client.get("/help/").content.decode()
    body = owner_client.get("/progress/").content.decode()
    assert 'href="/safety-plan/">My safety plan' in body


def test_plan_is_in_the_download_and_goes_with_the_account(owner_client, owner):
    owner_client.post("/safety-plan/", PLAN)
    response = owner_client.get("/accounts/download/")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert "A walk by the canal" in archive.read("safety-plan.md").decode()
    owner_client.post("/accounts/delete/", {"password": owner.raw_password})
    assert not SafetyPlan.objects.exists()


def test_key_rotation_re_encrypts_the_plan(owner, settings):
    plan = SafetyPlan.objects.create(owner=owner, **PLAN)
    old = raw_columns(plan)
    settings.JOURNAL_KEYS = [Fernet.generate_key().decode(), *settings.JOURNAL_KEYS]
    call_command("rotate_journal_keys", stdout=io.StringIO())
    settings.JOURNAL_KEYS = settings.JOURNAL_KEYS[:1]  # the old key is gone
    plan = SafetyPlan.objects.get(pk=plan.pk)
    assert plan.coping == "A walk by the canal"
    assert raw_columns(plan) != old


def test_plan_text_is_kept_out_of_error_reports(owner_client, client):
    for who in (owner_client, client):
        response = who.post("/safety-plan/", PLAN)
        assert set(response.wsgi_request.sensitive_post_parameters) == set(FIELDS)
