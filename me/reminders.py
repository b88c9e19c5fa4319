"""The reminder job, run by django-q2's scheduler (see README): who is due, and sending each
reminder exactly once.

Exactly once, with any number of workers: a reminder is claimed by inserting its ReminderSent
row, in the same transaction that sends the email, and that transaction commits only once the
mail server has taken the message. A second worker's insert of the same (person, day) waits for
the first to finish and then fails on the unique constraint, so it sends nothing; a worker that
dies before committing takes its row with it, so the next run sends the reminder instead of
losing it.
"""

import logging
from datetime import datetime, time, timedelta
from email.utils import formataddr, parseaddr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from journal.models import Entry
from me.models import ReminderSent, ReminderSettings

log = logging.getLogger(__name__)
SUBJECT = "A moment for yourself"
STOP_SALT = "me.reminders.stop"
# A reminder missed while no worker ran is still sent this long after its time, never later.
LATE_BY_AT_MOST = timedelta(hours=3)


def stop_token(user_id):
    return signing.dumps(user_id, salt=STOP_SALT)


def user_for_token(token):
    """The user id a stop link was made for, or None when it was not made by us."""
    try:
        return signing.loads(token, salt=STOP_SALT)
    except signing.BadSignature:
        return None


def stop_url(user_id):
    return settings.SITE_URL + reverse("reminders_stop", args=[stop_token(user_id)])


def _zone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def due(now):
    """[(reminder settings, local day, start and end of that day)] of everyone whose reminder
    time has come today, in their own time zone, and who has not been handled today."""
    found = []
    rows = ReminderSettings.objects.filter(enabled=True, weekdays__gt=0, user__is_active=True)
    for row in rows.select_related("user"):
        zone = _zone(row.time_zone)
        local = now.astimezone(zone)
        if not row.weekdays >> local.weekday() & 1:
            continue
        moment = datetime.combine(local.date(), row.at, tzinfo=zone)
        if not moment <= local < moment + LATE_BY_AT_MOST:
            continue
        start = datetime.combine(local.date(), time.min, tzinfo=zone)
        found.append((row, local.date(), start, start + timedelta(days=1)))
    if found:
        handled = set(
            ReminderSent.objects.filter(
                user_id__in=[row.user_id for row, *_ in found], day__gte=min(day for _, day, *_ in found)
            ).values_list("user_id", "day")
        )
        found = [item for item in found if (item[0].user_id, item[1]) not in handled]
    return found


def message(row):
    """The reminder email: neutral words, no journal text, no step, and no site name unless the
    person allowed it; with a one-click way out (RFC 8058)."""
    user = row.user
    stop = stop_url(user.pk)
    context = {
        "site_name": settings.SITE_NAME if row.show_site_name else "",
        "site_url": settings.SITE_URL + "/",
        "stop_url": stop,
        "days": row.day_names(),
        "at": f"{row.at:%H:%M}",
    }
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    sender = settings.DEFAULT_FROM_EMAIL if row.show_site_name else formataddr(("", address))
    return EmailMessage(
        SUBJECT,
        render_to_string("me/email/reminder.txt", context),
        sender,
        [user.email],
        headers={"List-Unsubscribe": f"<{stop}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def send_one(row, day, start, end):
    """Handle one person's reminder for one day; True when an email went out."""
    try:
        with transaction.atomic():
            claim = ReminderSent.objects.create(user_id=row.user_id, day=day)
            if Entry.objects.for_user(row.user).filter(created_at__gte=start, created_at__lt=end).exists():
                claim.outcome = ReminderSent.Outcome.SKIPPED
                claim.save(update_fields=["outcome"])
                return False
            message(row).send()
    except IntegrityError:
        return False  # another worker has it
    return True


def send_due_reminders(now=None):
    """The scheduled job: send every reminder that is due. Safe to run anywhere, any number of
    times at once. Returns how many emails were sent."""
    now = now or timezone.now()
    sent = 0
    for row, day, start, end in due(now):
        try:
            sent += send_one(row, day, start, end)
        except Exception:
            # One person's mail failing must not hold up everyone else's; their row was rolled
            # back with it, so the next run tries again.
            log.exception("A reminder could not be sent to user %s", row.user_id)
    return sent
