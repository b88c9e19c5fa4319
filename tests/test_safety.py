"""Safety, privacy and account security: quick exit, headers, CSRF, account deletion, XSS."""

from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client

from journal.models import Entry
from recovery.models import StepProgress

pytestmark = pytest.mark.django_db


# Quick exit


def test_every_page_has_quick_exit_and_help_link(client, owner_client, steps):
    for c, url in [
        (client, "/"),
        (client, "/steps/reflect/"),
        (client, "/help/"),
        (owner_client, "/journal/"),
    ]:
        body = c.get(url).content.decode()
        assert 'action="/exit/"' in body, url
        assert "Exit this page" in body, url
        assert 'href="/help/"' in body and "Get help now" in body, url


def assert_moves_on_to(response, url):
    """A blank page that goes on to `url` by itself (a form may not redirect to another site
    under `form-action 'self'`), with a link for a browser that does not follow it."""
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<meta http-equiv="refresh" content="0; url={url}">' in body
    assert f'<a href="{url}"' in body
    assert "<script" not in body


def test_quick_exit_signs_out_and_goes_to_the_neutral_site(owner_client, settings):
    settings.QUICK_EXIT_URL = "https://weather.example/today"
    response = owner_client.post("/exit/")
    assert_moves_on_to(response, "https://weather.example/today")
    assert "no-store" in response["Cache-Control"]
    assert owner_client.get("/progress/").status_code == 302


def test_quick_exit_works_even_with_a_stale_csrf_token(owner, settings):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post("/exit/")
    assert_moves_on_to(response, settings.QUICK_EXIT_URL)
    assert client.get("/progress/").status_code == 302


def editor_fields(**fields):
    import uuid

    return {"draft": str(uuid.uuid4()), "title": "Keys in the door", "body": "Half a sentence", **fields}


def exit_with_token(client, data):
    from django.middleware.csrf import get_token
    from django.test import RequestFactory

    # The token the page's forms carry, with its cookie, as a browser would send them.
    request = RequestFactory().get("/")
    token = get_token(request)
    client.cookies["csrftoken"] = request.META["CSRF_COOKIE"]
    return client.post("/exit/", {**data, "csrfmiddlewaretoken": token})


def test_quick_exit_keeps_the_editors_text_as_the_writers_draft(owner, settings):
    from journal.models import Draft

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = exit_with_token(client, editor_fields())
    assert_moves_on_to(response, settings.QUICK_EXIT_URL)
    draft = Draft.objects.for_user(owner).pending().get()
    assert (draft.title, draft.body) == ("Keys in the door", "Half a sentence")
    assert client.get("/progress/").status_code == 302


def test_a_forged_quick_exit_signs_out_but_leaves_no_draft(owner, settings):
    from journal.models import Draft

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post("/exit/", editor_fields())
    assert_moves_on_to(response, settings.QUICK_EXIT_URL)
    assert not Draft.objects.exists()
    assert client.get("/progress/").status_code == 302


def test_quick_exit_with_someone_elses_entry_code_still_leaves(owner_client, stranger, settings):
    from journal.models import Draft

    theirs = Entry.objects.create(owner=stranger, body="theirs")
    response = owner_client.post("/exit/", editor_fields(entry=str(theirs.code), version="1"))
    assert_moves_on_to(response, settings.QUICK_EXIT_URL)
    assert not Draft.objects.exists()
    assert owner_client.get("/progress/").status_code == 302


@pytest.mark.parametrize("url", ["/exit/", "/accounts/logout/"])
def test_quick_exit_and_signing_out_tell_the_browser_to_forget_the_site(owner_client, url):
    response = owner_client.post(url)
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert owner_client.get("/progress/").status_code == 302


