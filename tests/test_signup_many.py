"""Everyone who signs up can use the site, not only the first: several people in a row through
the real forms, each verifying their address and signing in."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "a long calm password 1"


def _confirm_link(message):
    return re.search(r"http://testserver(/accounts/[^\s]+)", message.body).group(1)


def _sign_up_and_verify(email):
    client = Client()
    sent = len(mail.outbox)
    response = client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert len(mail.outbox) == sent + 1
    confirm = _confirm_link(mail.outbox[-1])
    response = client.post(confirm, follow=True)
    assert response.status_code == 200
    assert client.get("/progress/").status_code == 200
    return client


@pytest.mark.parametrize("count", [3])
def test_several_people_sign_up_verify_and_sign_in_in_a_row(count):
    emails = [f"person{n}@example.com" for n in range(count)]
    for email in emails:
        _sign_up_and_verify(email)
    for email in emails:
        client = Client()
        response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
        assert response.status_code == 302
        assert client.get("/journal/").status_code == 200
    assert get_user_model().objects.count() == count


def test_second_person_can_write_in_their_own_journal():
    first = _sign_up_and_verify("a@example.com")
    second = _sign_up_and_verify("b@example.com")
    for client, words in ((first, "first person's words"), (second, "second person's words")):
        response = client.post("/journal/new/", {"title": "Today", "body": words})
        assert response.status_code == 302
    assert "second person" not in first.get("/journal/").content.decode()
    assert "first person" not in second.get("/journal/").content.decode()


def test_admin_can_still_make_a_superuser_by_username():
    User = get_user_model()
    User.objects.create_superuser("admin", "admin@example.com", PASSWORD)
    _sign_up_and_verify("c@example.com")
    assert User.objects.filter(username="admin").exists()


@pytest.mark.django_db(transaction=True)
def test_migration_frees_the_empty_username_of_an_existing_first_user():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    before = [("recovery", "0003_pages_version_random")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_apps.get_model("recovery", "User").objects.create(username="", email="first@example.com")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert get_user_model().objects.get(email="first@example.com").username is None
    _sign_up_and_verify("second@example.com")
