"""Views of the path that need nothing but the path: plain pages, step actions, health and
errors. Pages that also show a person's journal live in me/."""

import sys

from django.contrib import messages
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from recovery import progress
from recovery.content import library
from recovery.middleware import DATABASE_DOWN, database_unavailable


@require_GET
def page(request, slug):
    """Anyone: a plain page from content/pages/."""
    doc = library().pages.get(slug)
    if doc is None:
        raise Http404("No such page")
    return render(request, "recovery/page.html", {"page": doc})


def _step_or_404(slug):
    doc = library().steps.get(slug)
    if doc is None:
        raise Http404("No such step")
    return doc


def _step_response(request, doc, partial):
    """After a progress change: the changed part of the step page for htmx, else the page."""
    if request.htmx:
        tracker = progress.tracker_for(request)
        context = {"step": doc, "status": tracker.status(doc.slug), "ticked": tracker.ticked(doc.slug)}
        return render(request, f"recovery/step.html#{partial}", context)
    return redirect(f"/steps/{doc.slug}/#{partial}")


@require_POST
def complete(request, slug):
    """Anyone: mark a step complete for the reader (account or session)."""
    doc = _step_or_404(slug)
    progress.tracker_for(request).complete(doc)
    if not request.htmx:
        messages.success(request, f"Marked “{doc.title}” complete. You can come back to it any time.")
    return _step_response(request, doc, "step-status")


@require_POST
def revisit(request, slug):
    """Anyone: reopen a completed step; its history is kept."""
    doc = _step_or_404(slug)
    progress.tracker_for(request).revisit(doc)
    return _step_response(request, doc, "step-status")


@require_POST
def tick(request, slug, exercise_id):
    """Anyone: tick or untick one exercise of a step (posts done=1 to tick, done=0 to untick)."""
    doc = _step_or_404(slug)
    if doc.exercise(exercise_id) is None:
        raise Http404("No such exercise")
    done = request.POST.get("done") != "0"
    progress.tracker_for(request).tick(doc, exercise_id, done)
    return _step_response(request, doc, "exercises")


@never_cache
def healthz(request):
    """Anyone (load balancers): 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


# The journal's own autosave, behind the CSRF check that /exit/ itself does without.
def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    """500, or 503 when the database does not answer: a middleware that reads the session or the
    user meets that before any view does, and no process_exception sees it."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_DOWN):
        return database_unavailable(request, exception)
    return defaults.server_error(request)
