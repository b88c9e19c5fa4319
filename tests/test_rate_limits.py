"""allauth's rate limits hold in real deployments: behind a load balancer they count each
client, not the balancer, and a client cannot dodge them with a forged header."""

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db
BALANCER = "10.0.0.2"


def limited(response):
    return response.status_code == 429 or "Too many failed" in response.content.decode()


def failed_login(client, ip_chain, n):
    return client.post(
        "/accounts/login/",
        {"login": f"nobody{n}@example.com", "password": "wrong password"},
        REMOTE_ADDR=BALANCER,
        HTTP_X_FORWARDED_FOR=ip_chain,
    )


def test_behind_a_trusted_balancer_one_clients_failures_never_lock_out_another(settings, owner):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    attacker = Client()
    answers = [limited(failed_login(attacker, "203.0.113.9", n)) for n in range(15)]
    assert answers[-1]  # the attacker's own address is limited
    person = Client()
    response = person.post(
        "/accounts/login/",
        {"login": owner.email, "password": owner.raw_password},
        REMOTE_ADDR=BALANCER,
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert response.status_code == 302


def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_dodge_the_limit(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    client = Client()
    answers = [limited(failed_login(client, f"192.0.2.{n}", n)) for n in range(15)]
    assert answers[-1]


def test_the_rate_limit_counts_are_shared_by_every_worker():
    """Local memory would count per gunicorn worker: the limits use the database or Redis."""
    backend = settings.CACHES["default"]["BACKEND"]
    assert backend in (
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.redis.RedisCache",
    )
