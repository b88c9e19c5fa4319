from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """The site's user. Sign-in is by email (allauth); the username is only for accounts made
    with `createsuperuser`, and empty (NULL, so any number of people can have none) for
    everyone who signs up."""

    username = models.CharField(
        max_length=150,
        unique=True,
        null=True,
        blank=True,
        default=None,
        validators=[AbstractUser.username_validator],
        error_messages={"unique": "A user with that username already exists."},
    )

    class Start(models.TextChoices):
        """What brings someone here, if they choose to say (/start/). Worded about what
        happened, never about who the other person was."""

        BREAKUP = "breakup", "A breakup"
        BETRAYAL = "betrayal", "A betrayal"
        NEGLECT = "neglect", "Feeling unseen or neglected"
        REJECTION = "rejection", "Being rejected"
        FRIGHTENED = "frightened", "A relationship that frightened me"
        BACK_TOGETHER = "back_together", "Thinking about getting back together"
        UNSAID = "unsaid", "I’d rather not say"

    # Show steps with a content note folded shut until the reader opens them.
    collapse_content_notes = models.BooleanField(default=False)
    # Empty until the person chooses; they can change or clear it from the account page.
    start_reason = models.CharField(max_length=20, choices=Start, blank=True, default="")

    class Meta(AbstractUser.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_reason="")
                | models.Q(
                    start_reason__in=[
                        "breakup",
                        "betrayal",
                        "neglect",
                        "rejection",
                        "frightened",
                        "back_together",
                        "unsaid",
                    ]
                ),
                name="user_start_reason_valid",
            ),
        ]

    def __str__(self):
        return self.email or f"user {self.pk}"

    def save(self, *args, **kwargs):
        if not self.username:
            self.username = None  # "" would be one value, unique to the first person
        super().save(*args, **kwargs)


class StepQuerySet(models.QuerySet):
    def live(self):
        return self.filter(retired_at__isnull=True)


class Step(models.Model):
    """The database's handle on a step module, so entries and progress can point at it.

    The text lives in content/steps/<slug>.md; `sync_content` keeps these rows in step with the
    files. A row is never deleted while anything points at it: a removed file retires it.
    """

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    order = models.IntegerField(default=0)
    core = models.BooleanField(default=False)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = StepQuerySet.as_manager()

    class Meta:
        ordering = ["-core", "order"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return f"/steps/{self.slug}/"


class StepProgress(models.Model):
    """Where one user is with one step. Setbacks never reset it: a completed step can be
    revisited, and revisiting keeps the first start and completion times."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        REVISITING = "revisiting", "Revisiting"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="step_progress")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="progress")
    status = models.CharField(max_length=20, choices=Status, default=Status.NOT_STARTED)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    last_visited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "step"], name="one_progress_per_user_step"),
            models.CheckConstraint(
                condition=models.Q(status__in=["not_started", "in_progress", "completed", "revisiting"]),
                name="progress_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.step.slug}: {self.status}"


class ExerciseTick(models.Model):
    """One exercise of one step, done by one user."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="exercise_ticks")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="exercise_ticks")
    exercise = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "step", "exercise"], name="one_tick_per_exercise"),
        ]

    def __str__(self):
        return f"{self.user} · {self.step.slug} · {self.exercise}"
