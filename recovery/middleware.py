import logging
import time
from functools import cache
from urllib.parse import urlsplit, urlunsplit

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.utils import timezone

logger = logging.getLogger(__name__)

# What the browser is told to forget when a session ends: its HTTP cache, and the site's
# sessionStorage, localStorage and Cache Storage, where a page or a snapshot of it could linger.
CLEAR_SITE_DATA = '"cache", "storage"'


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set: Permissions-Policy, no caching of any
    page that belongs to a signed-in user by a shared cache, and Clear-Site-Data on the answer
    to whatever signed the user out (recovery.signals marks the request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if getattr(request, "signed_out", False):
            response.setdefault("Clear-Site-Data", CLEAR_SITE_DATA)
        if response.status_code == 302 and response.get("Location", "").startswith(_login_url() + "?"):
            response["Location"] = _without_private_query(response["Location"])
        user = getattr(request, "user", None)
        # Cache-Control first: a page that set its own (the 503 below) must not need the database.
        if "Cache-Control" not in response and user is not None and user.is_authenticated:
            response["Cache-Control"] = "private, no-store"
        return response


@cache
def _login_url():
    return resolve_url(settings.LOGIN_URL)


# In a page's address that a sign-in comes back to, only these are kept: a step and a prompt
# are the content's own names ("write about this" from a step). Search words, filters and draft
# codes are not kept, so they never wait in a login address in the history after quick exit.
NEXT_KEEPS = ("step", "prompt")


def _without_private_query(location):
    parts = urlsplit(location)
    query = QueryDict(parts.query, mutable=True)
    path, _, page_query = query.get(REDIRECT_FIELD_NAME, "").partition("?")
    if not page_query:
        return location
    kept = QueryDict(mutable=True)
    for name, value in QueryDict(page_query).items():
        if name in NEXT_KEEPS and value:
            kept[name] = value
    query[REDIRECT_FIELD_NAME] = f"{path}?{kept.urlencode()}" if kept else path
    return urlunsplit(parts._replace(query=query.urlencode(safe="/")))


class SessionActivityMiddleware:
    """Refresh "last used" in the user's sessions list at most every few minutes, not on
    every request as allauth's own tracking would."""

    EVERY = 300

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.session.session_key:
            now = int(time.time())
            if now - request.session.get("_seen", 0) > self.EVERY:
                UserSession.objects.filter(session_key=request.session.session_key).update(
                    last_seen_at=timezone.now()
                )
                request.session["_seen"] = now
        return self.get_response(request)


# A database that does not answer (down, restarting, unreachable, out of connections, locked):
# nothing was saved, and trying again in a moment is the right thing to do.
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER = 5  # seconds
KEPT_TEXT = ("title", "body")
NOT_KEPT = (*KEPT_TEXT, "csrfmiddlewaretoken", "preview")


class DatabaseUnavailableMiddleware:
    """A view that meets a database that does not answer answers 503, not 500 (recovery.views.
    server_error does the same when a middleware meets it first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_DOWN):
            return database_unavailable(request, exception)
        return None


def database_unavailable(request, exception):
    """503 with Retry-After and a page made without the database. A post that carried words (the
    journal editor) gets them back on the page in a form that posts them again: nothing was saved,
    and nothing is lost."""
    # The error's name only: the request holds journal text, and the message may quote it.
    logger.warning("Database unavailable: %s %s (%s)", request.method, request.path, type(exception).__name__)
    kept = None
    if request.method == "POST":
        try:
            posted = request.POST
        except Exception:  # a body that cannot be read changes nothing: the answer is still 503
            posted = QueryDict()
        if any(name in posted for name in KEPT_TEXT):
            kept = {
                "action": request.path,
                "title": posted.get("title", ""),
                "body": posted.get("body", ""),
                "hidden": [(name, value) for name, value in posted.items() if name not in NOT_KEPT],
            }
    context = {"kept": kept, "csrf_token": get_token(request), "retry_after": RETRY_AFTER}
    response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "private, no-store"
    return response
