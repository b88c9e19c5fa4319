"""The private journal. Every view is for the signed-in author only; anyone else's entry is 404.

Entries and drafts are reached only through their `for_user` queryset methods (the one
ownership check), and every response is marked `Cache-Control: private, no-store`.
"""

import uuid
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.dates import MONTHS_3
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from journal import export as archive
from journal import formats, import_jobs, imports
from journal.drafts import (
    TEXT_FIELDS,
    consume_draft,
    draft_initial,
    draft_or_404,
    keep_as_draft,
    one_save_at_a_time,
    private,
    saved_from,
)
from journal.forms import BODY_LIMIT, EntryForm, FilterForm, ImportForm, MoodMapForm, clean_link
from journal.models import MAX_OWN_PROMPTS, TRASH_DAYS, Draft, Entry, ImportJob, Mood, OwnPrompt
from recovery import markdown
from recovery.content import library
from recovery.middleware import DATABASE_DOWN, RETRY_AFTER

PER_PAGE = 20
OWN_OFFERED = 5  # own prompts the new-entry editor offers
OWN_GONE = "The prompt you chose is not available: it may have been retired or deleted. You can still write."
UNDO_KEY = "journal_undo"  # the code of the entry just moved to the trash, never its text
# What a card of the list shows: never the body, and only the title and excerpt are decrypted.
LIST_FIELDS = ("code", "kind", "step", "title", "excerpt", "mood", "created_at")


def entry_view(*methods, scope="for_user"):
    """Fetch the user's entry before anything else, so a stranger gets 404 on every method and
    learns nothing, not even which methods the path allows."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, code, *args, **kwargs):
            entries = getattr(Entry.objects, scope)(request.user)
            entries = entries.select_related("step", "own_prompt").defer("own_prompt__template")
            entry = get_object_or_404(entries, code=code)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, entry, *args, **kwargs)

        return wrapper

    return decorator


def keeps_words(view):
    """An editor save that meets a database that does not answer is a 503 with the editor again and
    the words in it. When even the editor needs the database (the session, the user), the error
    goes on to DatabaseUnavailableMiddleware, whose plain page keeps the words instead."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DATABASE_DOWN as exc:
            if request.method != "POST":
                raise
            try:
                response = _unsaved_page(request, kwargs.get("code"))
            except DATABASE_DOWN:
                raise exc from None
            response["Retry-After"] = str(RETRY_AFTER)
            return response

    return wrapper


@sensitive_variables()
def _unsaved_page(request, code):
    # Unbound, so that nothing is validated against the database that just failed.
    posted = {
        name: request.POST.get(name, "")
        for name in ("title", "body", "mood", "step", "prompt", "version", "own")
    }
    posted["draft"] = request.POST.get("draft") or uuid.uuid4()
    entry = Entry(code=code) if code else None
    return _form_page(request, EntryForm(initial=posted, entry=entry), entry, unavailable=True, status=503)


# Reading


@private
@login_required
@require_GET
def entry_list(request):
    """The signed-in user: their entries, newest first, 20 a page, filtered by step, mood, words."""
    form = FilterForm(request.GET or None)
    entries = Entry.objects.for_user(request.user).order_by("-created_at", "-id")
    status = 200
    if form.is_bound and form.is_valid():
        if step := form.cleaned_data["step"]:
            entries = entries.filter(step__slug=step)
        if mood := form.cleaned_data["mood"]:
            entries = entries.filter(mood=mood)
        if query := form.cleaned_data["q"].strip():
            entries = entries.matching(request.user, query)
    elif form.is_bound:
        entries, status = entries.none(), 400
    # A filter swap wants the list alone; going back to a page htmx no longer holds wants all of it.
    partial = request.htmx and not request.htmx.history_restore_request
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": _page_of(entries, request.GET.get("page")),
        "filtered": any(request.GET.get(k) for k in ("step", "mood", "q")),
        "query_string": query.urlencode(),
        # Offered once, on the full page the delete redirected to; a filter swap keeps it for then.
        "undo": None if partial else request.session.pop(UNDO_KEY, None),
        # Writing that was never saved as an entry waits here too, not only in the editor.
        "offered": []
        if partial
        else list(Draft.objects.for_user(request.user).pending().select_related("step", "entry")[:5]),
    }
    template = "journal/list.html#entry-list" if partial else "journal/list.html"
    return render(request, template, context, status=status)


