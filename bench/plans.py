"""Learning plans (#17): the plan page and a tick, timed server-side through gunicorn on PostgreSQL.

Builds 1,000 plans of 60 items each (the demo guide's sections, 60 of the demo catalog's items per plan, a
quarter of them done) in a database of its own, starts gunicorn with production settings (DEBUG off,
careerguide/gunicorn.conf.py, Redis cache) and sends, one request at a time, GETs of random plans' pages and
POSTs of ticks (a random item of a random plan set to a random status), with htmx (the in-place fragment) and
without (the redirect a browser without JavaScript follows). Plan pages are never cached, so every GET renders.

Every plan is marked touched just before the run, so the figures do not depend on the database's age (ticks
used to write their plan's touched_at once an hour, guides.plans.touch); "first tick in an hour" then times one
htmx tick each of plans all last touched two hours before.

The figures are gunicorn's own request times (the access log's %(D)s, microseconds: from the request parsed to
the response written), so the client's overhead is not in them. Targets from the issue: a tick <= 10 ms p95, the
plan page <= 40 ms p95. Prints figures; asserts nothing.

Usage: .venv/bin/python bench/plans.py [--requests 400] [--workers N]
Needs PostgreSQL (BENCH_POSTGRES_SERVER, default postgres://postgres@127.0.0.1:5432; database
careerguide_bench_plans, created, migrated and filled if missing) and Redis (BENCH_REDIS_URL, default
redis://127.0.0.1:6379/13, a database number of its own: it is flushed).
"""

import argparse
import datetime as dt
import http.client
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path
from urllib.parse import urlencode

from _setup import django_for, start_gunicorn, stop, wait_until_ready

DATABASE = "careerguide_bench_plans"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
PLANS, ITEMS = 1_000, 60


def prepare_database() -> list[tuple[str, list[int]]]:
    """The plans (made once; a re-run reuses them): [(token, [item ids])]."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from courses.models import Course
    from guides.models import Career, LearningPlan, PlanItem, PlanSection

    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=StringIO())
    if LearningPlan.objects.count() != PLANS:
        print(f"making {PLANS:,} plans of {ITEMS} items (once)…", flush=True)
        LearningPlan.objects.all().delete()
        career = Career.objects.with_sections().get(slug="back-end-engineer")
        courses = list(Course.objects.published().order_by("pk")[:ITEMS])
        if len(courses) < ITEMS:
            sys.exit(f"the demo catalog has {len(courses)} published items; {ITEMS} are needed")
        sections = career.visible_sections
        rng = random.Random(1)
        with transaction.atomic():
            plans = LearningPlan.objects.bulk_create(
                LearningPlan(career=career, title=f"Plan {n}") for n in range(PLANS)
            )
            plan_sections = PlanSection.objects.bulk_create(
                PlanSection(plan=plan, kind=s.kind, anchor=s.anchor, heading=s.heading, position=(i + 1) * 10)
                for plan in plans
                for i, s in enumerate(sections)
            )
            by_plan = {}
            for section in plan_sections:
                by_plan.setdefault(section.plan_id, []).append(section)
            PlanItem.objects.bulk_create(
                (
                    PlanItem(
                        plan=plan,
                        section=by_plan[plan.pk][i % len(sections)],
                        course=course,
                        title=course.title,
                        position=i,
                        status="done" if rng.random() < 0.25 else "todo",
                    )
                    for plan in plans
                    for i, course in enumerate(courses)
                ),
                batch_size=5000,
            )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    call_command("collectstatic", interactive=False, verbosity=0)
    items = {}
    for token, item_id in PlanItem.objects.values_list("plan__token", "pk"):
        items.setdefault(token, []).append(item_id)
    return list(items.items())


class Client:
    """One keep-nothing HTTP client (gunicorn's sync workers close each connection) with a CSRF cookie."""

    def __init__(self, port):
        self.port, self.cookie, self.token = port, "", ""

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = dict(headers or {}, Cookie=self.cookie) if self.cookie else dict(headers or {})
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            name_value = value.split(";", 1)[0]
            if "csrftoken=" in name_value:
                self.cookie = name_value
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content)
        if found:
            self.token = found.group(1).decode()
        return response.status, content


def server_times(log: Path, method: str, path_pattern: str, status: int, skip: int, until=None) -> list[float]:
    """Milliseconds gunicorn took for the matching requests logged after the first `skip` lines, up to line `until`."""
    pattern = re.compile(rf"^{method} {path_pattern} {status} (\d+)$")
    times = []
    for line in log.read_text().splitlines()[skip:until]:
        matched = pattern.match(line)
        if matched:
            times.append(int(matched.group(1)) / 1000)
    return times


