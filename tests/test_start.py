"""/start/: an optional "what brings you here", where to begin, and how it shapes the path."""

import re

import pytest
from django.core import mail
from django.test import Client

from recovery.models import StepProgress, User

pytestmark = pytest.mark.django_db
PASSWORD = "a long calm password 1"
CHOICES = [
    "A breakup",
    "A betrayal",
    "Feeling unseen or neglected",
    "Being rejected",
    "A relationship that frightened me",
    "Thinking about getting back together",
    "I’d rather not say",
]
# Nothing on the page may assume who the other person was, or their gender.
ASSUMING = re.compile(r"\b(partner|ex|boyfriend|girlfriend|husband|wife|he|she|him|her|his)\b", re.I)


def text_of(response):
    return re.sub(r"<[^>]+>", " ", response.content.decode())


def add_staying_safe(content_dir):
    source = (content_dir / "steps" / "self-care.md").read_text()
    text = source.replace("slug: self-care", "slug: staying-safe").replace(
        "title: Self-care and routines", "title: Staying safe"
    )
    text = re.sub(r"^order: \d+", "order: 99", text, flags=re.M)
    text = re.sub(r"^title: .*$", "title: Staying safe", text, count=1, flags=re.M)
    (content_dir / "steps" / "staying-safe.md").write_text(text)


def test_visitor_sees_every_choice_and_a_skip_link(client):
    response = client.get("/start/")
    assert response.status_code == 200
    body = response.content.decode()
    for label in CHOICES:
        assert label in body
    assert ">Skip" in body
    assert not ASSUMING.search(text_of(response))


def test_every_suggestion_is_worded_without_assuming_who_the_other_person_was(client, steps):
    for value, _ in User.Start.choices:
        response = client.post("/start/", {"reason": value}, follow=True)
        assert response.status_code == 200
        assert "Where you might begin" in response.content.decode()
        assert not ASSUMING.search(text_of(response)), value


def test_visitor_answer_lives_in_their_session_only(client, steps):
    client.post("/start/", {"reason": "betrayal"})
    assert "You said: A betrayal" in client.get("/start/").content.decode()
    other = Client()
    assert "You said" not in other.get("/start/").content.decode()


def test_signed_in_answer_is_kept_on_the_account_and_shown_on_the_account_page(owner_client, owner, steps):
    response = owner_client.post("/start/", {"reason": "neglect"})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.start_reason == "neglect"
    page = owner_client.get("/accounts/").content.decode()
    assert "You said: Feeling unseen or neglected" in page
    assert 'href="/start/"' in page


def test_forgetting_the_answer_clears_it(owner_client, owner, steps):
    owner_client.post("/start/", {"reason": "rejection"})
    owner_client.post("/start/", {"reason": ""})
    owner.refresh_from_db()
    assert owner.start_reason == ""
    assert "You said" not in owner_client.get("/start/").content.decode()


@pytest.mark.parametrize("value", ["nope", "breakup\x00", "x" * 100_000, "frightened' OR 1=1"])
def test_hostile_answers_get_a_clear_400(owner_client, owner, steps, value):
    response = owner_client.post("/start/", {"reason": value})
    assert response.status_code == 400
    assert "Choose one of the answers" in response.content.decode()
    owner.refresh_from_db()
    assert owner.start_reason == ""


def test_frightened_without_a_staying_safe_module_leads_with_help_only(client, steps, content_dir):
    (content_dir / "steps" / "staying-safe.md").unlink()
    response = client.post("/start/", {"reason": "frightened"}, follow=True)
    body = response.content.decode()
    assert 'href="/help/"' in body
    assert "/steps/staying-safe/" not in body


def test_frightened_leads_with_help_then_staying_safe_everywhere(content_dir, owner_client, owner, client):
    add_staying_safe(content_dir)
    from recovery.sync import sync_steps

    sync_steps()
    owner_client.post("/start/", {"reason": "frightened"})
    body = owner_client.get("/start/").content.decode()
    assert body.index('href="/help/"') < body.index('href="/steps/staying-safe/"')
    progress = owner_client.get("/progress/").content.decode()
    assert "Continue where you left off: Staying safe" in progress
    client.post("/start/", {"reason": "frightened"})
    assert "Start with “Staying safe”" in client.get("/").content.decode()


def test_getting_back_together_comes_first_after_the_core_steps(owner_client, owner, steps):
    owner_client.post("/start/", {"reason": "back_together"})
    progress = owner_client.get("/progress/").content.decode()
    assert "Continue where you left off: Acknowledge your feelings" in progress
    for step in [s for s in steps.values() if s.core]:
        StepProgress.objects.create(user=owner, step=step, status=StepProgress.Status.COMPLETED)
    progress = owner_client.get("/progress/").content.decode()
    assert "Continue where you left off: Thinking about getting back together" in progress


def test_visitor_answer_goes_with_them_when_they_log_in(client, owner, steps):
    client.post("/start/", {"reason": "breakup"})
    client.post("/accounts/login/", {"login": owner.email, "password": owner.raw_password})
    owner.refresh_from_db()
    assert owner.start_reason == "breakup"


def test_sign_up_leads_to_start_once(client):
    client.post(
        "/accounts/signup/", {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD}
    )
    confirm = re.search(r"http://testserver(/accounts/[^\s]+)", mail.outbox[0].body).group(1)
    response = client.post(confirm, follow=True)
    assert response.redirect_chain[-1][0] == "/start/"
    assert "What brings you here?" in response.content.decode()
    client.post("/accounts/logout/")
    response = client.post("/accounts/login/", {"login": "new@example.com", "password": PASSWORD})
    assert response["Location"] == "/"
