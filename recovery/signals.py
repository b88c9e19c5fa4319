import time

from allauth.account.adapter import get_adapter
from allauth.account.signals import user_signed_up
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from recovery.progress import merge_session_into_user, merge_start_into_user


@receiver(user_logged_in, dispatch_uid="recovery.merge_progress")
def merge_visitor_progress(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        merge_session_into_user(request.session, user)
        merge_start_into_user(request.session, user)
        request.session["_seen"] = int(time.time())  # the sign-in itself recorded "last used"


@receiver(user_logged_out, dispatch_uid="recovery.clear_site_data")
def clear_browser_on_sign_out(sender, request, user, **kwargs):
    """Sign-out, quick exit or account deletion: the answer tells the browser to forget what
    it kept of the site (recovery.middleware.SecurityHeadersMiddleware adds the header)."""
    if request is not None:
        request.signed_out = True


@receiver(user_signed_up, dispatch_uid="recovery.first_visit")
def remember_first_visit(sender, request, user, **kwargs):
    """The home page greets a new account with "Welcome", once (it reads and drops this)."""
    if request is not None and hasattr(request, "session"):
        request.session["first_visit"] = True


@receiver(user_logged_in, dispatch_uid="recovery.sign_in_alert")
def alert_on_new_device(sender, request, user, **kwargs):
    """Email the user when a device they have not used before signs in to their account."""
    if request is None:
        return
    agent = request.META.get("HTTP_USER_AGENT", "")[:200]
    others = UserSession.objects.filter(user=user).exclude(session_key=request.session.session_key or "")
    known = list(others.values_list("user_agent", flat=True))
    if not known or any(a[:200] == agent for a in known):
        return  # the first device ever, or one seen before
    # allauth's own notification mail: its subject prefix, the primary address, and nothing
    # sent when ACCOUNT_EMAIL_NOTIFICATIONS is off.
    get_adapter(request).send_notification_mail(
        "account/email/new_device",
        user,
        {
            "user": user,
            "site_name": settings.SITE_NAME,
            "agent": agent,
            "sessions_url": request.build_absolute_uri("/accounts/sessions/"),
        },
    )