def line_count(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def report(label: str, times: list[float], goal: float) -> None:
    if len(times) < 20:
        print(f"{label:<34} too few requests ({len(times)})")
        return
    cuts = statistics.quantiles(times, n=100)
    p50, p95, p99 = statistics.median(times), cuts[94], cuts[98]
    verdict = "" if label.startswith("/healthz") else f"{'meets' if p95 <= goal else 'MISSES'} the {goal:g} ms p95 goal"
    print(f"{label:<34} {len(times):>6}  {p50:>7.1f}  {p95:>7.1f}  {p99:>7.1f}   {verdict}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per target (after 40 of warm-up)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-plans-"))
    os.environ.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,testserver",  # testserver: the in-process CPU figures
        DJANGO_SECURE_SSL_REDIRECT="0",  # plain http on loopback
        DJANGO_HSTS_SECONDS="0",
        REDIS_URL=REDIS_URL,
        CLICK_SPOOL_DIR=str(tmp / "click-spool"),
        PAGE_RENDER_RATE="100000000/m",  # one client sends everything: no per-client budget may answer 429
        PLAN_WRITE_RATE="100000000/m",
    )
    django_for("postgresql", database=DATABASE)
    from django.core.cache import cache
    from django.db import connection
    from django.utils import timezone

    from guides.models import LearningPlan

    plans = prepare_database()
    cache.clear()
    LearningPlan.objects.update(touched_at=timezone.now())  # no tick below writes touched_at unless told to
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0].split()[0]
    connection.close()

    process, port, log = start_gunicorn(tmp, args.workers)
    try:
        client = Client(port)
        wait_until_ready(process, tmp / "gunicorn.log", lambda: client.request("GET", "/healthz")[0] == 200)
        rng = random.Random(2)
        statuses = ["todo", "doing", "done"]

        def page():
            token, _ = rng.choice(plans)
            status, _ = client.request("GET", f"/plans/{token}/")
            assert status == 200, status

        def tick(htmx: bool, plan=None):
            token, items = plan or rng.choice(plans)
            body = urlencode({"status": rng.choice(statuses), "csrfmiddlewaretoken": client.token})
            headers = {"HX-Request": "true"} if htmx else {}
            status, _ = client.request("POST", f"/plans/{token}/items/{rng.choice(items)}/status/", body, headers)
            assert status == (200 if htmx else 302), status

        page()  # a CSRF cookie and token for the ticks
        for _ in range(40):  # warm-up: every worker imports, connects and fills its caches
            page()
            tick(True)
        time.sleep(0.5)  # the warm-up's last access-log lines
        started = time.monotonic()
        skip = line_count(log)
        for _ in range(args.requests):  # the floor on this machine now: middleware and one SELECT 1
            client.request("GET", "/healthz")
        for _ in range(args.requests):
            page()
        for _ in range(args.requests):
            tick(True)
        for _ in range(args.requests):
            tick(False)
        # Plans last touched two hours ago, one tick each: every one the first of its plan since then.
        LearningPlan.objects.update(touched_at=timezone.now() - dt.timedelta(hours=2))
        first_ticks = line_count(log)  # a line logged late here is a no-JS 302, never mixed into the 200 rows
        for plan_ in rng.sample(plans, min(args.requests, len(plans))):
            tick(True, plan_)
        time.sleep(0.5)  # the last access-log lines
        print(f"gunicorn -c careerguide/gunicorn.conf.py, {args.workers} sync workers, DEBUG off; PostgreSQL "
              f"{pg_version}; Redis {REDIS_URL}; {PLANS:,} plans x {ITEMS} items; one request at a time; "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
              f"{time.monotonic() - started:.0f} s\n")  # fmt: skip
        print(f"{'server-side time (ms)':<34} {'n':>6}  {'p50':>7}  {'p95':>7}  {'p99':>7}")
        plan, tick_path = r"/plans/\[redacted\]/", r"/plans/\[redacted\]/items/\d+/status/"  # as logged
        report("/healthz (the floor, for scale)", server_times(log, "GET", "/healthz", 200, skip), 40)
        report("plan page (GET, never cached)", server_times(log, "GET", plan, 200, skip), 40)
        report("tick with htmx (POST, fragment)", server_times(log, "POST", tick_path, 200, skip, first_ticks), 10)
        report("tick without JS (POST, redirect)", server_times(log, "POST", tick_path, 302, skip), 10)
        report("first tick in an hour (htmx)", server_times(log, "POST", tick_path, 200, first_ticks), 10)
    finally:
        stop(process)
    cpu_figures(plans, args.requests)


def cpu_figures(plans, requests: int) -> None:
    """The same requests in this process (Django's test client, same settings and database): CPU time per
    request, which other processes on a busy machine inflate far less than wall time.
    """
    from django.test import Client

    client, rng = Client(), random.Random(3)

    def cpu_ms(send) -> list[float]:
        times = []
        for _ in range(requests):
            started = time.process_time()
            send()
            times.append((time.process_time() - started) * 1000)
        return times

    def page():
        client.get(f"/plans/{rng.choice(plans)[0]}/")

    def tick(htmx):
        token, items = rng.choice(plans)
        headers = {"HX-Request": "true"} if htmx else {}
        client.post(f"/plans/{token}/items/{rng.choice(items)}/status/", {"status": "done"}, headers=headers)

    for _ in range(20):
        page()
    print(f"\n{'CPU time in this process (ms)':<34} {'n':>6}  {'p50':>7}  {'p95':>7}  {'p99':>7}")
    report("/healthz", cpu_ms(lambda: client.get("/healthz")), 40)
    report("plan page", cpu_ms(page), 40)
    report("tick with htmx", cpu_ms(lambda: tick(True)), 10)
    report("tick without JS", cpu_ms(lambda: tick(False)), 10)


if __name__ == "__main__":
    main()
