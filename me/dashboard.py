"""The progress dashboard: the path, the progress bar, mood over time and the quick check-in."""

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from journal import checkin
from journal.models import Entry, Mood
from me import today
from recovery import progress as tracking
from recovery.content import library

Status = tracking.Status
MOOD_DAYS = 90
MOOD_PERIODS = (30, 90, 365)
ALL_TIME = "all"
# All time is drawn by day up to a year, by week up to three years, by month beyond: a line of
# a thousand daily dots says less than one of fifty weeks.
DAILY_UP_TO, WEEKLY_UP_TO = 366, 3 * 366
EARLIEST = date(1900, 1, 1)  # before any entry, and safe to put in any time zone
# The chart waits for a few days of moods: one dot on a long axis says nothing.
CHART_MIN_DAYS = 3
CALENDAR_DAYS = 30
MOODS = dict(Mood.choices)


def markup(template, rows):
    """One piece of markup per row, joined. Only for rows of numbers, and of dates written with
    English month names: nothing in them can need escaping, and escaping each value of 90 days
    one by one (format_html) took a sixth of the page's time."""
    return mark_safe("".join(template.format(*row) for row in rows))


def mood_chart(points, days=MOOD_DAYS, width=1000, height=100, start=None):
    """Server-drawn SVG geometry for daily average moods: no chart library, no script.

    The drawing stretches to any width (preserveAspectRatio="none"), so the words and dates
    beside it are HTML at their real size rather than SVG text that shrinks on a phone; mood 5
    is at the top (y 10), mood 1 at the bottom (y 90), today at the right."""
    today = timezone.localdate()
    start = start or today - timedelta(days=days - 1)
    span = max((today - start).days, 1)
    pad = 12

    def x(day):
        return round(pad + (day - start).days * (width - 2 * pad) / span, 1)

    def y(mood):
        return round(height * (0.9 - (mood - 1) * 0.2), 1)

    # Coordinates go to the template as text: numbers there are localised one by one, slowly.
    dots = [{"x": f"{x(day)}", "y": f"{y(avg)}"} for day, avg in points]
    # The line breaks where nothing was noted for a long stretch, rather than drawing a mood
    # across months nobody recorded.
    gap, lines = max(7, span // 8), []
    for n, (day, _) in enumerate(points):
        if not n or (day - points[n - 1][0]).days > gap:
            lines.append([])
        lines[-1].append(f"{dots[n]['x']},{dots[n]['y']}")
    return {
        "width": f"{width}",
        "height": f"{height}",
        "dots": dots,
        "line": " ".join(f"{d['x']},{d['y']}" for d in dots),
        "lines": [" ".join(line) for line in lines if len(line) > 1],
        "levels": [{"y": f"{y(m)}", "label": MOODS[m]} for m in range(5, 0, -1)],
        "start_label": f"{start.day} {start:%b}" + (f" {start:%Y}" if start.year != today.year else ""),
        "end_label": f"{today.day} {today:%b}" + (f" {today:%Y}" if start.year != today.year else ""),
    }


def chart_days(request):
    """The period the chart shows, from ?days=: a number of days, ALL_TIME, or the default."""
    value = request.GET.get("days", "")
    if value == ALL_TIME:
        return ALL_TIME
    return int(value) if value in {str(d) for d in MOOD_PERIODS} else MOOD_DAYS


def grouped(days, span):
    """[(first day of the week or month, mean of its days' averages, label)] for a long span;
    the days themselves for a span of up to a year."""
    if span <= DAILY_UP_TO:
        return [(day, mood, f"{day.day} {day:%B %Y}") for day, mood in days]
    groups = {}
    for day, mood in days:
        first = day - timedelta(days=day.weekday()) if span <= WEEKLY_UP_TO else day.replace(day=1)
        groups.setdefault(first, []).append(mood)
    weekly = span <= WEEKLY_UP_TO
    return [
        (
            first,
            sum(moods) / len(moods),
            f"Week of {first.day} {first:%B %Y}" if weekly else f"{first:%B %Y}",
        )
        for first, moods in sorted(groups.items())
    ]


@login_required
@require_GET
def progress(request):
    """The signed-in user: their path, progress bar, mood over time and days they wrote."""
    return render(request, "recovery/progress.html", dashboard_context(request))


def dashboard_context(request):
    lib = library()
    tracker = tracking.tracker_for(request)
    statuses = tracker.statuses()
    ticks = tracker.all_ticks()
    entries = Entry.objects.for_user(request.user)
    slugs = {pk: slug for slug, pk in tracking.step_ids(doc.slug for doc in lib.path).items()}
    counts, answered = {}, {}
    for step, prompt, n in entries.counts_per_step():
        slug = slugs.get(step)  # None for a step no longer on the path
        counts[slug] = counts.get(slug, 0) + n
        if prompt:
            answered.setdefault(slug, set()).add(prompt)
    today = timezone.localdate()
    period = chart_days(request)
    all_time = period == ALL_TIME
    first_day = EARLIEST if all_time else today - timedelta(days=max(period, CALENDAR_DAYS) - 1)
    since = datetime.combine(first_day, time.min, tzinfo=timezone.get_current_timezone())
    days = dict(entries.moods_per_day(since))
    daily = sorted(
        (day, mood)
        for day, mood in days.items()
        if mood is not None and (all_time or day >= today - timedelta(days=period - 1))
    )
    first_mood = daily[0][0] if daily else today
    span = (today - first_mood).days + 1 if all_time else period
    mood_rows = grouped(daily, span if all_time else 0)
    points = [(day, round(mood, 1)) for day, mood, _ in mood_rows]
    # A week or month starts on or before its first day: the chart starts with the first of them.
    chart_start = mood_rows[0][0] if all_time and mood_rows else None
    if chart_start:
        span = (today - chart_start).days + 1
    # Labels are made here rather than with the date filter: 90 of them made the page slow.
    calendar = []
    for i in range(CALENDAR_DAYS - 1, -1, -1):
        day = today - timedelta(days=i)
        calendar.append({"wrote": day in days, "short": f"{day.day} {day:%b}", "long": f"{day.day} {day:%B}"})
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
    core_done = sum(1 for doc in lib.core if statuses.get(doc.slug) in tracking.DONE)
    # The parts repeated once per day are joined here: 90 days through the template's loop were
    # half of the page's time.
    return {
        "rows": rows,
        "core_done": core_done,
        "core_total": core_total,
        "core_percent": round(100 * core_done / core_total) if core_total else 0,
        "next_step": tracking.current_step(lib, tracker),
        "chart": mood_chart(points, span, start=chart_start) if len(points) >= CHART_MIN_DAYS else None,
        "period": period,
        "periods": MOOD_PERIODS,
        "all_time": ALL_TIME,
        "grouping": "day" if span <= DAILY_UP_TO else "week" if span <= WEEKLY_UP_TO else "month",
        "chart_min_days": CHART_MIN_DAYS,
        "points": points,
        "point_rows": markup(
            "<tr><td>{}</td><td>{}</td></tr>", ((label, round(mood, 1)) for _, mood, label in mood_rows)
        ),
        "moods": MOODS,
        "calendar": calendar,
        "calendar_days": markup(
            '<li{} title="{}"><span class="visually-hidden">{}: {}</span></li>',
            (
                (
                    ' class="wrote"' if c["wrote"] else "",
                    c["short"],
                    c["long"],
                    "wrote" if c["wrote"] else "no entry",
                )
                for c in calendar
            ),
        ),
        "days_written": sum(1 for c in calendar if c["wrote"]),
        "checkin_form": checkin.CheckInForm(),
    }


@sensitive_post_parameters("note")
@never_cache
@login_required
@require_POST
def check_in(request):
    """The signed-in user: record a quick mood check-in as a journal entry."""
    form = checkin.CheckInForm(request.POST)
    if not form.is_valid():
        if today.wants_today(request):
            return today.checked_in(request, form)
        context = dashboard_context(request)
        context["checkin_form"] = form
        return render(request, "recovery/progress.html", context, status=400)
    checkin.record(request.user, form)
    if today.wants_today(request):
        return today.checked_in(request)
    messages.success(request, "Thank you for checking in. It is saved in your journal.")
    return redirect("progress")
