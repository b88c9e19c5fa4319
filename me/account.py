"""The account page: settings, reminders, download of everything, and deleting the account."""

from importlib import import_module

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from journal.export import export_response
from me import reminders as reminding
from me.forms import DeleteAccountForm, PreferencesForm, ReminderForm
from me.models import ReminderSettings


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    """The signed-in user: their account page; POST saves their preferences."""
    user = request.user
    form = PreferencesForm(
        request.POST or None, initial={"collapse_content_notes": user.collapse_content_notes}
    )
    if request.method == "POST" and form.is_valid():
        user.collapse_content_notes = form.cleaned_data["collapse_content_notes"]
        user.save(update_fields=["collapse_content_notes"])
        messages.success(request, "Your preferences are saved.")
        return redirect("account")
    reminder = ReminderSettings.objects.filter(user=user).first()
    return render(request, "account/overview.html", {"form": form, "reminder": reminder})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def reminders(request):
    """The signed-in user: their email reminders; POST turns them on or off and sets when."""
    current = ReminderSettings.objects.filter(user=request.user).first()
    initial = {"time_zone": settings.TIME_ZONE, "at": "19:00"}
    if current:
        initial = {
            "enabled": current.enabled,
            "weekdays": current.days(),
            "at": current.at,
            "time_zone": current.time_zone,
            "show_site_name": current.show_site_name,
        }
    form = ReminderForm(request.POST or None, initial=initial)
    context = {"form": form, "current": current, "detect_time_zone": current is None}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "account/reminders.html", context, status=400)
        data = form.cleaned_data
        ReminderSettings.objects.update_or_create(
            user=request.user,
            defaults={
                "enabled": data["enabled"],
                "weekdays": form.weekday_bits(),
                "at": data["at"],
                "time_zone": data["time_zone"],
                "show_site_name": data["show_site_name"],
            },
        )
        if data["enabled"]:
            messages.success(
                request, "Reminders are on. You can turn them off here or from any reminder email."
            )
        else:
            messages.success(request, "Reminders are off. No reminder emails will be sent.")
        return redirect("reminders")
    return render(request, "account/reminders.html", context)


# RFC 8058 one-click unsubscribe: a mail provider posts "List-Unsubscribe=One-Click" to the
# link with no cookie and no CSRF token. The signed link itself is the proof, and all it can
# do is turn reminders off.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def reminders_stop(request, token):
    """Anyone holding a reminder email's signed link, signed in or not: GET asks to confirm,
    POST turns that person's reminders off."""
    user_id = reminding.user_for_token(token)
    if user_id is None:
        raise Http404("This link is not one of ours")
    if request.method == "POST":
        ReminderSettings.objects.filter(user_id=user_id).update(enabled=False)
        return render(request, "account/reminders_stop.html", {"stopped": True})
    return render(request, "account/reminders_stop.html", {"stopped": False})


@never_cache
@login_required
def download(request):
    """The signed-in user: a zip of everything they have here (entries, progress, check-ins)."""
    return export_response(request.user, include_progress=True)


@sensitive_post_parameters("password")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request):
    """The signed-in user: delete the account and every row that belongs to it, once confirmed."""
    form = DeleteAccountForm(request.user, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            user = request.user
            with transaction.atomic():
                delete_user_data(user)
            logout(request)
            messages.success(request, "Your account and everything in it have been deleted.")
            return redirect("home")
        return render(request, "account/delete.html", {"form": form}, status=400)
    return render(request, "account/delete.html", {"form": form})


def delete_user_data(user):
    """Remove the user and everything of theirs, including rows that do not cascade."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    keys += Session.objects.filter(session_key__in=keys).values_list("session_key", flat=True)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in set(keys):
        store(session_key=key).delete()  # from the cache too, where sessions are cached (Redis)
    user.delete()