@pytest.mark.parametrize(
    ("url", "next_"),
    [
        ("/journal/?q=marmalade+jar&mood=1", "/journal/"),
        ("/journal/?step=&q=", "/journal/"),
        (
            "/journal/new/?step=reflect&prompt=needs-unmet&draft=x",
            "/journal/new/?step=reflect&prompt=needs-unmet",
        ),
        ("/progress/", "/progress/"),
    ],
)
def test_sign_in_redirects_carry_no_search_words(client, url, next_):
    from urllib.parse import parse_qs, urlsplit

    location = client.get(url)["Location"]
    assert urlsplit(location).path == "/accounts/login/"
    assert parse_qs(urlsplit(location).query) == {"next": [next_]}
    assert "marmalade" not in location


def test_quick_exit_script_is_ours_and_never_inline(client):
    body = client.get("/").content.decode()
    assert '<script src="/static/js/site.js" defer></script>' in body
    head_and_body = body.replace('<script src="', "")
    assert "<script>" not in head_and_body


def test_quick_exit_explanation_page(client):
    body = client.get("/quick-exit/").content.decode()
    assert "Shift" in body
    assert "history" in body.lower()


# Headers


@pytest.mark.parametrize("url", ["/", "/steps/", "/steps/reflect/", "/help/", "/accounts/login/", "/nope/"])
def test_security_headers_on_public_pages(client, url, steps):
    response = client.get(url)
    csp = response["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "script-src 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url", ["/progress/", "/journal/", "/accounts/", "/steps/reflect/"])
def test_signed_in_pages_are_never_stored_by_shared_caches(owner_client, url, steps):
    response = owner_client.get(url)
    assert "no-store" in response["Cache-Control"]
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives


# CSRF


def csrf_posts(owner, steps):
    from recovery.content import library

    exercise = library().steps["reflect"].exercises[0].id
    entry = Entry.objects.create(owner=owner, body="mine")
    return [
        "/steps/reflect/complete/",
        "/steps/reflect/revisit/",
        f"/steps/reflect/exercises/{exercise}/",
        "/progress/check-in/",
        "/journal/new/",
        f"/journal/{entry.code}/edit/",
        f"/journal/{entry.code}/delete/",
        "/journal/import/",
        "/accounts/",
        "/accounts/delete/",
        "/accounts/logout/",
        "/accounts/password/change/",
        "/accounts/email/",
    ]


def test_csrf_is_enforced_on_every_post(owner, steps):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    for url in csrf_posts(owner, steps):
        response = client.post(url, {"title": "t", "body": "b", "mood": "3", "password": owner.raw_password})
        assert response.status_code == 403, url
        assert "Please try that again" in response.content.decode(), url
    assert Entry.objects.filter(owner=owner).count() == 1
    assert not StepProgress.objects.filter(user=owner).exists()


def test_csrf_is_enforced_on_login_and_signup():
    client = Client(enforce_csrf_checks=True)
    assert client.post("/accounts/login/", {"login": "a@b.c", "password": "x"}).status_code == 403
    assert client.post("/accounts/signup/", {"email": "a@b.c"}).status_code == 403


# Account


def test_shared_device_session_ends_with_the_browser(client, owner):
    response = client.post(
        "/accounts/login/", {"login": owner.email, "password": owner.raw_password, "shared_device": "on"}
    )
    assert response.status_code == 302
    assert client.session.get_expire_at_browser_close()


def test_own_device_session_lasts_two_weeks(client, owner):
    client.post("/accounts/login/", {"login": owner.email, "password": owner.raw_password})
    assert not client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == 14 * 24 * 3600


def test_login_page_offers_shared_device(client):
    body = client.get("/accounts/login/").content.decode()
    assert "On a shared device" in body
    assert "Remember Me" not in body


FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def test_sign_in_from_a_new_device_sends_an_alert(owner):
    first = Client(HTTP_USER_AGENT=FIREFOX_LINUX)
    first.post("/accounts/login/", {"login": owner.email, "password": owner.raw_password})
    assert mail.outbox == []
    same = Client(HTTP_USER_AGENT=FIREFOX_LINUX)
    same.post("/accounts/login/", {"login": owner.email, "password": owner.raw_password})
    assert mail.outbox == []
    other = Client(HTTP_USER_AGENT=SAFARI_IPHONE)
    other.post("/accounts/login/", {"login": owner.email, "password": owner.raw_password})
    assert len(mail.outbox) == 1
    assert "Safari on iOS" in mail.outbox[0].body  # in words, not the raw user-agent string
    assert "Mozilla/5.0" not in mail.outbox[0].body
    assert "/accounts/sessions/" in mail.outbox[0].body


def test_sessions_list_and_sign_out_elsewhere(owner):
    laptop = Client(HTTP_USER_AGENT=FIREFOX_LINUX)
    laptop.post("/accounts/login/", {"login": owner.email, "password": owner.raw_password})
    phone = Client(HTTP_USER_AGENT=SAFARI_IPHONE)
    phone.post("/accounts/login/", {"login": owner.email, "password": owner.raw_password})
    body = laptop.get("/accounts/sessions/").content.decode()
    assert "Firefox on Linux" in body and "Safari on iOS" in body and "Mozilla/5.0" not in body
    assert "<span>this device</span>" in body
    laptop.post("/accounts/sessions/", {"action": "logout"})
    assert phone.get("/progress/").status_code == 302
    assert laptop.get("/progress/").status_code == 200


def test_account_page_links_security_settings(owner_client):
    body = owner_client.get("/accounts/").content.decode()
    for href in ("/accounts/email/", "/accounts/password/change/", "/accounts/2fa/", "/accounts/sessions/"):
        assert f'href="{href}"' in body
    assert "Download my data" in body and "Delete my account" in body


def test_two_factor_setup_page_offers_totp(owner_client):
    body = owner_client.get("/accounts/2fa/").content.decode()
    assert "Authenticator app" in body and "what two-factor" not in body.lower()
    assert "Two-factor sign-in asks for two things" in body  # says what it is
    assert 'href="/accounts/2fa/totp/activate/"' in body


def test_collapse_content_notes_preference(owner_client, owner, steps):
    owner_client.post("/accounts/", {"collapse_content_notes": "on"})
    owner.refresh_from_db()
    assert owner.collapse_content_notes
    body = owner_client.get("/steps/forgiveness/").content.decode()
    assert '<details class="step-body">' in body
    assert "Content note:" in body


def owned_rows(user):
    """Rows in every table that belong to the user, by any foreign key to the user model."""
    counts = {}
    user_model = type(user)
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if getattr(field, "many_to_one", False) and field.related_model is user_model and field.concrete:
                n = model._base_manager.filter(**{field.name: user}).count()
                if n:
                    counts[model._meta.label] = counts.get(model._meta.label, 0) + n
    return counts


def total_rows():
    return {m._meta.label: m._base_manager.count() for m in apps.get_models()}


def test_delete_account_removes_every_row_of_theirs(owner, stranger, steps):
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession
    from django.contrib.sessions.models import Session

    client = Client(HTTP_USER_AGENT="test")
    client.post("/accounts/login/", {"login": owner.email, "password": owner.raw_password})
    client.post("/steps/reflect/complete/")
    client.post("/progress/check-in/", {"mood": "3"})
    Entry.objects.create(owner=owner, body="a")
    Entry.objects.create(owner=stranger, body="theirs")
    Authenticator.objects.create(user=owner, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "x"})
    other = Client()
    other.force_login(stranger)
    other.get("/progress/")
    assert owned_rows(owner)["journal.Entry"] == 2
    assert UserSession.objects.filter(user=owner).exists()
    before = total_rows()
    mine = owned_rows(owner)
    sessions_before = Session.objects.count()

    response = client.post("/accounts/delete/", {"password": owner.raw_password}, follow=True)
    assert "have been deleted" in response.content.decode()

    after = total_rows()
    for label, n in mine.items():
        assert after[label] == before[label] - n, label
    assert after["recovery.User"] == before["recovery.User"] - 1
    assert Session.objects.count() == sessions_before - 1
    assert Entry.objects.filter(owner=stranger).count() == 1
    assert not type(owner).objects.filter(pk=owner.pk).exists()
    response = Client().post("/accounts/login/", {"login": owner.email, "password": owner.raw_password})
    assert response.status_code == 200  # the log-in fails


