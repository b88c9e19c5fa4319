"""/safety-plan/: a personal safety plan. Kept encrypted for a signed-in person; for a visitor
it is only ever printed, from what they posted, and nothing of it is stored anywhere."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from journal.models import SafetyPlan
from recovery.content import library

SECTIONS = SafetyPlan.SECTIONS
FIELDS = [name for name, _, _ in SECTIONS]
SECTION_LIMIT = 4000
EMERGENCY = "Emergency: my local emergency number (911 in the US and Canada, 999 or 112 in the UK, 112 in Europe, 000 in Australia, 111 in New Zealand)"


class SafetyPlanForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, heading, hint in SECTIONS:
            self.fields[name] = forms.CharField(
                label=heading,
                help_text=hint,
                required=False,
                max_length=SECTION_LIMIT,
                widget=forms.Textarea(attrs={"rows": 4}),
                error_messages={
                    "max_length": f"Keep each part under {SECTION_LIMIT} characters.",
                    "null_characters_not_allowed": "This part contains a character we cannot store.",
                },
            )

    def rows(self):
        """(bound field, heading) in the plan's order, for the template."""
        return [(self[name], heading) for name, heading, _ in SECTIONS]


def helplines():
    """The professionals section to start from: the help page's crisis lines, one a line."""
    lines = [EMERGENCY]
    page = library().pages.get("help")
    # The first line of each country: the plan stays one printed page; the help page has the rest.
    for group in (page.meta.get("crisis_lines") or []) if page else []:
        for line in (group.get("lines") or [])[:1]:
            ways = [f"Call {line['call']}" if line.get("call") else "", _text_way(line)]
            lines.append(f"{line['name']} ({group['country']}): {', '.join(w for w in ways if w)}")
    return "\n".join(lines)


def _text_way(line):
    if not line.get("text"):
        return ""
    word = line.get("text_message")
    return f"Text {word} to {line['text']}" if word else f"Text {line['text']}"


def _initial(plan):
    if plan is None:
        return {"professionals": helplines()}
    return {name: getattr(plan, name) for name in FIELDS}


@sensitive_post_parameters(*FIELDS)
@sensitive_variables()
@never_cache
@require_http_methods(["GET", "POST"])
def safety_plan(request):
    """Anyone: the safety plan form. A signed-in person's POST saves their plan; a visitor's
    form posts to the print view instead, so nothing of theirs is kept."""
    user = request.user
    if not user.is_authenticated:
        if request.method == "POST":
            return print_view(request)
        return render(request, "me/safety_plan.html", {"form": SafetyPlanForm(initial=_initial(None))})
    plan = SafetyPlan.objects.for_user(user).first()
    form = SafetyPlanForm(request.POST or None, initial=_initial(plan))
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "me/safety_plan.html", {"form": form, "plan": plan}, status=400)
        plan = plan or SafetyPlan(owner=user)
        for name in FIELDS:
            setattr(plan, name, form.cleaned_data[name])
        plan.save()
        messages.success(request, "Your safety plan is saved. Only you can read it.")
        return redirect("safety_plan")
    return render(request, "me/safety_plan.html", {"form": form, "plan": plan})


@sensitive_post_parameters(*FIELDS)
@sensitive_variables()
@never_cache
@require_http_methods(["GET", "POST"])
def safety_plan_print(request):
    """Anyone: the plan on one printable page. GET prints a signed-in person's saved plan; POST
    prints what was posted, for anyone, and stores none of it."""
    if request.method == "POST":
        return print_view(request)
    if not request.user.is_authenticated:
        return redirect("safety_plan")
    plan = SafetyPlan.objects.for_user(request.user).first()
    data = _initial(plan)
    sections = [(heading, data.get(name, "")) for name, heading, _ in SECTIONS]
    return render(request, "me/safety_plan_print.html", {"sections": sections, "saved": plan is not None})


@sensitive_variables()
def print_view(request):
    form = SafetyPlanForm(request.POST)
    if not form.is_valid():
        return render(request, "me/safety_plan.html", {"form": form}, status=400)
    sections = [(heading, form.cleaned_data[name]) for name, heading, _ in SECTIONS]
    return render(request, "me/safety_plan_print.html", {"sections": sections, "posted": True})
