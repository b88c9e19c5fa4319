"""/start/: what brings someone here, if they want to say, and where they might begin."""

from django import forms
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from recovery import progress
from recovery.content import library
from recovery.models import User

Start = User.Start

# For each answer: why the first suggestion comes first, and modules worth knowing about, each
# with a reason. A module missing from content/ is left out, never linked.
SUGGESTIONS = {
    Start.BREAKUP: (
        "When something ends, naming what you feel is a gentle first step. You do not have to "
        "make sense of it all yet.",
        [
            ("grieving", "An ending is a loss, even when it was the right thing."),
            ("self-care", "Small routines that carry you through the hardest days."),
        ],
    ),
    Start.BETRAYAL: (
        "Shock, anger and grief can arrive all at once after a betrayal. The path starts by "
        "making room for every one of them.",
        [
            ("rebuilding-self-trust", "Being deceived can shake trust in your own judgement."),
            ("boundaries", "Deciding what you will and will not accept from now on."),
        ],
    ),
    Start.NEGLECT: (
        "Feelings that went unnoticed for a long time deserve a hearing now, starting with your own.",
        [
            ("self-compassion", "Treating your own needs as real, because they are."),
            ("finding-support", "People who can notice you, and how to reach them."),
        ],
    ),
    Start.REJECTION: (
        "Being turned away can feel like a verdict on who you are. It is not. The path starts "
        "with what you feel, before any of the why.",
        [
            ("self-compassion", "Speaking to yourself as you would to a friend."),
            ("rewriting-your-story", "Telling what happened in a way that leaves you whole."),
        ],
    ),
    Start.FRIGHTENED: (
        "Your safety comes first. The help page lists people you can call or text, at any hour, "
        "and the module on staying safe has practical steps you can take at your own pace.",
        [
            ("finding-support", "People and services who can stand with you."),
            ("boundaries", "When you are ready: protecting your time, space and peace."),
        ],
    ),
    Start.BACK_TOGETHER: (
        "The core steps help you see clearly what happened and what you need, before deciding "
        "anything. After them, one module looks at the question itself, with care for your "
        "safety and for what both of you want.",
        [
            (
                "thinking-about-getting-back-together",
                "Whether, when and how, and when it is kinder to let go.",
            ),
        ],
    ),
    Start.UNSAID: (
        "That is completely fine. The path starts with noticing what you feel, and every step "
        "can be read in any order.",
        [],
    ),
}


class StartForm(forms.Form):
    reason = forms.ChoiceField(
        choices=[("", "No answer")] + Start.choices,
        required=False,
        error_messages={"invalid_choice": "Choose one of the answers, or skip this page."},
    )


def suggestions(lib, tracker):
    """(help first?, the step to begin with, [(step, why)]) for the reader's answer."""
    start = tracker.start
    if start not in SUGGESTIONS:
        return None
    why, extras = SUGGESTIONS[start]
    begin = progress.current_step(lib, tracker)
    more = [(lib.steps[slug], reason) for slug, reason in extras if slug in lib.steps]
    return {
        "why": why,
        "help_first": start == Start.FRIGHTENED,
        "begin": begin,
        "more": [(doc, reason) for doc, reason in more if doc is not begin],
    }


def _save(request, reason):
    user = request.user
    if user.is_authenticated:
        user.start_reason = reason
        user.save(update_fields=["start_reason"])
    elif reason:
        request.session[progress.START_KEY] = reason
    else:
        request.session.pop(progress.START_KEY, None)


@sensitive_post_parameters("reason")
@never_cache
@require_http_methods(["GET", "POST"])
def start(request):
    """Anyone: what brings you here (optional); POST keeps the answer in the account, or in a
    visitor's session, and an empty answer forgets it."""
    tracker = progress.tracker_for(request)
    form = StartForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            _save(request, form.cleaned_data["reason"])
            return redirect("/start/#where-to-begin" if form.cleaned_data["reason"] else "/start/")
        status = 400
    context = {
        "form": form,
        "choices": Start.choices,
        "chosen": tracker.start,
        "chosen_label": Start(tracker.start).label if tracker.start in Start.values else "",
        "suggest": suggestions(library(), tracker),
    }
    return render(request, "me/start.html", context, status=status)
