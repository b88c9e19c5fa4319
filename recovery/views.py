import logging

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.messages import get_messages
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from journal.views import TEXT_FIELDS, autosave
from recovery import pagecache, progress
from recovery.content import library
from recovery.middleware import CLEAR_SITE_DATA

logger = logging.getLogger(__name__)


@require_GET
@pagecache.per_user
def home(request):
    """Anyone: what this is and where to start; a signed-in user also sees where they left off."""
    lib = library()
    context = {"core": lib.core, "first": lib.core[0] if lib.core else None}
    if request.user.is_authenticated:
        context["tracker"] = progress.tracker_for(request)
    return render(request, "recovery/home.html", context)


@require_GET
def page(request, slug):
    """Anyone: a plain page from content/pages/."""
    doc = library().pages.get(slug)
    if doc is None:
        raise Http404("No such page")
    return render(request, "recovery/page.html", {"page": doc})


@require_GET
@pagecache.per_user
def steps(request):
    """Anyone: the path in order, with each step's status for whoever is reading."""
    lib = library()
    statuses = progress.tracker_for(request).statuses()

    def cards(docs):
        return [
            (
                step_fragment(lib, doc, "step-card", template="recovery/steps.html"),
                statuses.get(doc.slug, progress.Status.NOT_STARTED),
            )
            for doc in docs
        ]

    return render(request, "recovery/steps.html", {"core": cards(lib.core), "optional": cards(lib.optional)})


def step_fragment(lib, doc, name, template="recovery/step.html", **variant):
    """A part of a step's page that is the same for every reader, rendered once per content
    version and kept with the library (which starts afresh when a file changes)."""
    key = (doc.slug, name, tuple(sorted(variant.items())))
    html = lib.fragments.get(key)
    if html is None:
        before, after = lib.neighbours(doc)
        context = {
            "step": doc,
            "before": before,
            "after": after,
            "related": [lib.steps[s] for s in doc.related if s in lib.steps],
            **variant,
        }
        html = lib.fragments[key] = render_to_string(f"{template}#{name}", context)
    return html


@require_GET
@pagecache.per_user
def step(request, slug):
    """Anyone: one step; visiting it marks it started for whoever is reading."""
    lib = library()
    doc = lib.steps.get(slug)
    if doc is None:
        if slug in lib.aliases:
            return HttpResponsePermanentRedirect(f"/steps/{lib.aliases[slug]}/")
        if settings.DEBUG and slug in lib.broken:
            problems = lib.problems_for(slug)
            return render(request, "recovery/content_error.html", {"problems": problems}, status=500)
        raise Http404("No such step")
    tracker = progress.tracker_for(request)
    # Kept for a signed-in reader until the visit is due to be recorded again.
    request.page_fresh_until = tracker.visit(doc)
    status = tracker.status(doc.slug)
    ticked = tracker.ticked(doc.slug)
    context = {
        "step": doc,
        "status": status,
        "ticked": ticked,
        "answered": tracker.answered(doc.slug),
        "reading": step_fragment(lib, doc, "step-reading", collapse_notes=tracker.collapse_notes),
        "ending": step_fragment(lib, doc, "step-ending"),
    }
    fresh = status in (progress.Status.NOT_STARTED, progress.Status.IN_PROGRESS) and not ticked
    if request.user.is_authenticated or not fresh or len(get_messages(request)):
        return render(request, "recovery/step.html", context)
    # A visitor with nothing ticked or completed sees what every such visitor sees: the whole
    # page is rendered once, and only the CSRF token is put in per request.
    key = (doc.slug, "anonymous-page", ())
    page = lib.fragments.get(key)
    if page is None:
        context["csrf_token"] = pagecache.CSRF_PLACEHOLDER
        page = lib.fragments[key] = render_to_string("recovery/step.html", context, request)
    return HttpResponse(pagecache.with_token(request, page))


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
keep_draft = csrf_protect(autosave)


@csrf_exempt
@sensitive_post_parameters(*TEXT_FIELDS)
@require_POST
@never_cache
def quick_exit(request):
    """Anyone: end the session at once and go to a neutral site; a signed-in writer's editor
    text, sent along by site.js, is kept first as their draft.

    Exempt from CSRF on purpose: leaving must work even from a page whose token has gone
    stale, and the only thing a forged request could do is sign someone out. Keeping the
    draft does check the token, so a forged exit cannot leave words in someone's journal.

    The answer is a blank page that moves on by itself rather than a redirect: a form's
    redirect to another site is refused under our `form-action 'self'`, which stays as strict
    as it is. With JavaScript the page is never shown; site.js leaves by location.replace.
    """
    if "draft" in request.POST and request.user.is_authenticated:
        try:
            keep_draft(request)
        except Exception as exc:
            # Leaving comes first. The error's name only: the request holds journal text.
            logger.warning("Quick exit kept no draft: %s", type(exc).__name__)
    logout(request)  # flushes the session too
    response = render(request, "recovery/quick_exit.html", {"exit_url": settings.QUICK_EXIT_URL})
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


def not_found(request, exception=None):
    return render(request, "404.html", status=404)
