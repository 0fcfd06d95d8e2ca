"""Background jobs, wired to the task queue (django-q2, its database broker; settings.Q_CLUSTER).

Each app names its jobs and their periods (courses.jobs, guides.jobs) and keeps them in the queue's schedule
table after every `migrate` (their post_migrate receivers call `keep_schedules`). A worker, `manage.py qcluster`,
runs what is due; `make run` starts one beside the development server.

Two guarantees the queue does not give by itself are made here:
- A schedule's run is queued once per period whatever the number of workers: the scheduler takes the due
  schedules with SELECT … FOR UPDATE, which on SQLite is a write transaction (settings' IMMEDIATE mode), so a
  second worker waits, then finds the next run already moved on.
- A job never runs twice at once (a run slower than its period, or handed out again after `retry`): every job
  holds a lock named after it while it runs (`one_at_a_time`), a PostgreSQL advisory lock or, on SQLite, a file
  lock under var/. Both are released by the operating system or the database when a killed worker goes, so a
  lock never outlives its holder.
"""

import contextlib
import fcntl
import functools
import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

logger = logging.getLogger("careerguide.jobs")

SKIPPED = "skipped: the previous run is still going"


@dataclass(frozen=True)
class Every:
    """A job run every `minutes`: `function` is its dotted path, `name` what the admin's schedules list shows."""

    name: str
    function: str
    minutes: int


def keep_schedules(jobs: list[Every], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create or correct each job's schedule, by name: idempotent, and a schedule already waiting keeps its next
    run (a deploy must not postpone a daily job by a day, nor run it at once)."""
    from django_q.models import Schedule

    for job in jobs:
        fields = {"func": job.function, "schedule_type": Schedule.MINUTES, "minutes": job.minutes, "repeats": -1}
        schedule = Schedule.objects.using(using).filter(name=job.name).first()
        if schedule is None:
            # The first run one period from now, except for jobs of a minute: a new site has nothing to do yet.
            Schedule.objects.using(using).create(
                name=job.name, next_run=timezone.now() + timedelta(minutes=job.minutes), **fields
            )
        elif any(getattr(schedule, name) != value for name, value in fields.items()):
            Schedule.objects.using(using).filter(pk=schedule.pk).update(**fields)


def schedule_table_exists(using: str) -> bool:
    from django_q.models import Schedule

    return Schedule._meta.db_table in connections[using].introspection.table_names()


@contextlib.contextmanager
def one_at_a_time(name: str) -> Iterator[bool]:
    """Yields whether this process holds the lock `name`; False at once if another holds it (no waiting)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            held = cursor.fetchone()[0]
        try:
            yield held
        finally:
            if held:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    directory = Path(settings.JOB_LOCK_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"{hashlib.sha256(name.encode()).hexdigest()[:32]}.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def job(function: Callable[[], str]) -> Callable[[], str]:
    """A background job: runs only if no other run of it is going, and returns what it did (the admin's history
    shows it), or SKIPPED."""

    @functools.wraps(function)
    def run_alone() -> str:
        with one_at_a_time(f"{function.__module__}.{function.__qualname__}") as held:
            if not held:
                logger.info("%s %s", function.__qualname__, SKIPPED)
                return SKIPPED
            return function()

    return run_alone
