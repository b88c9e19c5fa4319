import time

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.utils import timezone


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set: Permissions-Policy, and no caching of
    any page that belongs to a signed-in user by a shared cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            response["Cache-Control"] = "private, no-store"
        return response


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
