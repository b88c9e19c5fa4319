"""The journal on paper: a document for a therapist (a print view and the same as a PDF), one
entry as PDF or Markdown, and the moods as CSV.

One template, journal/print.html with static/css/print.css, makes both the print view (the
browser's "Save as PDF" gives the same document) and the PDF, which WeasyPrint lays out on the
server. WeasyPrint reads nothing but our own static files (OwnStaticOnly): an address in an
entry is never fetched. A long document is laid out in parts of about PART_SIZE entries, each
written to PDF and let go before the next, then joined with pypdf: a thousand entries in one
layout took over 220 MB, in parts about 90 MB. Each part starts on a new page in the print view
too, so both give the same pages.
"""

import csv
import functools
import io
import mimetypes
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

import pypdf
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from journal import export
from journal.drafts import private
from journal.forms import PrintForm
from journal.models import Entry, Mood
from journal.views import entry_view
from recovery.content import library

MAX_PDF_ENTRIES = 1_000  # made in one request; bench/pdf.py measures this many (bench/results.md)
PART_SIZE = 100
DEFAULT_DAYS = 30
MOODS = dict(Mood.choices)
# What a printed entry needs: never the excerpt, and the Markdown source only for a .md download.
PRINT_FIELDS = (
    "code",
    "kind",
    "step",
    "prompt",
    "title",
    "body_html",
    "mood",
    "created_at",
    "own_prompt__text",
)


# Choosing the entries


def local_start(day):
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def chosen(user, data):
    """The user's entries the form chose, oldest first."""
    entries = Entry.objects.for_user(user).filter(
        created_at__gte=local_start(data["start"]),
        created_at__lt=local_start(data["end"] + timedelta(days=1)),
    )
    if not data["checkins"]:
        entries = entries.filter(kind=Entry.Kind.ENTRY)
    if data["steps"]:
        entries = entries.filter(step__slug__in=data["steps"])
    if data["moods"]:
        entries = entries.filter(mood__in=data["moods"])
    return entries.order_by("created_at", "id")


def day_label(day):
    return f"{day.day} {day:%B %Y}"


def neutral_name(data, extension="pdf"):
    """A file name that says nothing about what is in it: never the title."""
    return f"journal-{data['start']:%Y-%m-%d}-to-{data['end']:%Y-%m-%d}.{extension}"


# The document


@sensitive_variables()
def printed(entry, steps):
    """What the template shows of one entry, labelled once here rather than per row there."""
    when = timezone.localtime(entry.created_at)
    doc = steps.get(entry.step.slug) if entry.step_id else None
    prompt = doc.prompt(entry.prompt) if doc and entry.prompt else None
    return {
        "title": entry.title or ("Check-in" if entry.kind == Entry.Kind.CHECKIN else "Untitled entry"),
        "when": f"{when:%A} {when.day} {when:%B %Y, %H:%M}",
        "iso": when.isoformat(),
        "checkin": entry.kind == Entry.Kind.CHECKIN,
        "mood": f"{entry.mood} of 5, {MOODS[entry.mood].lower()}" if entry.mood else "",
        "step": entry.step.title if entry.step_id else "",
        "prompt": prompt.text if prompt else (entry.own_prompt.text if entry.own_prompt_id else ""),
        "body_html": entry.body_html,
    }


@sensitive_variables()
def parts_of(entries):
    """[[{"heading": month, "entries": [...]}]]: the entries by month, packed into parts of at
    most `size` entries. A month stays whole in one part where it fits; a longer one is cut, its
    later pieces headed "(continued)"."""
    steps, size = library().steps, PART_SIZE
    months = []
    for entry in entries.iterator(chunk_size=PART_SIZE):
        when = timezone.localtime(entry.created_at)
        if not months or months[-1][0] != (when.year, when.month):
            months.append(((when.year, when.month), f"{when:%B %Y}", []))
        months[-1][2].append(printed(entry, steps))
    parts, part, count = [], [], 0
    for _, heading, items in months:
        for n, start in enumerate(range(0, len(items), size)):
            piece = items[start : start + size]
            if part and count + len(piece) > size:
                parts.append(part)
                part, count = [], 0
            part.append({"heading": heading + (" (continued)" if n else ""), "entries": piece})
            count += len(piece)
    if part:
        parts.append(part)
    return parts


