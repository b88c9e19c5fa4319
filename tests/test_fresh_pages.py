"""Every private page is rendered for its request and kept nowhere after it: a change shows on
the very next read, and no decrypted journal text is left in any cache. Only what is the same
for everyone (step content, the visitor's step page) is kept."""

import re

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client

from journal.models import Entry
from recovery import markdown
from recovery.content import library
from tests.journal_helpers import entry_data

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ANY_TOKEN = re.compile(r"[A-Za-z0-9]{64}")  # a masked CSRF token, wherever the page carries it
SECRET = "Words nobody else may ever read"


@pytest.fixture
def cache_writes(monkeypatch):
    """Every value written to any cache during the test, as text."""
    written = []
    for alias in settings.CACHES:
        cache = caches[alias]
        for name in ("set", "add", "set_many", "get_or_set"):
            original = getattr(cache, name)

            def spy(*args, _original=original, **kwargs):
                written.append(repr((args, kwargs)))
                return _original(*args, **kwargs)

            monkeypatch.setattr(cache, name, spy)
    return written


def test_no_decrypted_journal_text_goes_into_any_cache(owner_client, steps, cache_writes):
    owner_client.post("/journal/new/", entry_data(title=SECRET, body=SECRET, step="reflect", prompt=""))
    for path in ("/", "/steps/", "/steps/reflect/", "/progress/", "/journal/", "/journal/?q=nobody"):
        assert owner_client.get(path).status_code == 200, path
    code = Entry.objects.get().code
    assert SECRET in owner_client.get(f"/journal/{code}/").content.decode()
    assert SECRET in owner_client.get("/journal/").content.decode()
    assert not [value for value in cache_writes if "nobody else" in value]


def test_a_tick_shows_on_the_very_next_read_of_the_step(owner_client, steps):
    assert 'id="exercise-signs-check" class="exercise__toggle" aria-pressed="false"' in (
        owner_client.get("/steps/reflect/").content.decode()
    )
    owner_client.post("/steps/reflect/exercises/signs-check/", {"done": "1"})
    page = owner_client.get("/steps/reflect/").content.decode()
    assert 'id="exercise-signs-check" class="exercise__toggle" aria-pressed="true"' in page


def test_completing_a_step_shows_on_the_path_at_once(owner_client, steps):
    assert 'class="status status--completed"' not in owner_client.get("/steps/").content.decode()
    owner_client.post("/steps/grieving/complete/")
    assert 'class="status status--completed"' in owner_client.get("/steps/").content.decode()


def test_a_check_in_shows_on_the_dashboard_at_once(owner_client, steps):
    assert "<p>0 of the last 30 days." in owner_client.get("/progress/").content.decode()
    owner_client.post("/progress/check-in/", {"mood": "5", "note": ""})
    assert Entry.objects.filter(kind=Entry.Kind.CHECKIN).count() == 1
    assert "<p>1 of the last 30 days." in owner_client.get("/progress/").content.decode()


def test_a_change_from_another_session_of_the_same_user_shows(owner, owner_client):
    owner_client.get("/journal/")
    phone = Client()
    phone.force_login(owner)
    phone.post("/journal/new/", entry_data(title="Written on the phone"))
    assert "Written on the phone" in owner_client.get("/journal/").content.decode()


def test_a_deleted_entry_is_gone_from_the_list_at_once(owner_client):
    owner_client.post("/journal/new/", entry_data(title="Soon gone"))
    code = Entry.objects.get().code
    assert "Soon gone" in owner_client.get("/journal/").content.decode()
    owner_client.post(f"/journal/{code}/delete/")
    assert "Soon gone" not in owner_client.get("/journal/").content.decode()


def test_a_maintainers_edit_shows_at_once_on_the_step_page(owner_client, steps, content_dir):
    owner_client.get("/steps/reflect/")
    path = content_dir / "steps" / "reflect.md"
    path.write_text(path.read_text().replace("title: Reflect and learn", "title: Reflect and learn (fixed)"))
    assert "Reflect and learn (fixed)" in owner_client.get("/steps/reflect/").content.decode()


def test_one_persons_page_is_never_served_to_another(owner_client, stranger_client, steps):
    owner_client.post("/journal/new/", entry_data(title="Only mine"))
    for path in ("/journal/", "/progress/", "/steps/", "/steps/reflect/"):
        owner_client.get(path)
        assert "Only mine" not in stranger_client.get(path).content.decode()
    assert "Only mine" in owner_client.get("/journal/").content.decode()


def test_htmx_swaps_get_the_list_and_anything_else_the_whole_page(owner_client):
    assert "<html" in owner_client.get("/journal/", headers={"HX-Request": "false"}).content.decode()
    swap = owner_client.get("/journal/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in swap and 'id="entry-list"' in swap
    restore = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert "<html" in owner_client.get("/journal/", headers=restore).content.decode()


def test_visitors_share_one_render_made_from_no_visitors_request(steps):
    """Two visitors with different cookies, headers and query strings get the same bytes, apart
    from the token; nothing of the first visitor's request is in the second's page."""
    first = Client(HTTP_USER_AGENT="FirstAgent/1.0", HTTP_ACCEPT_LANGUAGE="fr")
    first.cookies["first-visitor"] = "cookie-of-the-first"
    second = Client(HTTP_USER_AGENT="SecondAgent/2.0")
    one = first.get("/steps/reflect/?from=first-visitors-link", headers={"HX-Request": "false"})
    before = markdown.renders
    two = second.get("/steps/reflect/?utm=second")
    assert markdown.renders == before
    pages = [ANY_TOKEN.sub("", p.content.decode()) for p in (one, two)]
    assert pages[0] == pages[1]
    for trace in ("first-visitors-link", "cookie-of-the-first", "FirstAgent", "utm=second"):
        assert trace not in pages[0]


def test_the_shared_visitor_page_carries_each_visitors_own_working_token(steps):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    pages = [c.get("/steps/reflect/").content.decode() for c in (first, second)]
    tokens = [TOKEN.search(p).group(1) for p in pages]
    assert tokens[0] != tokens[1]
    assert "placeholder" not in pages[0]
    exercise = library().steps["reflect"].exercises[0].id
    response = first.post(
        f"/steps/reflect/exercises/{exercise}/", {"done": "1", "csrfmiddlewaretoken": tokens[0]}
    )
    assert response.status_code == 302
    assert 'aria-pressed="true"' in first.get("/steps/reflect/").content.decode()
    assert 'aria-pressed="true"' not in second.get("/steps/reflect/").content.decode()


def test_a_404_on_a_step_carries_a_real_token(owner_client, steps):
    response = owner_client.get("/steps/no-such-step/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "placeholder" not in page
    assert TOKEN.search(page)
