"""Referrer-Policy same-origin, checked in the real browser: our own form posts carry our origin
(so Django's CSRF check passes as shipped), and a link to another site carries no referrer."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
LIFELINE = "https://988lifeline.org/"


def test_a_link_to_another_site_sends_no_referrer(new_context):
    context = new_context()
    context.guard.fulfil[LIFELINE] = "<!doctype html><title>Lifeline</title><p>Outside page.</p>"
    page = context.new_page()
    page.goto("/help/")
    with page.expect_request(LIFELINE) as leaving:
        page.locator(f'a[href="{LIFELINE.rstrip("/")}"], a[href="{LIFELINE}"]').first.click()
    assert "referer" not in leaving.value.headers


def test_our_own_posts_carry_our_origin_and_pass_the_csrf_check(new_context, person, site):
    page = new_context().new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password", exact=True).fill(person.raw_password)
    with page.expect_request(lambda request: request.method == "POST") as posting:
        page.locator("main").get_by_role("button", name="Sign in").click()
    assert posting.value.headers.get("origin") == site
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