def mood_summary(entries):
    """Counts per mood of the chosen entries, counted in the database, and a bar chart of them
    drawn as SVG on the server: no script, no chart library, the same on screen and on paper."""
    counts = dict(entries.filter(mood__isnull=False).values_list("mood").annotate(n=Count("id")).order_by())
    rows = [{"mood": m, "label": MOODS[m], "count": counts.get(m, 0)} for m in range(5, 0, -1)]
    total = sum(row["count"] for row in rows)
    most = max((row["count"] for row in rows), default=0) or 1
    bar_left, bar_width, row_height = 110, 330, 34
    bars = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="20" fill="#4a6b8a" data-mood="{}"/>'
        '<text x="{}" y="{}">{}</text>',
        (
            (
                bar_left - 10,
                i * row_height + 21,
                row["label"],
                bar_left,
                i * row_height + 6,
                round(bar_width * row["count"] / most, 1),
                row["mood"],
                bar_left + round(bar_width * row["count"] / most, 1) + 8,
                i * row_height + 21,
                row["count"],
            )
            for i, row in enumerate(rows)
        ),
    )
    height = row_height * len(rows) + 6
    chart = format_html(
        '<svg class="mood-bars" viewBox="0 0 500 {}" width="500" height="{}" role="img" '
        'aria-labelledby="mood-bars-title" font-family="DejaVu Sans, sans-serif" font-size="13" fill="#111">'
        '<title id="mood-bars-title">How many entries had each mood</title>{}</svg>',
        height,
        height,
        bars,
    )
    return {"rows": rows, "total": total, "chart": chart}


def document_context(request, data, entries):
    count = entries.count()
    return {
        "doc_title": data["title"].strip() or "My journal",
        "file_title": neutral_name(data).removesuffix(".pdf"),
        "range_label": f"{day_label(data['start'])} to {day_label(data['end'])}",
        "count": count,
        "site_name": settings.SITE_NAME if data["name_site"] else "",
        "title_page": True,
        "summary": mood_summary(entries),
        "checkins": data["checkins"],
    }


# Making the PDF


@functools.cache
def _weasyprint():
    """WeasyPrint and our fetcher, imported on the first PDF: it costs a worker 0.4 s and about
    20 MB to import, which a worker that never makes a PDF need not pay."""
    import weasyprint
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class OwnStaticOnly(URLFetcher):
        """Serves our own static files (the print stylesheet) and refuses every other address:
        the PDF never makes a request, whatever an entry holds."""

        def __init__(self, origin):
            super().__init__(allowed_protocols=())
            self.origin = origin

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if f"{parts.scheme}://{parts.netloc}" != self.origin or not parts.path.startswith(
                settings.STATIC_URL
            ):
                raise ValueError("only our own static files are read")
            name = parts.path.removeprefix(settings.STATIC_URL)
            path = static_path(name)
            if path is None:
                raise ValueError("no such static file")
            with open(path, "rb") as file:
                body = file.read()
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": content_type})

    return weasyprint, OwnStaticOnly


def static_path(name):
    """The file of a static name: from collectstatic's folder (hashed names in production) or,
    in development, from the finders. None for anything else."""
    try:
        if staticfiles_storage.exists(name):
            return staticfiles_storage.path(name)
        return finders.find(name)
    except (SuspiciousFileOperation, NotImplementedError, ValueError):
        return None


@sensitive_variables()
def pdf_of(request, context, parts):
    """The PDF of the document: each part laid out, written and let go before the next, then
    joined. Page numbers run on across parts (each part's first page starts where the last
    part ended)."""
    weasyprint, fetcher_class = _weasyprint()
    origin = request.build_absolute_uri("/").rstrip("/")
    fetcher = fetcher_class(origin)
    writer = pypdf.PdfWriter()
    pages = 0
    last = len(parts) - 1
    for i, part in enumerate(parts or [[]]):  # with no entries, the title page and summary
        html = render_to_string(
            "journal/print.html",
            {
                **context,
                "parts": [part] if part else [],
                "title_page": context["title_page"] and i == 0,
                "summary": context["summary"] if i == last or not parts else None,
            },
            request=request,
        )
        numbering = weasyprint.CSS(string=f"@page :first {{ counter-reset: page {pages + 1} }}")
        document = weasyprint.HTML(string=html, base_url=origin + "/", url_fetcher=fetcher).render(
            stylesheets=[numbering] if pages else None
        )
        pages += len(document.pages)
        writer.append(io.BytesIO(document.write_pdf()))
        del document, html
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def download(content, content_type, name):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


# Views


