import time

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.mail import send_mail
from django.dispatch import receiver
from django.template.loader import render_to_string

from recovery.progress import merge_session_into_user, merge_start_into_user


@receiver(user_logged_in, dispatch_uid="recovery.merge_progress")
def merge_visitor_progress(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        merge_session_into_user(request.session, user)
        merge_start_into_user(request.session, user)
        request.session["_seen"] = int(time.time())  # the sign-in itself recorded "last used"


@receiver(user_logged_in, dispatch_uid="recovery.sign_in_alert")
def alert_on_new_device(sender, request, user, **kwargs):
    """Email the user when a device they have not used before signs in to their account."""
    if request is None or not user.email:
        return
    agent = request.META.get("HTTP_USER_AGENT", "")[:200]
    others = UserSession.objects.filter(user=user).exclude(session_key=request.session.session_key or "")
    known = list(others.values_list("user_agent", flat=True))
    if not known or any(a[:200] == agent for a in known):
        return  # the first device ever, or one seen before
    body = render_to_string(
        "account/email/new_device.txt",
        {
            "user": user,
            "agent": agent or "an unknown browser",
            "sessions_url": request.build_absolute_uri("/accounts/sessions/"),
        },
    )
    send_mail(f"[{settings.SITE_NAME}] A new sign-in to your account", body, None, [user.email])