def _page_of(entries, number):
    """One page of entries, found by id alone (the index `entry_owner_recent` holds the order, so
    nothing is sorted or read but the page's ids), then those 20 rows fetched and decrypted."""
    page = Paginator(entries.values_list("pk", flat=True), PER_PAGE).get_page(number)
    rows = (
        Entry.objects.filter(pk__in=page.object_list)
        .select_related("step")
        .only(*LIST_FIELDS)
        .order_by("-created_at", "-id")
    )
    page.object_list = list(rows)
    for entry in page.object_list:
        # The date labels, made once here rather than by two template filters a card.
        when = timezone.localtime(entry.created_at)
        entry.created_iso = when.isoformat()
        entry.created_label = f"{when.day} {MONTHS_3[when.month].title()} {when:%Y, %H:%M}"  # j M Y, H:i
    return page


@sensitive_variables()
@private
@login_required
@entry_view("GET")
def detail(request, entry):
    """The signed-in author: one entry, from its stored, cleaned HTML, with its step and prompt."""
    doc = library().steps.get(entry.step.slug) if entry.step_id else None
    prompt = doc.prompt(entry.prompt) if doc and entry.prompt else None
    return render(
        request,
        "journal/detail.html",
        {"entry": entry, "step_doc": doc, "prompt": prompt, "days": TRASH_DAYS},
    )


# Writing


@sensitive_variables()
def _preview(body):
    if len(body) > BODY_LIMIT:
        return "<p>This text is longer than 100,000 characters, too long to save or preview.</p>"
    return markdown.render(body, line_breaks=True).html


def _form_page(request, form, entry=None, *, preview=None, link_errors=(), unavailable=False, status=200):
    """The editor page, for a new entry or an edit, with whatever the user has typed so far."""
    slug, prompt_id = form.link()
    if form.is_bound and preview is None and (form.has_error("step") or form.has_error("prompt")):
        # Show the step list instead of carrying a broken link along to the next save.
        prompt_id = ""
        if form.has_error("step"):
            slug = ""
    doc = library().steps.get(slug)
    steps = [(s.slug, s.title) for s in library().path]
    if entry and entry.step_id and entry.step.slug not in dict(steps):
        steps.append((entry.step.slug, f"{entry.step.title} (no longer on the path)"))
    mood = form["mood"].value()
    own_code = None if entry else form["own"].value()
    if entry:
        own_prompt = entry.own_prompt
    elif own_code and not unavailable:  # with the database away, the code is carried on alone
        own_prompt = OwnPrompt.objects.for_user(request.user).defer("template").by_code(own_code)
        own_code = own_prompt.code if own_prompt else None
    else:
        own_prompt = None
    context = {
        "form": form,
        "entry": entry,
        "step_slug": slug,
        "step_doc": doc,
        "prompt_id": prompt_id,
        "prompt": doc.prompt(prompt_id) if doc and prompt_id else None,
        "steps": steps,
        "moods": Mood.choices,
        "mood_value": str(mood) if mood not in (None, "") else "",
        "draft_code": form["draft"].value() or uuid.uuid4(),
        "preview": preview,
        "show_errors": form.is_bound and preview is None,
        "link_errors": link_errors,
        "unavailable": unavailable,
        "own_prompt": own_prompt,
        "own_code": own_code,
    }
    if request.method == "GET" and not entry and not own_prompt:
        context["own_offered"] = OwnPrompt.objects.for_user(request.user).offered(OWN_OFFERED)
    if request.method == "GET" and "draft" not in request.GET:
        drafts = Draft.objects.for_user(request.user).pending().select_related("step")
        context["offered"] = (
            list(drafts.filter(entry=entry)[:5]) if entry else list(drafts.filter(entry__isnull=True)[:5])
        )
    return render(request, "journal/form.html", context, status=status)


@sensitive_post_parameters(*TEXT_FIELDS)
@sensitive_variables()
@private
@keeps_words
@login_required
@require_http_methods(["GET", "POST"])
def new(request):
    """The signed-in user: write a new entry, optionally answering a step's prompt."""
    if request.method == "POST":
        form = EntryForm(request.POST)
        if "preview" in request.POST:
            return _form_page(request, form, preview=_preview(request.POST.get("body", "")))
        if not form.is_valid():
            return _form_page(request, form, status=400)
        data = form.cleaned_data
        # Retired since the editor opened is fine: the entry still answers it.
        own = OwnPrompt.objects.for_user(request.user).by_code(data["own"]) if data["own"] else None
        with transaction.atomic():
            one_save_at_a_time(request)
            if saved := saved_from(request, data["draft"]):
                messages.info(request, "This entry was already saved; here it is.")
                return redirect(saved)
            entry = Entry.objects.create(
                owner=request.user,
                step=data["step"],
                prompt=data["prompt"],
                own_prompt=own,
                title=data["title"],
                body=data["body"],
                mood=data["mood"],
            )
            consume_draft(request, data["draft"], entry)
        messages.success(request, "Your entry is saved.")
        if data["own"] and own is None:
            messages.info(
                request, "The prompt you wrote from has been deleted, so the entry is saved without it."
            )
        return redirect("journal:detail", entry.code)

    if "draft" in request.GET:
        draft = draft_or_404(request, request.GET["draft"], entry__isnull=True)
        return _form_page(request, EntryForm(initial=draft_initial(draft)))
    initial = {
        "step": request.GET.get("step", ""),
        "prompt": request.GET.get("prompt", ""),
        "draft": uuid.uuid4(),
    }
    errors = []
    try:
        clean_link(initial["step"], initial["prompt"])
    except ValidationError as exc:
        # A broken link (a renamed step, a prompt of another step): say so, and let them write.
        errors = [message for messages_ in exc.message_dict.values() for message in messages_]
        initial.update(step="", prompt="")
    if code := request.GET.get("own"):
        # The person's own prompt, still in use; anything else (retired, deleted, someone else's,
        # junk) is said plainly, and the editor opens all the same.
        own = OwnPrompt.objects.for_user(request.user).active().by_code(code)
        if own is None:
            errors.append(OWN_GONE)
        else:
            initial.update(own=own.code, body=own.template)
    form = EntryForm(initial=initial)
    return _form_page(request, form, link_errors=errors, status=400 if errors else 200)


