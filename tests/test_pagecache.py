"""Signed-in pages kept per user (recovery/pagecache.py): served again only while nothing of
theirs has changed, each time with a working CSRF token, never to anyone else."""

import os
import re
import subprocess
import sys
import warnings

import pytest
from django.core.cache.backends.base import CacheKeyWarning
from django.test import Client

from journal.models import Entry
from recovery.models import User
from tests.journal_helpers import entry_data

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ANY_TOKEN = re.compile(r"[A-Za-z0-9]{64}")  # a masked CSRF token, wherever the page carries it


def version_of(user):
    return User.objects.values_list("pages_version", flat=True).get(pk=user.pk)


def test_a_kept_page_costs_the_session_and_the_user_and_nothing_else(
    owner_client, steps, django_assert_num_queries, kept_page_queries
):
    first = owner_client.get("/progress/").content.decode()
    with django_assert_num_queries(kept_page_queries):
        again = owner_client.get("/progress/").content.decode()
    assert ANY_TOKEN.sub("", again) == ANY_TOKEN.sub("", first)
    assert ANY_TOKEN.findall(again) != ANY_TOKEN.findall(first)


def test_a_kept_page_carries_a_fresh_working_csrf_token(owner, steps):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get("/steps/reflect/")
    page = client.get("/steps/reflect/").content.decode()
    assert "placeholder" not in page
    token = TOKEN.search(page).group(1)
    response = client.post(
        "/steps/reflect/exercises/signs-check/", {"done": "1", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_a_404_raised_under_a_kept_view_has_a_real_token(owner_client, steps):
    response = owner_client.get("/steps/no-such-step/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "placeholder" not in page
    assert TOKEN.search(page)  # the header's log-out form still works


def test_a_tick_shows_at_once_on_the_kept_step_page(owner_client, steps):
    for _ in range(2):
        assert 'id="exercise-signs-check" class="exercise__toggle" aria-pressed="false"' in (
            owner_client.get("/steps/reflect/").content.decode()
        )
    owner_client.post("/steps/reflect/exercises/signs-check/", {"done": "1"})
    page = owner_client.get("/steps/reflect/").content.decode()
    assert 'id="exercise-signs-check" class="exercise__toggle" aria-pressed="true"' in page


def test_completing_a_step_shows_at_once_on_the_kept_path(owner_client, steps):
    for _ in range(2):
        assert 'class="status status--completed"' not in owner_client.get("/steps/").content.decode()
    owner_client.post("/steps/grieving/complete/")
    assert 'class="status status--completed"' in owner_client.get("/steps/").content.decode()


def test_a_new_entry_shows_at_once_on_the_kept_journal_list(owner_client):
    owner_client.get("/journal/")
    owner_client.get("/journal/")
    owner_client.post("/journal/new/", entry_data(title="After the kept page"))
    assert "After the kept page" in owner_client.get("/journal/").content.decode()


def test_a_check_in_shows_at_once_on_the_kept_dashboard(owner_client, steps):
    for _ in range(2):
        assert "<p>0 of the last 30 days." in owner_client.get("/progress/").content.decode()
    owner_client.post("/progress/check-in/", {"mood": "5", "note": ""})
    assert Entry.objects.filter(kind=Entry.Kind.CHECKIN).count() == 1
    assert "<p>1 of the last 30 days." in owner_client.get("/progress/").content.decode()


def test_a_preference_shows_at_once_on_the_kept_step_page(owner_client, steps):
    assert "<details" not in owner_client.get("/steps/forgiveness/").content.decode()
    owner_client.get("/steps/forgiveness/")
    owner_client.post("/accounts/", {"collapse_content_notes": "on"})
    assert '<details class="step-body">' in owner_client.get("/steps/forgiveness/").content.decode()


def test_a_change_from_another_session_of_the_same_user_shows(owner, owner_client):
    owner_client.get("/journal/")
    owner_client.get("/journal/")
    phone = Client()
    phone.force_login(owner)
    phone.post("/journal/new/", entry_data(title="Written on the phone"))
    assert "Written on the phone" in owner_client.get("/journal/").content.decode()


def test_a_maintainers_edit_shows_at_once_on_a_kept_step_page(owner_client, steps, content_dir):
    owner_client.get("/steps/reflect/")
    owner_client.get("/steps/reflect/")
    path = content_dir / "steps" / "reflect.md"
    path.write_text(path.read_text().replace("title: Reflect and learn", "title: Reflect and learn (fixed)"))
    assert "Reflect and learn (fixed)" in owner_client.get("/steps/reflect/").content.decode()


def test_a_message_is_shown_even_over_a_kept_page(owner_client, steps):
    owner_client.get("/steps/grieving/")
    owner_client.get("/steps/grieving/")
    response = owner_client.post("/steps/grieving/complete/", follow=True)
    assert "Marked “" in response.content.decode()
    assert "Marked “" not in owner_client.get("/steps/grieving/").content.decode()


def test_kept_pages_are_never_served_to_another_user(owner, owner_client, stranger_client, steps):
    owner_client.post("/journal/new/", entry_data(title="Only mine"))
    for path in ("/journal/", "/progress/", "/steps/", "/steps/reflect/"):
        owner_client.get(path)
        owner_client.get(path)
        assert "Only mine" not in stranger_client.get(path).content.decode()
    assert "Only mine" in owner_client.get("/journal/").content.decode()


def test_every_post_moves_the_version_but_an_autosave_does_not(owner, owner_client, steps):
    start = version_of(owner)
    owner_client.post("/steps/reflect/exercises/signs-check/", {"done": "1"})
    after_tick = version_of(owner)
    assert after_tick != start
    owner_client.post(
        "/journal/drafts/save/",
        {"draft": "6f1d1c7e-43c3-4c8e-9b5e-6d2f0f6b1a11", "title": "", "body": "typing", "mood": ""},
    )
    assert version_of(owner) == after_tick


def test_the_first_visit_of_a_step_moves_the_version_and_a_reread_does_not(owner, owner_client, steps):
    start = version_of(owner)
    owner_client.get("/steps/boundaries/")
    after_visit = version_of(owner)
    assert after_visit != start
    owner_client.get("/steps/boundaries/")
    owner_client.get("/steps/boundaries/")
    assert version_of(owner) == after_visit


def test_a_full_save_of_a_user_read_earlier_never_brings_an_old_version_back(owner, owner_client, steps):
    earlier = User.objects.get(pk=owner.pk)  # as allauth holds it while a password is hashed
    owner_client.post("/steps/reflect/exercises/signs-check/", {"done": "1"})
    current = version_of(owner)
    earlier.set_password("another long calm password 2")
    earlier.save()
    assert version_of(owner) == current
    assert User.objects.get(pk=owner.pk).check_password("another long calm password 2")


def test_new_users_never_share_a_version_a_page_could_be_kept_under(make_user):
    versions = {make_user(f"person{i}@example.com").pages_version for i in range(5)}
    assert len(versions) == 5 and 0 not in versions


def test_a_step_renamed_by_sync_shows_at_once_on_kept_pages(owner_client, owner, steps, content_dir):
    from recovery.sync import sync_steps

    owner_client.get("/steps/")
    start = version_of(owner)
    path = content_dir / "steps" / "reflect.md"
    path.write_text(path.read_text().replace("title: Reflect and learn", "title: Looking back"))
    sync_steps()
    assert version_of(owner) != start
    assert "Looking back" in owner_client.get("/steps/").content.decode()


def test_a_search_never_reaches_a_log_through_the_cache_key(owner_client):
    words = "ж" * 200  # far past the 250 characters Django warns about, with the key, in a log
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        for _ in range(2):
            assert owner_client.get("/journal/", {"q": words}).status_code in (200, 400)


def test_htmx_swaps_get_the_list_and_anything_else_the_whole_page(owner_client):
    headers = {"HX-Request": "false"}
    assert "<html" in owner_client.get("/journal/", headers=headers).content.decode()
    swap = owner_client.get("/journal/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in swap and 'id="entry-list"' in swap
    restore = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert "<html" in owner_client.get("/journal/", headers=restore).content.decode()


def test_pages_stay_in_process_memory_when_the_cache_is_redis():
    """The kept pages hold decrypted journal text: they must never be written to Redis."""
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND']); print(settings.CACHES['pages']['BACKEND'])"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "recovery.settings",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [
        "django.core.cache.backends.redis.RedisCache",
        "django.core.cache.backends.locmem.LocMemCache",
    ]