def test_delete_account_with_wrong_password_deletes_nothing(owner_client, owner):
    Entry.objects.create(owner=owner, body="a")
    response = owner_client.post("/accounts/delete/", {"password": "wrong"})
    assert response.status_code == 400
    assert "That password is not right. Nothing has been deleted." in response.content.decode()
    assert Entry.objects.filter(owner=owner).count() == 1


def test_too_many_failed_logins_for_one_account_get_a_clear_message(client, owner):
    for _ in range(5):
        client.post("/accounts/login/", {"login": owner.email, "password": "wrong"})
    response = client.post("/accounts/login/", {"login": owner.email, "password": owner.raw_password})
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()


def test_too_many_login_attempts_from_one_address_get_a_clear_page(client):
    statuses = []
    for i in range(32):
        response = client.post("/accounts/login/", {"login": f"someone{i}@example.com", "password": "wrong"})
        statuses.append(response.status_code)
    assert statuses[0] == 200
    assert statuses[-1] == 429
    body = response.content.decode()
    assert "Please wait a few minutes" in body
    assert "Get help now" in body


def test_admin_is_at_admin_url_and_staff_only(client, owner_client):
    response = owner_client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# Cross-site scripting

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    '<meta http-equiv=refresh content="0;url=javascript:alert(1)">',
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<base href=javascript:alert(1)//>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    '<script\x20type="text/javascript">alert(1)</script>',
    '<img src="x" onerror="&#97;lert(1)">',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    '<a href="#" onclick="alert(1)">x</a>',
    "<p onmouseover=alert(1)>hover</p>",
    "<marquee onstart=alert(1)>",
    "<isindex action=javascript:alert(1) type=image>",
    "<table background=javascript:alert(1)>",
    "<!--<script>alert(1)</script>-->",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<textarea></textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
]