@sensitive_post_parameters(*TEXT_FIELDS)
@sensitive_variables()
@private
@keeps_words
@login_required
@entry_view("GET", "POST", scope="all_for")
def edit(request, entry):
    """The signed-in author: change an entry. A save on top of a newer version is refused (409)."""
    if request.method == "GET":
        if entry.in_trash:
            raise Http404("This entry is in the trash")
        initial = {
            "title": entry.title,
            "body": entry.body,
            "mood": entry.mood,
            "step": entry.step.slug if entry.step_id else "",
            "prompt": entry.prompt,
            "version": entry.version,
            "draft": uuid.uuid4(),
        }
        if "draft" in request.GET:
            draft = draft_or_404(request, request.GET["draft"], entry=entry)
            initial.update(draft_initial(draft), version=draft.base_version or entry.version)
        return _form_page(request, EntryForm(initial=initial, entry=entry), entry)

    form = EntryForm(request.POST, entry=entry)
    if "preview" in request.POST:
        return _form_page(request, form, entry, preview=_preview(request.POST.get("body", "")))
    if not form.is_valid():
        return _form_page(request, form, entry, status=400)
    data = form.cleaned_data
    with transaction.atomic():
        current = (
            Entry.objects.all_for(request.user)
            .select_for_update(of=("self",))
            .select_related("step")
            .get(pk=entry.pk)
        )
        if current.in_trash or data["version"] != current.version:
            draft = keep_as_draft(request, current, data)
            context = {"entry": current, "mine": data, "draft": draft}
            return render(request, "journal/conflict.html", context, status=409)
        for name in ("title", "body", "mood", "step", "prompt"):
            setattr(current, name, data[name])
        current.version += 1
        current.save()
        consume_draft(request, data["draft"], entry)
    messages.success(request, "Your changes are saved.")
    return redirect("journal:detail", current.code)


@sensitive_post_parameters(*TEXT_FIELDS)
@sensitive_variables()
@private
@login_required
@require_POST
def preview(request):
    """The signed-in user (htmx): the editor's text rendered from Markdown; saves nothing."""
    return render(request, "journal/form.html#preview", {"preview": _preview(request.POST.get("body", ""))})


# Trash


@private
@login_required
@entry_view("POST")
def delete(request, entry):
    """The signed-in author: move an entry to the trash; the list then offers to undo it."""
    with transaction.atomic():
        entry.deleted_at = timezone.now()
        entry.save(update_fields=["deleted_at"])
    request.session[UNDO_KEY] = str(entry.code)
    return redirect("journal:list")


@private
@login_required
@entry_view("POST", scope="trash_for")
def restore(request, entry):
    """The signed-in author: take an entry back out of the trash."""
    with transaction.atomic():
        entry.deleted_at = None
        entry.save(update_fields=["deleted_at"])
    messages.success(request, "The entry is back in your journal.")
    if request.POST.get("next") == "trash":
        return redirect("journal:trash")
    return redirect("journal:detail", entry.code)


@private
@login_required
@entry_view("GET", "POST", scope="trash_for")
def destroy(request, entry):
    """The signed-in author: delete an entry in the trash for good, once confirmed."""
    if request.method == "GET":
        return render(request, "journal/destroy.html", {"entry": entry})
    with transaction.atomic():
        entry.delete()
    messages.success(request, "The entry is deleted for good.")
    return redirect("journal:trash")


@private
@login_required
@require_GET
def trash(request):
    """The signed-in user: what is in their trash, and when each entry goes for good."""
    entries = (
        Entry.objects.trash_for(request.user)
        .select_related("step")
        .defer("body", "body_html")
        .order_by("-deleted_at", "-id")
    )
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "journal/trash.html", {"page": page, "days": TRASH_DAYS})


