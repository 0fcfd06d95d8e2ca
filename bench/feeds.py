"""A 150,000-row full feed pulled and applied while learners browse: their p95 during the pull, the pull's rows/s,
the pulling process's peak memory (#18).

Builds (once) a 150,000-row synthetic feed (`generate_catalog --courses 50000 --books 100000`), gzipped as a
partner would serve it, and a copy without 5 % of its rows; serves both from a local HTTP server with ETags;
starts gunicorn with production settings (DEBUG off, Redis cache) on a PostgreSQL database of its own with the
demo guide; and keeps one learner browsing (one request at a time: the guide, a cold catalog search, a course
page, the home page) while three pulls run, each in a fresh process doing what the worker's job does
(`courses.feed_pulls.pull_feed`):

1. first pull: every row new (150,000 created);
2. the same feed again, downloaded in full (`--force`-like, no ETag): 150,000 unchanged, each re-confirmed;
3. the feed without 5 % of its rows: 7,500 items retired (under the 20 % hold).

Learner figures are gunicorn's own request times (access log %(D)s) for the requests logged during each pull,
beside the same mix with no pull running. Peak memory is the pulling process's maximum resident set size.
Prints figures; asserts nothing.

Usage: .venv/bin/python bench/feeds.py [--workers 2]
Needs PostgreSQL (BENCH_POSTGRES_SERVER, default postgres://postgres@127.0.0.1:5432; database
careerguide_bench_feeds) and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/14: flushed).
"""

import argparse
import gzip
import hashlib
import http.client
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

from _setup import BENCH_DIR, ROOT, django_for, free_port, start_gunicorn, stop, wait_until_ready

DATABASE = "careerguide_bench_feeds"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SOURCE = "bench-feed"
FULL, SHRUNK = BENCH_DIR / "feed-150000.jsonl.gz", BENCH_DIR / "feed-150000-less-5pc.jsonl.gz"
WORDS = "python kubernetes postgresql design testing security rust kafka golang docker sql linux caching".split()


