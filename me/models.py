"""Email reminders: asked for by the person, off by default, and sent at most once a day."""

from datetime import time

from django.conf import settings
from django.db import models
from django.utils import timezone

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class ReminderSettings(models.Model):
    """When a person asked to be reminded: chosen weekdays at a local time in their time zone."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder")
    enabled = models.BooleanField(default=False)
    # One bit a weekday, Monday first (bit 0) as in date.weekday().
    weekdays = models.PositiveSmallIntegerField(default=0)
    at = models.TimeField(default=time(19, 0))
    time_zone = models.CharField(max_length=64, default="UTC")
    # The site's name appears in the emails only when the person allows it.
    show_site_name = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "reminder settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekdays__gte=0, weekdays__lte=127), name="reminder_weekdays_valid"
            ),
        ]

    def __str__(self):
        return f"reminders of user {self.user_id}: {'on' if self.enabled else 'off'}"

    def days(self):
        """The chosen weekdays as numbers, Monday 0."""
        return [day for day in range(7) if self.weekdays >> day & 1]

    def day_names(self):
        return [WEEKDAYS[day] for day in self.days()]


class ReminderSent(models.Model):
    """One person's reminder for one of their local days, handled: sent, or skipped because they
    had already written or checked in. The unique constraint is what makes two workers, or two
    schedulers, send at most one reminder per person per day."""

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped: they had already written or checked in"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    outcome = models.CharField(max_length=10, choices=Outcome, default=Outcome.SENT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="one_reminder_per_person_per_day"),
        ]

    def __str__(self):
        return f"reminder of user {self.user_id} on {self.day}: {self.outcome}"