# Export and import


@private
@login_required
@require_GET
def export(request):
    """The signed-in user: download all their entries (trash included) as a zip."""
    return archive.export_response(request.user)


@sensitive_variables()
@private
@login_required
@csrf_exempt  # checked by _import below, once the upload is set to stay in memory
@require_http_methods(["GET", "POST"])
def import_entries(request):
    """The signed-in user: add the entries of an export, or another app's file once previewed,
    that they do not have yet."""
    size = int(request.META.get("CONTENT_LENGTH") or 0) if request.method == "POST" else 0
    if size > imports.MAX_REQUEST:
        # Refused before anything reads the body, the CSRF check included: it would not fit in memory.
        errors = imports.too_big(size).messages
        return render(request, "journal/import.html", {"form": ImportForm(), "errors": errors}, status=400)
    request.upload_handlers = [imports.MemoryUpload(request)]
    return _import(request)


@csrf_protect
def _import(request):
    template = "journal/import.html"
    if request.method == "GET":
        return render(request, template, {"form": ImportForm()})
    if request.htmx:
        template += "#import-step"
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["archive"]
        try:
            return _import_or_preview(request, template, form, upload)
        except ValidationError as exc:
            form.add_error("archive", exc)
    context = {"form": form, "errors": form.errors.get("archive", [])}
    return render(request, template, context, status=400)


@sensitive_variables()
def _import_or_preview(request, template, form, upload):
    """Our own export is added at once. Another app's file is shown first (how many entries,
    from when to when, and for Daylio which mood each of its moods becomes) and added when the
    same file comes back with "confirm"; nothing is kept on the server in between."""
    kind = formats.detect(upload)
    if kind == "mending":
        return _add(request, template, upload, imports.read_archive(upload), kind)
    digest = formats.fingerprint(upload, request.user)
    same_file = constant_time_compare(request.POST.get("digest", ""), digest)
    confirm = request.POST.get("confirm") == "1" and same_file
    moods = None
    if kind == "daylio":
        labels = formats.daylio_labels(upload)
        moods = MoodMapForm(labels, request.POST if same_file else None, defaults=formats.DAYLIO_MOODS)
        if moods.is_bound and not moods.is_valid():
            confirm = False
    options = {"moods": moods.mapping()} if moods is not None else None
    checked = imports.read_archive(upload, formats.READERS[kind], options)
    if confirm:
        return _add(request, template, upload, checked, kind)
    preview = {
        "name": formats.NAMES[kind],
        "count": checked.count,
        "there": (there := imports.already_there(request.user, checked)),
        "new": checked.count - there,
        "first": checked.first,
        "last": checked.last,
    }
    context = {"form": form, "preview": preview, "moods": moods, "digest": digest}
    return render(request, template, context, status=400 if moods is not None and moods.errors else 200)


@sensitive_variables()
def _add(request, template, upload, checked, kind):
    """Add a checked file: within this request when it is small enough, else by the job runner,
    whose progress page the person is sent to (one import under way at a time)."""
    source = None if kind == "mending" else formats.NAMES[kind]
    if checked.fits_one_request:
        report = imports.import_entries(request.user, checked)
        context = {"form": ImportForm(), "report": report, "source": source, "most_prompts": MAX_OWN_PROMPTS}
        return render(request, template, context)
    if job := import_jobs.under_way(request.user):
        return render(request, template, {"form": ImportForm(), "under_way": job}, status=409)
    job = import_jobs.start(request.user, upload, checked, kind)
    return HttpResponseClientRedirect(job.get_absolute_url()) if request.htmx else redirect(job)


def import_job_view(*methods):
    """Fetch the user's import job first, so a stranger gets 404 whatever the method."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, code):
            job = get_object_or_404(ImportJob.objects.for_user(request.user), code=code)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, job)

        return wrapper

    return decorator


@private
@login_required
@import_job_view("GET")
def import_job(request, job):
    """The signed-in importer: how far their background import has come, and what it added."""
    shown = (
        Entry.objects.all_for(request.user).filter(code__in=job.shown)
        if job.finished
        else Entry.objects.none()
    )
    stale = import_jobs.is_stale(job)
    context = {
        "job": job,
        "stale": stale,
        "active": not job.finished and not stale,  # still being added: polled, and can be stopped
        "shown": shown.only("code", "title", "created_at", "deleted_at"),
    }
    template = "journal/import_job.html"
    return render(request, template + "#progress" if request.htmx else template, context)


@private
@login_required
@import_job_view("POST")
def import_job_cancel(request, job):
    """The signed-in importer: stop a background import; what it added stays."""
    import_jobs.cancel(job)
    return redirect(job)
