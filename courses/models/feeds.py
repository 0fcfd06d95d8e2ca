"""Catalog feeds pulled on a schedule (courses.feed_pulls does the pulling), and the record of each pull.

A feed's credentials are never stored: `credentials_env` names an environment variable of the worker that holds
the Authorization header's value, so the database, its backups and the admin never see a partner's secret.
"""

import os
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from courses.models.partners import Partner, destination_problem

CREDENTIALS_PREFIX = "FEED_AUTH_"

# A failing feed is tried again after 5, 10, 20, … minutes, never later than its own period.
RETRY_FIRST_MINUTES = 5


class FeedQuerySet(models.QuerySet):
    def due(self, now=None):
        now = now or timezone.now()
        return self.filter(active=True).filter(Q(next_pull_at__lte=now) | Q(next_pull_at__isnull=True))


class Feed(models.Model):
    class Format(models.TextChoices):
        JSONL = "jsonl", "JSON Lines"
        CSV = "csv", "CSV"

    class Mode(models.TextChoices):
        FULL = "full", "Full: the whole catalog; items it no longer lists are retired"
        DELTA = "delta", "Delta: new, changed and deleted items only"

    name = models.CharField(max_length=200, unique=True)
    source = models.SlugField(
        max_length=50,
        unique=True,
        help_text="Names the items this feed owns: ids are unique within it. Never change it once items are in.",
    )
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="feeds")
    url = models.URLField("address", max_length=2000, help_text="Where the worker downloads the feed (http or https).")
    format = models.CharField(max_length=5, choices=Format.choices, default=Format.JSONL)
    mode = models.CharField(max_length=5, choices=Mode.choices, default=Mode.FULL)
    every_minutes = models.PositiveIntegerField(
        "pull every (minutes)", default=24 * 60, validators=[MinValueValidator(5)], help_text="1440 is daily."
    )
    credentials_env = models.CharField(
        "credentials variable",
        max_length=100,
        blank=True,
        # Only FEED_AUTH_… variables: any other name would let whoever edits a feed send the worker's own secrets
        # (DJANGO_SECRET_KEY, DATABASE_URL) to an address of their choosing.
        validators=[
            RegexValidator(
                rf"^{CREDENTIALS_PREFIX}[A-Z0-9_]+$",
                f"{CREDENTIALS_PREFIX} then upper-case letters, digits, underscores.",
            )
        ],
        help_text=f"The name of the worker's environment variable, {CREDENTIALS_PREFIX}…, whose value is sent as the "
        "Authorization header (for example “Bearer …”). The secret itself is never stored here.",
    )
    max_shrink_percent = models.PositiveSmallIntegerField(
        "hold if it shrinks by more than (%)",
        default=20,
        validators=[MaxValueValidator(100)],
        help_text="A full feed that would retire more than this share of its live items waits for a partner "
        "manager to confirm it.",
    )
    active = models.BooleanField(default=True)
    # Kept by the pulls: conditional GET and the schedule.
    etag = models.CharField(max_length=500, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    next_pull_at = models.DateTimeField(null=True, blank=True, editable=False)  # None: at the next minute
    consecutive_failures = models.PositiveSmallIntegerField(default=0, editable=False)
    last_pull_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_result = models.CharField(max_length=500, blank=True, editable=False)

    objects = FeedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        problem = destination_problem(self.url or "")
        if problem:
            raise ValidationError({"url": f"The address {problem}."})

    def authorization(self) -> str:
        """The Authorization header's value from the worker's environment, or "" when none is set."""
        if not self.credentials_env.startswith(CREDENTIALS_PREFIX):  # also for a row written past the validator
            return ""
        return os.environ.get(self.credentials_env, "")

    def retry_delay(self) -> timedelta:
        """How long after its latest failure (of `consecutive_failures` in a row) the feed is tried again."""
        minutes = RETRY_FIRST_MINUTES * 2 ** max(0, min(self.consecutive_failures, 20) - 1)
        return timedelta(minutes=min(minutes, self.every_minutes))


class FeedPull(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "running"
        IMPORTED = "imported", "imported"
        NOT_MODIFIED = "not_modified", "not modified since the last pull"
        FAILED = "failed", "failed: nothing retired"
        HELD = "held", "held: the feed shrank, retirement waits for confirmation"
        CONFIRMED = "confirmed", "held, then confirmed"
        SUPERSEDED = "superseded", "held, then replaced by a later pull"

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="pulls")
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    bytes_read = models.PositiveBigIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0, help_text="Retired items the feed listed again.")
    deleted = models.PositiveIntegerField(default=0, help_text="Items a delta feed deleted (retired).")
    retired = models.PositiveIntegerField(default=0, help_text="Items a full feed no longer listed.")
    live_before = models.PositiveIntegerField(default=0, help_text="The feed's live items before the pull.")
    to_retire = models.PositiveIntegerField(default=0, help_text="Items the pull would retire (held pulls).")
    error = models.CharField(max_length=500, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        get_latest_by = "started_at"

    def __str__(self):
        return f"{self.feed} at {self.started_at:%Y-%m-%d %H:%M}"

    def summary(self) -> str:
        if self.status in (self.Status.FAILED, self.Status.RUNNING):
            return f"{self.get_status_display()}: {self.error}" if self.error else self.get_status_display()
        if self.status == self.Status.NOT_MODIFIED:
            return self.get_status_display()
        counts = (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, {self.rejected} rejected, "
            f"{self.returned} returned, {self.deleted} deleted, {self.retired} retired"
        )
        if self.status == self.Status.HELD:
            return f"{counts}; {self.to_retire} of {self.live_before} live items wait to be retired"
        return counts
