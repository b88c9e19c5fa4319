"""The account page: settings, download of everything, and deleting the account."""

from importlib import import_module

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.models import Session
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from journal.export import export_response
from me.forms import DeleteAccountForm, PreferencesForm


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
    return render(request, "account/overview.html", {"form": form})


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
