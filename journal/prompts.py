"""A person's own prompts: questions they write for themselves, to answer in the journal.

Every view is for the signed-in owner only; anyone else's prompt is 404 on every method. Prompts
are reached only through `OwnPrompt.objects.for_user`, and every response is private, never stored.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from journal.drafts import private
from journal.forms import OwnPromptForm
from journal.models import MAX_OWN_PROMPTS, Entry, OwnPrompt

FIELDS = ("text", "template")


def prompt_view(*methods):
    """Fetch the user's prompt before anything else, so a stranger gets 404 on every method."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, code, *args, **kwargs):
            prompt = get_object_or_404(OwnPrompt.objects.for_user(request.user), code=code)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, prompt, *args, **kwargs)

        return wrapper

    return decorator


@sensitive_variables()
@private
@login_required
@require_GET
def prompt_list(request):
    """The signed-in user: their own prompts, pinned first, then retired ones, with answer counts."""
    prompts = list(OwnPrompt.objects.for_user(request.user).defer("template"))
    answers = dict(
        Entry.objects.for_user(request.user)
        .filter(own_prompt__isnull=False)
        .values_list("own_prompt")
        .annotate(n=Count("id"))
        .order_by()
    )
    for prompt in prompts:
        prompt.answers = answers.get(prompt.pk, 0)
    context = {
        "active": [p for p in prompts if not p.retired],
        "retired": [p for p in prompts if p.retired],
        "can_add": len(prompts) < MAX_OWN_PROMPTS,
        "most": MAX_OWN_PROMPTS,
    }
    return render(request, "journal/prompts.html", context)


@sensitive_post_parameters(*FIELDS)
@sensitive_variables()
@private
@login_required
@require_http_methods(["GET", "POST"])
def prompt_add(request):
    """The signed-in user: write a new prompt of their own."""
    form = OwnPromptForm(request.POST or None)
    if request.method == "GET":
        return render(request, "journal/prompt_form.html", {"form": form})
    if OwnPrompt.objects.for_user(request.user).count() >= MAX_OWN_PROMPTS:
        form.add_error(
            None,
            f"You have {MAX_OWN_PROMPTS} prompts, the most you can keep. "
            "Delete one you no longer need to add another.",
        )
    if not form.is_valid():
        return render(request, "journal/prompt_form.html", {"form": form}, status=400)
    OwnPrompt.objects.create(owner=request.user, **form.cleaned_data)
    messages.success(request, "Your prompt is saved.")
    return redirect("journal:prompts")


@sensitive_post_parameters(*FIELDS)
@sensitive_variables()
@private
@login_required
@prompt_view("GET", "POST")
def prompt_edit(request, prompt):
    """The signed-in owner: change the question or the text its entries start with."""
    if request.method == "GET":
        form = OwnPromptForm(initial={"text": prompt.text, "template": prompt.template})
        return render(request, "journal/prompt_form.html", {"form": form, "prompt": prompt})
    form = OwnPromptForm(request.POST)
    if not form.is_valid():
        return render(request, "journal/prompt_form.html", {"form": form, "prompt": prompt}, status=400)
    prompt.text, prompt.template = form.cleaned_data["text"], form.cleaned_data["template"]
    prompt.save()
    messages.success(request, "Your prompt is saved.")
    return redirect("journal:prompts")


def _change(request, prompt, message, **fields):
    with transaction.atomic():
        for name, value in fields.items():
            setattr(prompt, name, value)
        prompt.save(update_fields=list(fields))
    messages.success(request, message)
    return redirect("journal:prompts")


@private
@login_required
@prompt_view("POST")
def prompt_pin(request, prompt):
    """The signed-in owner: pin a prompt, so Today and the editor offer it first (brings it back too)."""
    return _change(
        request, prompt, "Pinned. Today and the editor offer it first.", pinned=True, retired_at=None
    )


@private
@login_required
@prompt_view("POST")
def prompt_unpin(request, prompt):
    """The signed-in owner: unpin a prompt."""
    return _change(request, prompt, "Unpinned.", pinned=False)


@private
@login_required
@prompt_view("POST")
def prompt_retire(request, prompt):
    """The signed-in owner: stop offering a prompt; the entries that answered it keep it."""
    return _change(
        request,
        prompt,
        "Retired. It is no longer offered, and the entries that answered it still show it.",
        pinned=False,
        retired_at=prompt.retired_at or timezone.now(),
    )


@private
@login_required
@prompt_view("POST")
def prompt_bring_back(request, prompt):
    """The signed-in owner: offer a retired prompt again."""
    return _change(request, prompt, "It is back among your prompts.", retired_at=None)


@sensitive_variables()
@private
@login_required
@prompt_view("GET", "POST")
def prompt_delete(request, prompt):
    """The signed-in owner: delete a prompt for good, once confirmed; its entries stay, without it."""
    if request.method == "GET":
        answers = Entry.objects.all_for(request.user).filter(own_prompt=prompt).count()
        return render(request, "journal/prompt_delete.html", {"prompt": prompt, "answers": answers})
    with transaction.atomic():
        prompt.delete()
    messages.success(
        request, "The prompt is deleted. Any entries that answered it are still in your journal."
    )
    return redirect("journal:prompts")