class _Danger(HTMLParser):
    """Finds markup in a page that could run script: the browser's view, entities decoded."""

    TAGS = {"script", "iframe", "object", "embed", "svg", "math", "base", "meta", "link", "style", "frame"}
    URL_ATTRS = {"href", "src", "action", "formaction", "data", "background", "xlink:href", "poster"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and (attrs.get("src") or "").startswith("/static/"):
            return
        # Our own drawings (the mood faces, the chart) carry data-icon, which the Markdown
        # allowlist never lets through; their attributes and children are still checked.
        if tag in self.TAGS and not (tag == "svg" and "data-icon" in attrs):
            self.found.append(tag)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            if name == "style":
                self.found.append(f"{tag} style")
            if name in self.URL_ATTRS and value:
                squashed = "".join(ch for ch in value if ch > " ").lower()
                if squashed.startswith(("javascript:", "vbscript:", "data:")):
                    self.found.append(f"{tag} {name}={value[:30]}")


def executable(html):
    """What in the page could run script (an empty list when nothing can)."""
    parser = _Danger()
    parser.feed(html)
    parser.close()
    return parser.found


def test_xss_detector_sees_the_payloads():
    assert len(XSS) >= 40
    assert sum(bool(executable(p)) for p in XSS) >= 37  # the rest only turn dangerous once rendered


def test_xss_corpus_in_step_markdown_never_survives(client, tmp_path, settings):
    import shutil
    from pathlib import Path

    from recovery import content

    target = tmp_path / "content"
    shutil.copytree(Path(settings.BASE_DIR) / "content", target)
    path = target / "steps" / "reflect.md"
    front, body = path.read_text().split("\n---\n", 1)
    path.write_text(front + "\n---\n" + "\n\n".join(XSS) + "\n\n" + body)
    settings.CONTENT_DIR = target
    content.reset()
    page = client.get("/steps/reflect/").content.decode()
    main = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    assert executable(main) == []


@pytest.mark.parametrize("payload", XSS)
def test_xss_payload_in_entry_title_and_body_never_survives(owner_client, owner, payload):
    entry = Entry.objects.create(owner=owner, title=payload, body=payload)
    for url in (f"/journal/{entry.code}/", "/journal/", f"/journal/{entry.code}/edit/"):
        page = owner_client.get(url).content.decode()
        main = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
        assert executable(main) == [], (url, payload)


# Under Referrer-Policy: same-origin, browsers send our own origin on our own form posts, and
# Django's CSRF check works as shipped: anything else is refused, token or not.


def post_with_token(origin, fetch_site):
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    headers = {"Origin": origin}
    if fetch_site:
        headers["Sec-Fetch-Site"] = fetch_site
    return client.post(
        "/accounts/login/", {"login": "a@b.c", "password": "x", "csrfmiddlewaretoken": token}, headers=headers
    )


def test_our_own_origin_with_a_token_is_accepted():
    assert post_with_token("http://testserver", "same-origin").status_code == 200


@pytest.mark.parametrize("fetch_site", ["same-origin", "cross-site", "same-site", "none", None])
def test_a_null_origin_is_refused_whatever_else_the_request_says(fetch_site):
    assert post_with_token("null", fetch_site).status_code == 403


def test_another_origin_is_refused_even_with_a_token():
    assert post_with_token("https://evil.example", "cross-site").status_code == 403


def test_deleting_the_account_ends_its_other_sessions_in_the_cache_too(owner):
    """With Redis, sessions are cached (cached_db): a phone's session must not live on there,
    with the email address in it, after the account is deleted from the laptop."""
    from importlib import import_module

    from django.conf import settings
    from django.core.cache import caches

    laptop, phone = Client(HTTP_USER_AGENT="laptop"), Client(HTTP_USER_AGENT="phone")
    for device in (laptop, phone):
        device.post("/accounts/login/", {"login": owner.email, "password": owner.raw_password})
        assert device.get("/progress/").status_code == 200
    phone_key = phone.cookies[settings.SESSION_COOKIE_NAME].value
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=phone_key)

    laptop.post("/accounts/delete/", {"password": owner.raw_password})

    assert phone.get("/progress/").status_code == 302
    assert not store.exists(phone_key)
    if hasattr(store, "cache_key"):  # cached_db: nothing of it left in the cache
        assert caches[settings.SESSION_CACHE_ALIAS].get(store.cache_key) is None


def test_static_files_carry_the_same_security_headers_as_pages(settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve from static/ without collectstatic
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/js/site.js")
    assert response.status_code == 200
    page = Client().get("/help/")
    assert response["Content-Security-Policy"] == page["Content-Security-Policy"]
    assert response["Permissions-Policy"] == page["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"


def test_the_sign_in_alert_is_allauths_notification_and_stops_when_they_are_off(owner, settings):
    Client(HTTP_USER_AGENT="Firefox on Linux").post(
        "/accounts/login/", {"login": owner.email, "password": owner.raw_password}
    )
    Client(HTTP_USER_AGENT="Safari on iPhone").post(
        "/accounts/login/", {"login": owner.email, "password": owner.raw_password}
    )
    assert mail.outbox[0].subject.startswith(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)
    settings.ACCOUNT_EMAIL_NOTIFICATIONS = False
    Client(HTTP_USER_AGENT="Chrome on Android").post(
        "/accounts/login/", {"login": owner.email, "password": owner.raw_password}
    )
    assert len(mail.outbox) == 1
