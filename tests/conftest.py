import os
import shutil
from pathlib import Path

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from recovery import content

# Few examples by default; HYPOTHESIS_PROFILE=fuzz for a long hunt.
hypothesis_settings.register_profile("quick", max_examples=50, deadline=None, database=None)
hypothesis_settings.register_profile("fuzz", max_examples=5_000, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters must not leak from one test into the next. The database cache (no
    Redis) needs nothing: each test's writes to it are rolled back with the test."""
    from django.conf import settings
    from django.core.cache import caches

    if not settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
        caches["default"].clear()


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_step_ids():
    """Step ids a test made (a step file met for the first time) go with its rolled-back rows.
    The content library itself is read once for the session; `content_dir` gives a test that
    changes content a copy of its own, and reads content/ afresh after it."""
    from recovery.progress import forget_step_ids

    forget_step_ids()
    yield
    forget_step_ids()


@pytest.fixture
def make_user(db, django_user_model):
    def make(email="alice@example.com", password="a long calm password 1", verified=True):
        from allauth.account.models import EmailAddress

        user = django_user_model.objects.create_user(username=email, email=email, password=password)
        EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
        user.raw_password = password
        return user

    return make


@pytest.fixture
def owner(make_user):
    return make_user("alice@example.com")


@pytest.fixture
def stranger(make_user):
    return make_user("charlie@example.com")


@pytest.fixture
def owner_client(owner):
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def stranger_client(stranger):
    client = Client()
    client.force_login(stranger)
    return client


@pytest.fixture
def steps(db):
    """Step rows in sync with content/ (migrate does this once; tests start from it)."""
    from recovery.sync import sync_steps

    sync_steps()
    from recovery.models import Step

    return {s.slug: s for s in Step.objects.all()}


@pytest.fixture
def content_dir(tmp_path, settings):
    """A copy of content/ that a test may break, with reloading on as in development."""
    target = tmp_path / "content"
    shutil.copytree(Path(__file__).resolve().parent.parent / "content", target)
    settings.CONTENT_DIR = target
    settings.CONTENT_RELOAD = True
    content.reset()
    yield target
    content.reset()
