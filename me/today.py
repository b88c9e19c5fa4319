"""Today: the signed-in person's home page. One small thing to try, one prompt, a check-in of a
few seconds, and the counters they chose to keep."""

from datetime import datetime, time

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from journal import checkin
from journal.models import Counter, CounterReset, Entry, Mood, OwnPrompt
from recovery import progress
from recovery.content import library
from recovery.models import ExerciseTick, StepProgress

MAX_COUNTERS = 10
OWN_PINNED_SHOWN = 3
TODAY = "/"


def try_today(step):
    """The exercise a step offers for today: the one its `try_today` names, else its first."""
    if step is None or not step.exercises:
        return None
    return step.try_today or step.exercises[0]


def prompt_for(user, step):
    """A prompt of the step the person has not answered yet, else the first."""
    if step is None or not step.prompts:
        return None
    try:
        answered = Entry.objects.for_user(user).answers_to_step(progress.step_id(step.slug))
    except progress.Step.DoesNotExist:
        answered = {}
    return next((p for p in step.prompts if p.id not in answered), step.prompts[0])


def own_prompts_for(user):
    """The person's pinned prompts (a few), else the newest one still in use: one click to write."""
    offered = OwnPrompt.objects.for_user(user).offered(OWN_PINNED_SHOWN)
    return [p for p in offered if p.pinned] or offered[:1]


def tracking_started(user):
    return StepProgress.objects.filter(user=user).exists() or ExerciseTick.objects.filter(user=user).exists()


def today_context(request, **extra):
    lib = library()
    tracker = progress.tracker_for(request)
    step = progress.current_step(lib, tracker)
    today = timezone.localdate()
    midnight = datetime.combine(today, time.min, tzinfo=timezone.get_current_timezone())
    entries = Entry.objects.for_user(request.user)
    counters = list(Counter.objects.for_user(request.user).prefetch_related("history"))
    context = {
        "step": step,
        "in_brief": step.in_brief if step else [],
        "exercise": try_today(step),
        "ticked": tracker.ticked(step.slug) if step else set(),
        "prompt": prompt_for(request.user, step),
        "own_prompts": own_prompts_for(request.user),
        "checkin_form": checkin.CheckInForm(),
        "moods": dict(Mood.choices),
        "checked_in_today": entries.filter(kind=Entry.Kind.CHECKIN, created_at__gte=midnight).exists(),
        "counters": [
            {
                "counter": c,
                "days": c.days(today),
                "history": c.history.all(),
                # Said beside the counter, so it is seen with or without JavaScript.
                "again_today": any(old.ended_on == today for old in c.history.all()),
            }
            for c in counters
        ],
        "counter_form": CounterForm(),
        "can_add_counter": len(counters) < MAX_COUNTERS,
    }
    context.update(extra)
    return context


@never_cache
def today(request):
    """The signed-in user (home calls this for them): today's page."""
    # "Welcome", not "Welcome back", on the first visit: set at sign-up (recovery.signals) in
    # the browser that signed up, and true anywhere for an account that has done nothing yet
    # (confirmed by email in another browser, then signed in there).
    first_visit = request.session.pop("first_visit", False) or not (
        tracking_started(request.user) or Entry.objects.all_for(request.user).exists()
    )
    return render(request, "me/today.html", today_context(request, first_visit=first_visit))


def _part(request, name, status=200, **extra):
    """After a change on Today: the changed part for htmx, else back to the page."""
    if request.htmx:
        return render(request, f"me/today.html#{name}", today_context(request, **extra), status=status)
    if status != 200:
        return render(request, "me/today.html", today_context(request, **extra), status=status)
    return redirect(f"{TODAY}#{name}")


@never_cache
@login_required
@require_POST
def tick(request, slug, exercise_id):
    """The signed-in user: tick or untick today's exercise (done=0 unticks), staying on Today."""
    doc = library().steps.get(slug)
    if doc is None or doc.exercise(exercise_id) is None:
        raise Http404("No such exercise")
    progress.tracker_for(request).tick(doc, exercise_id, request.POST.get("done") != "0")
    return _part(request, "try-today")


# The check-in itself is the dashboard's view (me/dashboard.py); with next=/ it answers here.


def wants_today(request):
    nxt = request.POST.get("next", "")
    return nxt == TODAY and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()})


def checked_in(request, form=None):
    """The check-in's answer when it was posted from Today: the form again with its errors
    (400), or Today with its thank-you; in place with htmx."""
    if form is not None:
        return _part(request, "today-checkin", status=400, checkin_form=form)
    return _part(request, "today-checkin")


# Counters


class CounterForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        label="What are you counting?",
        help_text="For example “days since last contact”. Only you see this.",
        error_messages={
            "required": "Give the counter a name.",
            "max_length": "Keep the name under 80 characters.",
            "null_characters_not_allowed": "The name contains a character we cannot store.",
        },
    )
    started_on = forms.DateField(
        required=False,
        label="Counting from (optional, today if left empty)",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date like 2026-11-24."},
    )

    def clean_started_on(self):
        day = self.cleaned_data["started_on"] or timezone.localdate()
        if day > timezone.localdate():
            raise forms.ValidationError("Choose today or a day before it.")
        if day.year < 1900:
            raise forms.ValidationError("Choose a date after 1900.")
        return day


def _counter_or_404(request, code):
    return get_object_or_404(Counter.objects.for_user(request.user), code=code)


@sensitive_post_parameters("name")
@never_cache
@login_required
@require_POST
def counter_add(request):
    """The signed-in user: turn on a counter they name themselves."""
    form = CounterForm(request.POST)
    if Counter.objects.for_user(request.user).count() >= MAX_COUNTERS:
        form.add_error(None, f"You can keep up to {MAX_COUNTERS} counters.")
    if not form.is_valid():
        return _part(request, "counters", status=400, counter_form=form)
    Counter.objects.create(
        owner=request.user, name=form.cleaned_data["name"], started_on=form.cleaned_data["started_on"]
    )
    return _part(request, "counters")


@never_cache
@login_required
@require_POST
def counter_reset(request, code):
    """The signed-in user: start one of their counters again from today, keeping the old count."""
    today = timezone.localdate()
    with transaction.atomic():
        counter = get_object_or_404(Counter.objects.for_user(request.user).select_for_update(), code=code)
        if counter.started_on < today:
            CounterReset.objects.create(counter=counter, started_on=counter.started_on, ended_on=today)
            counter.started_on = today
            counter.save(update_fields=["started_on"])
    return _part(request, "counters")


@never_cache
@login_required
@require_POST
def counter_remove(request, code):
    """The signed-in user: turn one of their counters off, with its history."""
    _counter_or_404(request, code).delete()
    return _part(request, "counters")
