"""For the tests that start real servers on PostgreSQL and Redis (bench/servers.py)."""

import os

import pytest

from bench.servers import Services


def services_or_skip():
    """Skip with the reason when PostgreSQL or Redis is missing; fail instead under CI."""
    reason = Services.unavailable()
    if reason:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"REQUIRE_SERVICES=1: {reason}")
        pytest.skip(reason)
