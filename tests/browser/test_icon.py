"""The site's icon: linked from every page, and at /favicon.ico for browsers that ask there."""

import pytest

pytestmark = pytest.mark.browser


def test_every_page_links_the_icon_and_favicon_ico_leads_to_it(new_context):
    page = new_context().new_page()
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.goto("/")
    icon = page.locator('link[rel="icon"]')
    assert icon.get_attribute("href") == "/static/img/icon.svg"

    response = page.request.get("/favicon.ico", max_redirects=0)
    assert response.status == 301
    assert response.headers["location"] == "/static/img/icon.svg"
    followed = page.request.get("/favicon.ico")
    assert followed.status == 200
    assert followed.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in followed.text()
    assert not missing
