"""The progress dashboard, and the small forms on a step page that move progress along."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from recovery import pagecache
from recovery import progress as tracking
from recovery.content import library
from recovery.models import StepProgress

Status = StepProgress.Status
DONE = {Status.COMPLETED, Status.REVISITING}
MOOD_DAYS = 90
CALENDAR_DAYS = 30
MOODS = {1: "Very low", 2: "Low", 3: "Okay", 4: "Good", 5: "Very good"}


def _step_or_404(slug):
    doc = library().steps.get(slug)
    if doc is None:
        raise Http404("No such step")
    return doc


def _step_response(request, doc, partial):
    """After a progress change: the changed part of the step page for htmx, else the page."""
    if request.htmx:
        tracker = tracking.tracker_for(request)
        context = {
            "step": doc,
            "status": tracker.status(doc.slug),
            "ticked": tracker.ticked(doc.slug),
        }
        return render(request, f"recovery/step.html#{partial}", context)
    return redirect(f"/steps/{doc.slug}/#{partial}")


@require_POST
def complete(request, slug):
    """Anyone: mark a step complete for the reader (account or session)."""
    doc = _step_or_404(slug)
    tracking.tracker_for(request).complete(doc)
    if not request.htmx:
        messages.success(request, f"Marked “{doc.title}” complete. You can come back to it any time.")
    return _step_response(request, doc, "step-status")


@require_POST
def revisit(request, slug):
    """Anyone: reopen a completed step; its history is kept."""
    doc = _step_or_404(slug)
    tracking.tracker_for(request).revisit(doc)
    return _step_response(request, doc, "step-status")


@require_POST
def tick(request, slug, exercise_id):
    """Anyone: tick or untick one exercise of a step (posts done=1 to tick, done=0 to untick)."""
    doc = _step_or_404(slug)
    if doc.exercise(exercise_id) is None:
        raise Http404("No such exercise")
    done = request.POST.get("done") != "0"
    tracking.tracker_for(request).tick(doc, exercise_id, done)
    return _step_response(request, doc, "exercises")


def continue_step(lib, tracker):
    """The step last visited that is not complete, else the first not complete, in order."""
    statuses = tracker.statuses()
    for slug, _ in tracker.last_visited():
        if slug in lib.steps and statuses.get(slug) not in DONE:
            return lib.steps[slug]
    for doc in lib.path:
        if statuses.get(doc.slug) not in DONE:
            return doc
    return None


def mood_chart(points, days=MOOD_DAYS, width=600, height=200, pad=30):
    """Server-drawn SVG geometry for daily average moods: no chart library, no script."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    span_x = width - 2 * pad
    span_y = height - 2 * pad

    def x(day):
        return round(pad + (day - start).days * span_x / (days - 1), 1)

    def y(mood):
        return round(height - pad - (mood - 1) * span_y / 4, 1)

    # Coordinates go to the template as text: numbers there are localised one by one, slowly.
    dots = [{"x": f"{x(day)}", "y": f"{y(avg)}"} for day, avg in points]
    return {
        "width": f"{width}",
        "height": f"{height}",
        "dots": dots,
        "line": " ".join(f"{d['x']},{d['y']}" for d in dots),
        "levels": [{"y": f"{y(m)}", "label_y": f"{y(m) - 4}", "label": MOODS[m]} for m in range(1, 6)],
        "start_label": f"{start.day} {start:%b}",
        "end_label": f"{today.day} {today:%b}",
        "left": f"{pad}",
        "label_x": f"{pad + 4}",
        "right": f"{width - pad}",
        "bottom": f"{height - 8}",
    }


@login_required
@require_GET
@pagecache.per_user
def progress(request):
    """The signed-in user: their path, progress bar, mood over time and days they wrote."""
    return render(request, "recovery/progress.html", dashboard_context(request))


def dashboard_context(request):
    from journal.models import Entry

    lib = library()
    tracker = tracking.tracker_for(request)
    statuses = tracker.statuses()
    ticks = tracker.all_ticks()
    counts, answered = {}, {}
    grouped = (
        Entry.objects.for_user(request.user)
        .filter(step__isnull=False)
        .values_list("step__slug", "prompt")
        .annotate(n=Count("id"))
        .order_by()
    )
    for slug, prompt, n in grouped:
        counts[slug] = counts.get(slug, 0) + n
        if prompt:
            answered.setdefault(slug, set()).add(prompt)
    since = timezone.now() - timedelta(days=MOOD_DAYS)
    days = {}
    written = set()
    recent = (
        Entry.objects.for_user(request.user)
        .filter(created_at__gte=since)
        .values_list("created_at", "mood")
        .order_by()
    )
    for created, mood in recent:
        day = timezone.localdate(created)
        written.add(day)
        if mood:
            days.setdefault(day, []).append(mood)
    # Labels are made here rather than with the date filter: 90 of them made the page slow.
    points = sorted((day, round(sum(m) / len(m), 1)) for day, m in days.items())
    today = timezone.localdate()
    calendar = []
    for i in range(CALENDAR_DAYS - 1, -1, -1):
        day = today - timedelta(days=i)
        calendar.append(
            {"wrote": day in written, "short": f"{day.day} {day:%b}", "long": f"{day.day} {day:%B}"}
        )
    rows = [
        {
            "step": doc,
            "status": statuses.get(doc.slug, Status.NOT_STARTED),
            "entries": counts.get(doc.slug, 0),
            "answered": len(answered.get(doc.slug, ())),
            "ticked": len(ticks.get(doc.slug, ())),
        }
        for doc in lib.path
    ]
    core_total = len(lib.core)
    core_done = sum(1 for doc in lib.core if statuses.get(doc.slug) in DONE)
    return {
        "rows": rows,
        "core_done": core_done,
        "core_total": core_total,
        "core_percent": round(100 * core_done / core_total) if core_total else 0,
        "next_step": continue_step(lib, tracker),
        "chart": mood_chart(points),
        "points": [{"label": f"{day.day} {day:%B %Y}", "mood": f"{mood}"} for day, mood in points],
        "moods": MOODS,
        "calendar": calendar,
        "days_written": sum(1 for c in calendar if c["wrote"]),
        "checkin_form": CheckInForm(),
    }


class CheckInForm(forms.Form):
    mood = forms.TypedChoiceField(
        choices=list(MOODS.items()),
        coerce=int,
        widget=forms.RadioSelect,
        label="How are you feeling right now?",
    )
    note = forms.CharField(
        required=False,
        max_length=500,
        label="Anything you want to add? (optional)",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_note(self):
        note = self.cleaned_data["note"]
        if "\x00" in note:
            raise forms.ValidationError("The note contains a character we cannot store.")
        return note.strip()


@sensitive_post_parameters("note")
@never_cache
@login_required
@require_POST
def check_in(request):
    """The signed-in user: record a quick mood check-in as a journal entry."""
    from journal.models import Entry

    form = CheckInForm(request.POST)
    if not form.is_valid():
        context = dashboard_context(request)
        context["checkin_form"] = form
        return render(request, "recovery/progress.html", context, status=400)
    with transaction.atomic():
        Entry.objects.create(
            owner=request.user,
            kind=Entry.Kind.CHECKIN,
            mood=form.cleaned_data["mood"],
            title="Check-in",
            body=form.cleaned_data["note"],
        )
    messages.success(request, "Thank you for checking in. It is saved in your journal.")
    return redirect("progress")
