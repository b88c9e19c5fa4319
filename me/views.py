"""The home page, the path and a step page: the path, with what a signed-in reader has written
about each step beside it."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import resolve
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from journal.models import Entry
from me import today
from recovery import progress
from recovery.content import library

# Stands in for the CSRF token in the step page every visitor shares; each request's own token
# is put in its place.
CSRF_PLACEHOLDER = "csrf-token-placeholder-3f9c2b"


@require_GET
def home(request):
    """Anyone: what this is and where to start; a signed-in user gets Today instead."""
    if request.user.is_authenticated:
        return today.today(request)
    lib = library()
    tracker = progress.tracker_for(request)
    first = progress.current_step(lib, tracker) or (lib.core[0] if lib.core else None)
    return render(request, "recovery/home.html", {"core": lib.core, "first": first})


@require_GET
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
    tracker.visit(doc)
    status = tracker.status(doc.slug)
    ticked = tracker.ticked(doc.slug)
    context = {
        "step": doc,
        "status": status,
        "ticked": ticked,
        "answered": _answers(request.user, doc),
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
        context["csrf_token"] = CSRF_PLACEHOLDER
        page = lib.fragments[key] = render_to_string(
            "recovery/step.html", context, _neutral_request(request.path)
        )
    return HttpResponse(page.replace(CSRF_PLACEHOLDER, get_token(request)))


def _neutral_request(path):
    """A visitor's request with nothing of any visitor in it (cookies, headers, query string):
    the page every visitor shares is rendered from this, never from the first one's."""
    neutral = HttpRequest()
    neutral.method = "GET"
    neutral.path = neutral.path_info = path
    neutral.META = {"SERVER_NAME": "localhost", "SERVER_PORT": "80"}
    neutral.user = AnonymousUser()
    neutral.htmx = HtmxDetails(neutral)
    neutral.resolver_match = resolve(path)
    return neutral


def _answers(user, doc):
    """What a signed-in reader has written to this step's prompts; a visitor has nothing."""
    if not user.is_authenticated:
        return {}
    return Entry.objects.for_user(user).answers_to_step(progress.step_id(doc.slug))
