"""Signed-in pages kept per user, rendered again only when something of theirs has changed.

A signed-in user's step page, path, dashboard and journal list are built from their own rows,
and building them is most of such a request's time. Each user row carries `pages_version`, read
with the user at no extra cost. Whatever changes what their pages show gives it a new random
value: every POST they make (PagesChangedMiddleware), the visit of a step that records itself
(progress.py) and a content sync that changed Step rows (sync.py). Random, so no number is used
twice; and a full save of a user read earlier never writes an old one back (User.save).
A page is kept under the version it was rendered at, so a kept page is never served once it is
out of date, by this process or any other, and nothing has to be told to forget anything.

The kept pages hold decrypted journal text (titles, excerpts, dates), so they live only in the
memory of the process that rendered them: the "pages" cache is local memory, never Redis.
"""

import hashlib
from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.db.models import F
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

from recovery.content import library
from recovery.models import new_pages_version

# Stands in for the CSRF token in a page rendered once and served again; the token of the
# request at hand is put in its place each time.
CSRF_PLACEHOLDER = "csrf-token-placeholder-3f9c2b"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def with_token(request, html):
    return html.replace(CSRF_PLACEHOLDER, get_token(request))


def changed(user):
    """What `user`'s pages show has changed: whatever is kept for them is out of date.

    Call it after the write, never before: a page rendered between the two would be kept
    under the new version with the old data.
    """
    user.pages_version = new_pages_version()
    get_user_model().objects.filter(pk=user.pk).update(pages_version=user.pages_version)


def everyones_pages_changed():
    """Whatever is kept for anyone is out of date (the Step rows changed under every page)."""
    get_user_model().objects.update(pages_version=F("pages_version") + 1)


def leaves_pages(view):
    """Mark a POST view that changes nothing any kept page shows (autosave of a draft)."""
    view.leaves_pages = True
    return view


def per_user(view=None, *, unless=None):
    """Keep a GET page per signed-in user and serve it again until their version moves on.

    Anyone else, a request with messages waiting to be shown, and a request for which
    `unless(request)` is true go straight to the view. A view can say until when its page may
    be served again by setting `request.page_fresh_until`.
    """
    if view is None:
        return lambda view: per_user(view, unless=unless)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if (
            not user.is_authenticated
            or request.method != "GET"
            or len(get_messages(request))
            or (unless is not None and unless(request))
        ):
            return view(request, *args, **kwargs)
        version = user.pages_version
        htmx = request.htmx
        # Hashed: the path can hold search words, which must never reach a log (Django warns,
        # with the key, about keys over 250 characters), and the hash caps the key's length.
        key = hashlib.sha256(
            repr(
                (
                    user.pk,
                    version,
                    library().generation,
                    timezone.localdate().isoformat(),
                    bool(htmx),  # the views ask `request.htmx`, true only for "HX-Request: true"
                    bool(htmx.history_restore_request),
                    request.get_full_path(),
                )
            ).encode()
        ).hexdigest()
        pages = caches["pages"]
        kept = pages.get(key)
        if kept is not None:
            html, fresh_until = kept
            if fresh_until is None or timezone.now() < fresh_until:
                return HttpResponse(with_token(request, html))
        request.csrf_placeholder = True
        try:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()  # a TemplateResponse, rendered while the placeholder is on
        finally:
            # An error page rendered after this (a 404 raised in the view) gets a real token.
            request.csrf_placeholder = False
        if response.streaming:
            return response
        html = response.content.decode()
        if response.status_code == 200 and user.pages_version == version:
            pages.set(key, (html, getattr(request, "page_fresh_until", None)))
        if CSRF_PLACEHOLDER in html:
            response.content = with_token(request, html)
        return response

    return wrapper


class PagesChangedMiddleware:
    """After every POST (PUT, PATCH, DELETE) by a signed-in user, mark their kept pages out of
    date: whatever the view wrote has been written by then. Views marked `leaves_pages` are
    passed over."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            request.method in UNSAFE_METHODS
            and user is not None
            and user.is_authenticated
            and not getattr(request, "leaves_pages", False)
        ):
            changed(user)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "leaves_pages", False):
            request.leaves_pages = True
