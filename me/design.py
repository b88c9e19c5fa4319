"""The design page: every component of static/css/site.css on one page (docs/design.md)."""

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from me.dashboard import MOODS, mood_chart


@require_GET
def design(request):
    """Anyone: the site's components, in light or dark as the reader's device prefers."""
    today = timezone.localdate()
    points = [
        (today - timedelta(days=d), m) for d, m in [(26, 2), (20, 1.5), (13, 3), (7, 3.5), (2, 4), (0, 4)]
    ]
    return render(
        request,
        "design.html",
        {
            "chart": mood_chart(points, 30),
            "moods": list(MOODS.items()),
            "periods": (30, 90, 365),
            "period": 30,
        },
    )