def make_feeds() -> None:
    if FULL.exists() and SHRUNK.exists():
        return
    from django.core.management import call_command

    print("writing the 150,000-row feed (once)…", flush=True)
    plain = BENCH_DIR / "feed-150000.jsonl"
    call_command("generate_catalog", courses=50_000, books=100_000, seed=11, output=plain, stdout=StringIO())
    lines = plain.read_bytes().splitlines(keepends=True)
    FULL.write_bytes(gzip.compress(b"".join(lines), compresslevel=6))
    rng = random.Random(5)
    dropped = set(rng.sample(range(len(lines)), len(lines) // 20))
    SHRUNK.write_bytes(gzip.compress(b"".join(line for n, line in enumerate(lines) if n not in dropped), 6))
    plain.unlink()


def serve_feeds() -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            path = BENCH_DIR / self.path.lstrip("/")
            if path.parent != BENCH_DIR or not path.name.endswith(".jsonl.gz") or not path.exists():
                self.send_error(404)
                return
            body = path.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def pull_in_this_process() -> None:
    """--pull: one pull of the bench feed, as the worker's job does it; prints its figures as JSON."""
    django_for("postgresql", database=DATABASE)
    from courses.feed_pulls import pull_feed
    from courses.models import Feed

    started = time.perf_counter()
    pull = pull_feed(Feed.objects.get(source=SOURCE), conditional=False)
    seconds = time.perf_counter() - started
    counts = {name: getattr(pull, name) for name in ("created", "updated", "unchanged", "rejected", "retired")}
    # VmHWM, not getrusage's ru_maxrss: Linux carries a parent's maximum over fork and exec, so that would report
    # this script's own (the feed files it holds) instead of the pull's.
    status = Path("/proc/self/status").read_text()
    peak_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
    print(
        json.dumps({"status": pull.status, "seconds": seconds, "peak_mb": peak_mb, "bytes": pull.bytes_read, **counts})
    )


class Learner(threading.Thread):
    """One learner, one request at a time, until stopped."""

    def __init__(self, port: int, course_paths: list[str]):
        super().__init__(daemon=True)
        self.port, self.course_paths, self.stopping, self.errors = port, course_paths, threading.Event(), 0
        self.rng = random.Random(3)

    def run(self):
        while not self.stopping.is_set():
            path = self.rng.choice(
                [
                    "/careers/back-end-engineer/",
                    f"/courses/?q={self.rng.choice(WORDS)}+{self.rng.choice(WORDS)}&page={self.rng.randint(1, 3)}",
                    self.rng.choice(self.course_paths),
                    "/",
                ]
            )
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                self.errors += response.status >= 500
            finally:
                conn.close()


def server_times(log: Path, first: int, last: int) -> list[float]:
    times = []
    for line in log.read_text().splitlines()[first:last]:
        method, path, _status, micros = line.split(" ")
        if method == "GET" and path != "/healthz":
            times.append(int(micros) / 1000)
    return times


def line_count(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def figures(times: list[float]) -> str:
    if len(times) < 20:
        return f"too few requests ({len(times)})"
    cuts = statistics.quantiles(times, n=100)
    return f"{len(times):>6}  {statistics.median(times):>7.1f}  {cuts[94]:>7.1f}  {cuts[98]:>7.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--baseline-seconds", type=float, default=20)
    parser.add_argument("--pull", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pull:
        pull_in_this_process()
        return

    tmp = Path(tempfile.mkdtemp(prefix="bench-feeds-"))
    os.environ.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_HSTS_SECONDS="0",
        REDIS_URL=REDIS_URL,
        CLICK_SPOOL_DIR=str(tmp / "click-spool"),
        SEARCH_INDEX_DIR=str(tmp / "search-index"),
        JOB_LOCK_DIR=str(tmp / "job-locks"),
        FEED_DOWNLOAD_DIR=str(tmp / "feed-downloads"),
        FEED_ALLOW_PRIVATE_ADDRESSES="true",  # the feed server is on 127.0.0.1
        PAGE_RENDER_RATE="100000000/m",
    )
    django_for("postgresql", database=DATABASE)
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from courses.models import Course, Feed

    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=StringIO())
    call_command("collectstatic", interactive=False, verbosity=0)
    make_feeds()
    feeds = serve_feeds()
    base = f"http://127.0.0.1:{feeds.server_port}/"
    with connection.cursor() as cursor:  # the first pull creates every row (in SQL: an ORM delete of 150,000
        # items would write 150,000 history rows and hold them all in memory first)
        course = "SELECT id FROM courses_course WHERE source = %s"
        for table in ("courses_course_topics", "courses_offer", "guides_guidesection_picks"):
            cursor.execute(f"DELETE FROM {table} WHERE course_id IN ({course})", [SOURCE])
        cursor.execute("UPDATE guides_planitem SET course_id = NULL WHERE course_id IN (" + course + ")", [SOURCE])
        cursor.execute("DELETE FROM courses_course WHERE source = %s", [SOURCE])
    Feed.objects.update_or_create(source=SOURCE, defaults={"name": "Bench feed", "url": base + FULL.name})
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    call_command("search_index", "rebuild", stdout=StringIO())
    cache.clear()
    course_paths = [course.get_absolute_url() for course in Course.objects.published()[:50]]
    connection.close()

    process, port, log = start_gunicorn(tmp, args.workers)
    learner = Learner(port, course_paths)
    try:

        def ready():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200

        wait_until_ready(process, tmp / "gunicorn.log", ready)
        learner.start()
        time.sleep(5)  # warm-up: every worker imports, connects, opens the index
        first = line_count(log)
        time.sleep(args.baseline_seconds)
        rows = [("no pull running", f"{args.baseline_seconds:.0f} s", server_times(log, first, line_count(log)), None)]
        for label, feed_file in [
            ("1. first pull: all new", FULL),
            ("2. same feed again", FULL),
            ("3. 5 % dropped: retired", SHRUNK),
        ]:
            Feed.objects.filter(source=SOURCE).update(url=base + feed_file.name)
            connection.close()
            first = line_count(log)
            pulled = subprocess.run(
                [sys.executable, __file__, "--pull"], cwd=ROOT, capture_output=True, text=True, check=True
            )
            result = json.loads(pulled.stdout.strip().splitlines()[-1])
            rows.append((label, f"{result['seconds']:.1f} s", server_times(log, first, line_count(log)), result))
        learner.stopping.set()
        learner.join(30)
    finally:
        stop(process)
        feeds.shutdown()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0].split()[0]
    print(f"\nPostgreSQL {pg_version}; gunicorn {args.workers} sync workers, DEBUG off, Redis; one learner browsing "
          f"(guide, cold catalog search, course page, home); {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; feed {FULL.stat().st_size / 1e6:.1f} MB gzipped; {learner.errors} learner "
          f"5xx answers\n")  # fmt: skip
    print(f"{'':<26} {'pull':>8}  {'rows/s':>7}  {'peak MB':>7}  {'learner ms: n':>13}  {'p50':>7}  {'p95':>7}  "
          f"{'p99':>7}  outcome")  # fmt: skip
    for label, seconds, times, result in rows:
        if result is None:
            print(f"{label:<26} {seconds:>8}  {'':>7}  {'':>7}  {figures(times):>38}")
            continue
        total = sum(result[name] for name in ("created", "updated", "unchanged", "rejected"))
        outcome = ", ".join(f"{result[name]:,} {name}" for name in ("created", "updated", "unchanged", "retired"))
        print(f"{label:<26} {seconds:>8}  {total / result['seconds']:>7,.0f}  {result['peak_mb']:>7.0f}  "
              f"{figures(times):>38}  {result['status']}: {outcome}")  # fmt: skip


if __name__ == "__main__":
    main()