def _form_page(request, form, *, problem="", status=200):
    return render(
        request,
        "journal/print_form.html",
        {"form": form, "problem": problem, "limit": MAX_PDF_ENTRIES},
        status=status,
    )


@private
@login_required
@require_GET
def export_page(request):
    """The signed-in user: choose what goes into a document for a therapist; changes nothing."""
    today = timezone.localdate()
    first = Entry.objects.for_user(request.user).order_by("created_at").values_list("created_at", flat=True)
    # The last DEFAULT_DAYS, or from the first entry when it is more recent.
    recent = today - timedelta(days=DEFAULT_DAYS - 1)
    start = max(timezone.localtime(first[0]).date(), recent) if first else recent
    return _form_page(request, PrintForm(initial={"start": start, "end": today, "checkins": True}))


def _choices(request):
    """The form from a GET (the print view's address: no title in it) or a POST (the form)."""
    return PrintForm(request.POST if request.method == "POST" else request.GET)


@sensitive_variables()
@private
@login_required
@require_http_methods(["GET", "POST"])
def print_view(request):
    """The signed-in user: the chosen entries as a page to print or save as PDF; changes nothing."""
    form = _choices(request)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    entries = chosen(request.user, form.cleaned_data)
    context = document_context(request, form.cleaned_data, entries)
    context.update(
        parts=parts_of(entries.select_related("step", "own_prompt").only(*PRINT_FIELDS)), screen=True
    )
    return render(request, "journal/print.html", context)


@sensitive_variables()
@private
@login_required
@require_http_methods(["GET", "POST"])
def pdf(request):
    """The signed-in user: the chosen entries as a PDF download; changes nothing."""
    form = _choices(request)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    data = form.cleaned_data
    entries = chosen(request.user, data)
    context = document_context(request, data, entries)
    if not context["count"]:
        problem = "No entries match these choices, so there is nothing to put in a PDF. Try a longer range or fewer filters."
        return _form_page(request, form, problem=problem)
    if context["count"] > MAX_PDF_ENTRIES:
        problem = (
            f"These choices hold {context['count']:,} entries, and a PDF can hold up to "
            f"{MAX_PDF_ENTRIES:,} at a time. Please choose a shorter range and make two or more "
            "PDFs, or open the print view and save it as PDF from your browser."
        )
        return _form_page(request, form, problem=problem, status=400)
    parts = parts_of(entries.select_related("step", "own_prompt").only(*PRINT_FIELDS))
    return download(pdf_of(request, context, parts), "application/pdf", neutral_name(data))


@sensitive_variables()
@private
@login_required
@entry_view("GET")
def entry_pdf(request, entry):
    """The signed-in author: one entry as a PDF, from the same template; changes nothing."""
    item = printed(entry, library().steps)
    when = timezone.localtime(entry.created_at)
    context = {
        "doc_title": item["title"],
        "file_title": f"journal-entry-{when:%Y-%m-%d}",
        "title_page": False,
        "summary": None,
    }
    parts = [[{"heading": "", "entries": [item]}]]
    return download(pdf_of(request, context, parts), "application/pdf", f"journal-entry-{when:%Y-%m-%d}.pdf")


@sensitive_variables()
@private
@login_required
@entry_view("GET")
def entry_markdown(request, entry):
    """The signed-in author: one entry as Markdown with front matter (date, mood, step, prompt)."""
    when = timezone.localtime(entry.created_at)
    own = {entry.own_prompt_id: entry.own_prompt} if entry.own_prompt_id else None
    text = export.markdown_file(export.entry_record(entry, library().steps, own))
    return download(text, "text/markdown; charset=utf-8", f"journal-entry-{when:%Y-%m-%d}.md")


# Moods as CSV

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """A CSV cell a spreadsheet shows as text: one that starts like a formula gets a quote first."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@private
@login_required
@require_GET
def moods_csv(request):
    """The signed-in user: date, mood and step of every entry and check-in with a mood, as CSV."""
    rows = (
        Entry.objects.for_user(request.user)
        .filter(mood__isnull=False)
        .order_by("created_at", "id")
        .values_list("created_at", "mood", "step__title")
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["date", "time", "mood", "mood_word", "step"])
    for created, mood, step in rows.iterator(chunk_size=2000):
        when = timezone.localtime(created)
        writer.writerow([f"{when:%Y-%m-%d}", f"{when:%H:%M}", mood, MOODS[mood], cell(step or "")])
    return download(
        buffer.getvalue(), "text/csv; charset=utf-8", f"moods-{timezone.localdate():%Y-%m-%d}.csv"
    )
