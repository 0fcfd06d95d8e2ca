"""Background jobs on the task queue (careerguide/jobs.py): their schedules, one run at a time, once per period
with two workers, a job a killed worker held handed out again, and what each job does."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import OrmQ, Schedule, Success
from django_q.scheduler import scheduler
from django_q.tasks import async_task

from careerguide import jobs
from courses.jobs import SCHEDULES as CATALOG_JOBS
from courses.models import Click
from guides.jobs import SCHEDULES as PLAN_JOBS
from tests.factories import OfferFactory

ROOT = Path(__file__).resolve().parent.parent
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="another process sees only a PostgreSQL test database"
)


def due(name: str):
    Schedule.objects.filter(name=name).update(next_run=timezone.now() - timedelta(seconds=1))


# -- schedules ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_migrate_puts_every_job_on_the_schedule():
    schedules = {s.name: (s.func, s.minutes, s.repeats) for s in Schedule.objects.all()}
    assert schedules == {
        "Pull the catalog feeds that are due": ("courses.jobs.pull_feeds", 1, -1),
        "Record spooled partner clicks": ("courses.jobs.replay_clicks", 1, -1),
        "Check partner links": ("courses.jobs.check_links", 1440, -1),
        "Check the search index against the database": ("courses.jobs.check_search_index", 60, -1),
        "Remove learning plans untouched for a year": ("guides.jobs.remove_old_plans", 1440, -1),
    }
    assert {job.name for job in CATALOG_JOBS + PLAN_JOBS} == set(schedules)


@pytest.mark.django_db
def test_keeping_schedules_again_changes_no_next_run_and_corrects_a_changed_period():
    daily = Schedule.objects.get(name="Check partner links")
    Schedule.objects.filter(pk=daily.pk).update(minutes=5)

    jobs.keep_schedules(CATALOG_JOBS)
    jobs.keep_schedules(CATALOG_JOBS)

    again = Schedule.objects.get(name="Check partner links")
    assert (again.minutes, again.next_run) == (1440, daily.next_run)  # a deploy postpones nothing
    assert Schedule.objects.count() == len(CATALOG_JOBS + PLAN_JOBS)


# -- one run at a time ------------------------------------------------------------------------------------------


@jobs.job
def slow_job():
    return "ran"


def hold_lock(name: str, holding: threading.Event, release: threading.Event):
    try:
        with jobs.one_at_a_time(name) as held:
            assert held
            holding.set()
            release.wait(10)
    finally:
        connections.close_all()  # this thread's own connection (PostgreSQL's advisory lock is per session)


@pytest.mark.django_db
def test_a_job_whose_previous_run_is_still_going_is_skipped():
    holding, release = threading.Event(), threading.Event()
    name = f"{slow_job.__module__}.{slow_job.__qualname__}"
    other = threading.Thread(target=hold_lock, args=(name, holding, release))
    other.start()
    try:
        assert holding.wait(10)
        assert slow_job() == jobs.SKIPPED
    finally:
        release.set()
        other.join()
    assert slow_job() == "ran"  # released with its holder


# -- once per period, with two workers --------------------------------------------------------------------------


def run_scheduler(start: threading.Barrier):
    try:
        start.wait(10)
        scheduler(broker=get_broker())
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_two_workers_queue_a_due_schedule_once_per_period():
    name = "Record spooled partner clicks"

    def two_schedulers_at_once():
        start = threading.Barrier(2)
        workers = [threading.Thread(target=run_scheduler, args=(start,)) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)

    due(name)
    two_schedulers_at_once()
    assert OrmQ.objects.count() == 1
    assert Schedule.objects.get(name=name).next_run > timezone.now()

    two_schedulers_at_once()  # the same period: nothing more
    assert OrmQ.objects.count() == 1

    due(name)  # the next period
    two_schedulers_at_once()
    assert OrmQ.objects.count() == 2


# -- a worker killed in the middle of a job ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_job_taken_by_a_worker_that_died_is_handed_out_again_after_the_retry_delay():
    broker = get_broker()
    async_task("courses.jobs.replay_clicks")
    [(taken_id, _)] = broker.dequeue()  # a worker takes it, then dies before acknowledging it

    assert not broker.dequeue()  # not handed to a second worker while the first may still run it
    OrmQ.objects.update(lock=timezone.now() - timedelta(seconds=settings.Q_CLUSTER["retry"] + 1))

    [(again_id, _)] = broker.dequeue()
    assert again_id == taken_id


SLOW_SPOOL_JOB = "tests.test_jobs.replay_after_a_pause"


def replay_after_a_pause(marker_dir: str):
    """Notes each start, sleeps on the first (the worker is killed then), then replays the spool."""
    starts = Path(marker_dir)
    starts.mkdir(exist_ok=True)
    (starts / uuid.uuid4().hex).touch()
    if len(list(starts.iterdir())) == 1:
        time.sleep(60)
    from courses.jobs import replay_clicks

    return replay_clicks()


def start_worker(env):
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group: the test kills only what it started
        stdout=open(os.environ.get("WORKER_LOG", os.devnull), "a"),
        stderr=subprocess.STDOUT,
    )


def stop(worker):
    """As a process manager stops a worker: SIGTERM to its main process, which stops its own; SIGKILL to the group
    if it takes too long."""
    worker.terminate()
    try:
        worker.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        raise


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_job_leaves_it_to_the_next_worker_which_imports_nothing_twice(tmp_path, click_spool):
    offer = OfferFactory()
    click_spool.mkdir(parents=True)
    click = {"offer_id": offer.pk, "created_at": timezone.now().isoformat(), "referrer_path": "", "visitor_hash": ""}
    spooled = [json.dumps({**click, "click_id": str(uuid.uuid4()), "is_bot": False}) for _ in range(3)]
    (click_spool / "clicks-1.jsonl").write_text("\n".join(spooled) + "\n")
    starts = tmp_path / "starts"
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "CLICK_SPOOL_DIR": str(click_spool),
        "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
        "JOB_LOCK_DIR": str(tmp_path / "job-locks"),
        "TASK_WORKERS": "1",
        "TASK_TIMEOUT_SECONDS": "3",
        "TASK_RETRY_SECONDS": "4",
        "TASK_POLL_SECONDS": "0.2",
    }
    Schedule.objects.all().delete()  # only this test's job runs
    async_task(SLOW_SPOOL_JOB, str(starts))

    first = start_worker(env)
    try:
        assert wait_until(lambda: starts.exists() and any(starts.iterdir()), 30), "the first worker never started it"
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert not Success.objects.exists()

    second = start_worker(env)
    try:
        assert wait_until(lambda: Success.objects.filter(func=SLOW_SPOOL_JOB).exists(), 40)
    finally:
        stop(second)
    assert len(list(starts.iterdir())) == 2  # started twice: killed once, then done
    assert Click.objects.count() == 3  # each spooled click recorded once
    assert not OrmQ.objects.exists()  # acknowledged: done for good


ITEMS = 6_000  # six batches of the importer: long enough a pull to be killed in the middle of


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_pull_leaves_the_feed_to_the_next_which_imports_nothing_twice_and_retires_nothing(
    tmp_path, settings
):
    from courses.feed_pulls import pull_feed
    from courses.models import Course, Feed, FeedPull
    from tests.feed_server import FeedServer, jsonl, rows

    settings.FEED_ALLOW_PRIVATE_ADDRESSES = True
    server = FeedServer()
    try:
        feed = Feed.objects.create(name="Learn", source="learn", url=server.url)
        server.respond(jsonl(rows(ITEMS)))
        assert pull_feed(feed).created == ITEMS
        server.respond(jsonl(rows(ITEMS, description="Second edition")))  # every row an update: a long pull
        Feed.objects.filter(pk=feed.pk).update(next_pull_at=timezone.now())
        database = settings.DATABASES["default"]
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
            "JOB_LOCK_DIR": str(tmp_path / "job-locks"),
            "FEED_ALLOW_PRIVATE_ADDRESSES": "true",
            "FEED_DOWNLOAD_DIR": str(tmp_path / "feed-downloads"),
            "TASK_WORKERS": "1",
            "TASK_TIMEOUT_SECONDS": "25",
            "TASK_RETRY_SECONDS": "26",
            "TASK_POLL_SECONDS": "0.2",
        }
        Schedule.objects.all().delete()  # only this test's job runs
        async_task("courses.jobs.pull_feeds")
        second_edition = Course.objects.filter(description="Second edition")

        first = start_worker(env)
        try:
            assert wait_until(lambda: second_edition.exists(), 60), "the first worker never started importing"
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                os.killpg(first.pid, signal.SIGKILL)
        done_before_the_kill = second_edition.count()
        assert 0 < done_before_the_kill < ITEMS, "killed too late to be in the middle of the pull"

        second = start_worker(env)
        try:
            assert wait_until(lambda: FeedPull.objects.filter(status="imported").count() == 2, 90)
        finally:
            stop(second)
    finally:
        server.close()
    killed, redone = FeedPull.objects.order_by("started_at")[1:]
    assert killed.status == "failed"
    assert "stopped before the pull ended" in killed.error
    assert (redone.updated, redone.unchanged, redone.retired) == (
        ITEMS - done_before_the_kill,
        done_before_the_kill,
        0,
    )
    assert Course.objects.count() == ITEMS == second_edition.filter(published=True).count()


# -- what the jobs do --------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_click_job_records_spooled_clicks(click_spool):
    from courses.jobs import replay_clicks

    offer = OfferFactory()
    click_spool.mkdir(parents=True)
    click = {"offer_id": offer.pk, "created_at": timezone.now().isoformat(), "referrer_path": "", "visitor_hash": ""}
    (click_spool / "clicks-1.jsonl").write_text(json.dumps({**click, "click_id": str(uuid.uuid4()), "is_bot": False}))

    assert replay_clicks() == "Recorded 1 spooled click(s)."
    assert Click.objects.count() == 1


@pytest.mark.django_db
def test_the_search_index_job_rebuilds_an_index_that_disagrees_with_the_database():
    from courses import search_index
    from courses.jobs import check_search_index
    from courses.models import Course
    from tests.factories import CourseFactory

    CourseFactory.create_batch(2)
    search_index.build()
    assert "current: 2 items" in check_search_index()

    Course.objects.filter(pk=Course.objects.first().pk).update(published=False)  # no change-log entry: drift
    assert "rebuilt (2 documents for 1 items)" in check_search_index()
    assert search_index.status()["documents_in_index"] == 1


@pytest.mark.django_db
def test_the_plan_job_removes_plans_untouched_for_a_year():
    from guides.jobs import remove_old_plans
    from guides.models import LearningPlan

    old, recent = LearningPlan.objects.create(), LearningPlan.objects.create()
    LearningPlan.objects.filter(pk=old.pk).update(touched_at=timezone.now() - timedelta(days=400))

    assert remove_old_plans() == "Removed 1 learning plan(s) untouched for a year."
    assert list(LearningPlan.objects.values_list("pk", flat=True)) == [recent.pk]


# -- the admin's pages ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_partner_manager_reads_a_failed_run_but_cannot_run_it_again(client):
    from django_q.models import Failure, Task

    from tests.factories import PartnerManagerFactory

    now = timezone.now()
    failed = Task.objects.create(
        id=uuid.uuid4().hex, name="one-run", func="courses.jobs.check_links", group="Check partner links",
        started=now, stopped=now, success=False, result="TimeoutError: the partner did not answer",
    )  # fmt: skip
    client.force_login(PartnerManagerFactory())
    changelist = client.get("/admin/django_q/failure/")
    assert changelist.status_code == 200
    assert "Check partner links" in changelist.content.decode()
    assert "TimeoutError: the partner did not answer" in changelist.content.decode()
    assert "resubmit" not in changelist.content.decode().lower()

    client.post("/admin/django_q/failure/", {"action": "resubmit_task", "_selected_action": [failed.pk]})

    assert not OrmQ.objects.exists()  # nothing queued
    assert Failure.objects.filter(pk=failed.pk).exists()
