"""Pages through gunicorn against a static file through nginx: requests/s and latency, as a share of the ceiling.

Starts gunicorn with production settings (DEBUG off, Redis cache, PostgreSQL with the 150,000-item synthetic
catalog) and an nginx of its own (generated config, free loopback port; the system service is never used)
serving a static copy of the guide page's HTML, then loads each target with wrk, one after the other, with the
same settings (threads, connections, warm-up, duration; the backlog a run leaves in gunicorn is drained before
the next). Each target is measured in rounds (--rounds, default 3), each right after a run of the ceiling, and
its share is the median of its requests/s over the ceiling's in the run just before: on a shared machine the
ceiling itself moves by 15 % from one minute to the next.

- nginx: the guide page's bytes as a static file, the ceiling;
- the guide page, cached (anonymous) and uncached (a query parameter no view reads: such a page is never
  stored, so it is rendered for every request, for an anonymous learner);
- a career profile without a guide (O*NET and BLS figures, technologies, catalog items), cached and uncached;
- a synthetic course's page, in the two biggest topics, cached and uncached; and one in a small topic, uncached;
- a filtered catalog page (`?q=python&level=beginner`), cached, uncached (page cache bypassed, the catalog's
  search cache warm) and cold (a different search every request, never seen before: no cache helps).

Beside each: the median of 10 requests one at a time before the load ("alone"), and the body's size.
gunicorn's sync workers close the connection after every response, so each of their requests also pays a TCP
connect; nginx keeps connections alive. That is part of the ceiling. wrk, nginx, gunicorn, PostgreSQL and
Redis share the machine's cores. Prints figures; asserts nothing.

Usage: .venv/bin/python bench/pages.py [--duration 4] [--warmup 2] [--threads 2] [--connections 16] [--workers N]
       [--rounds 3] [--only LABEL-PART, e.g. --only guide]
Needs PostgreSQL (BENCH_POSTGRES_SERVER, default postgres://postgres@127.0.0.1:5432; database
careerguide_bench_pages, created, migrated and filled if missing: the first run builds the catalog in a minute
or two), Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/12, a database number of its own: it is
flushed), nginx and wrk (installed with apt-get when missing and running as root). --workers defaults to
careerguide/gunicorn.conf.py's own default (cores + 1).
"""

import argparse
import http.client
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from urllib.parse import urlencode

from _setup import ROOT, django_for, free_port, stop, wait_until_ready

DATABASE = "careerguide_bench_pages"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
COURSES, BOOKS, SEED = 50_000, 100_000, 1
GUIDE = "/careers/back-end-engineer/"
PROFILE = "/careers/information-security-analysts/"  # a career profile from O*NET and BLS figures, no guide (#16)
CATALOG = "/courses/?" + urlencode({"q": "python", "level": "beginner"})


def uncached(path: str) -> str:
    """The same page under a query parameter no view reads: the page cache never stores it (page_cache.py)."""
    return path + ("&" if "?" in path else "?") + "bench=uncached"


GUNICORN_CONF = ROOT / "careerguide" / "gunicorn.conf.py"
# Extra words for the cold catalog searches, as in bench/search.py's mix.
EXTRAS = ["testing", "performance", "microservices", "beginners", "interview", "security", "deploy", "cache",
          "patterns", "architecture", "api", "scale", "production", "projects", "internals"]  # fmt: skip
FIGURES = """
done = function(summary, latency, requests)
  io.write(string.format("bench: requests=%d duration_us=%d bytes=%d p50_us=%d p95_us=%d p99_us=%d "
    .. "status_errors=%d connect_errors=%d read_errors=%d timeouts=%d\\n",
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.timeout))
end
"""
# The path table holds the warm-up's half, then the run's; each thread walks the half that starts at the offset
# given after `--`, from its own start, `threads` apart.
ROTATING = """
local counter, step, offset = 0, 1, 0
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
function init(args)
  offset, step = tonumber(args[1]), tonumber(args[2])
end
function request()
  local i = offset + (id + counter * step) % (#paths / 2) + 1
  counter = counter + 1
  return wrk.format(nil, paths[i])
end
"""


# -- tools and servers ----------------------------------------------------------------------------------


def find_tool(name: str) -> str | None:
    return shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


def ensure_tools() -> tuple[str, str]:
    """nginx and wrk, installed from Debian packages when missing and we are root."""
    command = ["apt-get", "install", "-y", "nginx", "wrk"]
    if not (find_tool("nginx") and find_tool("wrk")):
        if os.geteuid() != 0:
            sys.exit(f"nginx and wrk are needed; install them with: sudo {' '.join(command)}")
        print(f"nginx or wrk missing: running {' '.join(command)}", flush=True)
        subprocess.run(command, check=True, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    return find_tool("nginx"), find_tool("wrk")


def version(binary: str) -> str:
    answer = subprocess.run([binary, "-v"], capture_output=True, text=True)
    return re.search(r"/(\d[\w.+~-]*)", answer.stdout + answer.stderr).group(1)


def fetch(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@contextmanager
def nginx(binary: str, tmp: Path, page: bytes):
    """nginx of our own on a free loopback port, serving `page` as /guide.html; yields its port."""
    prefix, root = tmp / "nginx", tmp / "nginx" / "html"
    root.mkdir(parents=True)
    (root / "guide.html").write_bytes(page)
    for path in (tmp, prefix, root):
        path.chmod(0o755)  # a root master runs its workers as nobody
    (root / "guide.html").chmod(0o644)
    port = free_port()
    temp_paths = "\n".join(f"  {kind}_temp_path {prefix / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                              "uwsgi", "scgi"))  # fmt: skip
    conf = prefix / "nginx.conf"
    conf.write_text(f"""worker_processes auto;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  types {{ text/html html; }}
  default_type text/html;
{temp_paths}
  server {{
    listen 127.0.0.1:{port};
    root {root};
  }}
}}
""")
    log = prefix / "error.log"
    command = [binary, "-p", str(prefix), "-c", str(conf), "-e", str(log), "-g", "daemon off;"]
    with (prefix / "stderr.log").open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(process, prefix / "stderr.log", lambda: fetch(port, "/guide.html")[0] == 200)
        yield port
    finally:
        stop(process)


@contextmanager
def gunicorn(env: dict, workers: int | None, tmp: Path):
    """gunicorn on a free port, through careerguide/gunicorn.conf.py when it exists; yields its port, how it was
    started, and a function counting the workers booted so far.
    """
    port = free_port()
    log = tmp / "gunicorn.log"
    if GUNICORN_CONF.exists():
        env = dict(env, GUNICORN_BIND=f"127.0.0.1:{port}")
        if workers:
            env["GUNICORN_WORKERS"] = str(workers)
        command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "careerguide.wsgi",
                   "--access-logfile", "/dev/null"]  # fmt: skip
        how = f"-c {GUNICORN_CONF.relative_to(ROOT)} (access log to /dev/null)"
    else:
        workers = workers or (os.cpu_count() or 1) + 1
        command = [sys.executable, "-m", "gunicorn", "careerguide.wsgi", "-b", f"127.0.0.1:{port}",
                   "-w", str(workers), "--error-logfile", "-"]  # fmt: skip
        how = f"explicit flags (no {GUNICORN_CONF.relative_to(ROOT)}): -w {workers}"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(process, log, lambda: fetch(port, "/healthz")[0] == 200)
        yield port, how, lambda: len(re.findall(r"Booting worker", log.read_text()))
    finally:
        stop(process)


# -- the load -------------------------------------------------------------------------------------------


@dataclass
class Target:
    label: str
    server: str  # "nginx" or "gunicorn"
    path: str
    header: str | None = None
    paths: list[str] | None = None  # rotated through, one per request, instead of `path`


@dataclass
class Figures:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    errors: str


def backlog(port: int) -> int:
    """Connections waiting in the accept queue of the listener on 127.0.0.1:`port` (Linux; 0 elsewhere)."""
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return 0
    for line in lines:
        fields = line.split()
        if fields[1] == f"0100007F:{port:04X}" and fields[3] == "0A":  # 0A: LISTEN; rx_queue is the backlog
            return int(fields[4].split(":")[1], 16)
    return 0


def drain(port: int, probe: str, request_ms: float) -> None:
    """Wait until the requests wrk left behind are answered: gunicorn still works through the ones in its
    listen backlog after wrk stops, and they would slow the next run down. Once the backlog is empty, each
    worker may still be busy with one of them: wait twice as long as one request takes alone (at most 3 s).
    """
    deadline = time.monotonic() + 300
    while backlog(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(min(3, 2 * request_ms / 1000))
    while time.monotonic() < deadline:
        start = time.perf_counter()
        fetch(port, probe)
        if time.perf_counter() - start < 0.05:
            return


def wrk(binary: str, args, url: str, *, script: Path, header: str | None, duration: float, extra=()) -> Figures:
    command = [binary, "-t", str(args.threads), "-c", str(args.connections), "-d", f"{duration}s",
               "--timeout", "30s", "--latency", "-s", str(script)]  # fmt: skip
    if header:
        command += ["-H", header]
    command += [url, *(["--", *extra] if extra else [])]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    values = dict(pair.split("=") for pair in re.search(r"^bench: (.*)$", out, re.M).group(1).split())
    errors = {name: int(values[key]) for name, key in (("non-2xx/3xx", "status_errors"), ("connect",
              "connect_errors"), ("read", "read_errors"), ("timeout", "timeouts"))}  # fmt: skip
    return Figures(
        rps=rps,
        p50_ms=int(values["p50_us"]) / 1000,
        p95_ms=int(values["p95_us"]) / 1000,
        p99_ms=int(values["p99_us"]) / 1000,
        requests=int(values["requests"]),
        errors=", ".join(f"{n} {name}" for name, n in errors.items() if n) or "none",
    )


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def alone(target: Target, port: int) -> list[float]:
    """Milliseconds for each of 10 requests one at a time (cold searches: ones no round reaches)."""
    headers = dict([target.header.split(": ", 1)]) if target.header else {}
    times = []
    for path in (target.paths or [target.path] * 10)[-10:]:
        start = time.perf_counter()
        fetch(port, path, headers)
        times.append((time.perf_counter() - start) * 1000)
    return times


def load(binary: str, args, target: Target, port: int, tmp: Path, *, rounds: int, round_: int, alone_ms) -> Figures:
    """One round of load on `target`: a warm-up, then the measured run.

    Rotating targets (cold searches) use a different slice of their paths for every warm-up and run, so no
    search is asked twice in a benchmark.
    """
    url = f"http://127.0.0.1:{port}{target.path}"
    script = tmp / "figures.lua"
    extra_warm = extra = ()
    if target.paths:
        script = tmp / f"rotating-{round_}.lua"
        size = (len(target.paths) - 10) // (2 * rounds)
        warm_paths = target.paths[2 * round_ * size : (2 * round_ + 1) * size]
        run_paths = target.paths[(2 * round_ + 1) * size : (2 * round_ + 2) * size]
        table = ",\n".join(lua_string(path) for path in warm_paths + run_paths)
        script.write_text(f"paths = {{\n{table}\n}}\n{ROTATING}{FIGURES}")
        extra_warm, extra = ("0", str(args.threads)), (str(size), str(args.threads))
    else:
        script.write_text(FIGURES)
    options = {"script": script, "header": target.header}
    warm = wrk(binary, args, url, duration=args.warmup, extra=extra_warm, **options)
    probe = "/healthz" if target.server == "gunicorn" else target.path
    drain(port, probe, max(alone_ms))
    figures = wrk(binary, args, url, duration=args.duration, extra=extra, **options)
    drain(port, probe, max(alone_ms))
    if target.paths and max(warm.requests, figures.requests) > size:
        figures.errors += f"; {figures.requests} requests > {size} distinct searches: some repeated"
    return figures


# -- data -----------------------------------------------------------------------------------------------


def prepare_database() -> None:
    from django.core.management import call_command
    from django.db import connection

    from courses.models import Course

    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=StringIO())  # the guide, demo topics with synonyms, 96 demo courses
    if Course.objects.filter(source=f"synthetic-{SEED}").count() != COURSES + BOOKS:
        print(f"building the {COURSES + BOOKS:,}-item synthetic catalog (once, a minute or two)…", flush=True)
        call_command("generate_catalog", courses=COURSES, books=BOOKS, seed=SEED, stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    call_command("collectstatic", interactive=False, verbosity=0)


def course(external_id: str) -> tuple[str, str]:
    """A synthetic course's path, and its topics with their sizes."""
    from django.db.models import Count, Q

    from courses.models import Course, Topic

    course = Course.objects.get(source=f"synthetic-{SEED}", external_id=external_id)
    topics = Topic.objects.filter(courses=course).values_list("pk", flat=True)
    sizes = Topic.objects.filter(pk__in=list(topics)).annotate(size=Count("courses", filter=Q(courses__published=True)))
    note = ", ".join(f"{topic.name} ({topic.size:,} items)" for topic in sizes.order_by("-size"))
    return course.get_absolute_url(), f"{course.get_absolute_url()} ({note})"


def cold_searches() -> list[str]:
    """Distinct catalog searches like CATALOG's: a topic name, alone or with a word, at one level; shuffled."""
    from courses.models import Topic

    names = sorted(Topic.objects.values_list("name", flat=True))
    searches = [
        "/courses/?" + urlencode({"q": q, "level": level})
        for name in names
        for q in [name, *(f"{name} {extra}" for extra in EXTRAS)]
        for level in ("beginner", "intermediate", "advanced")
    ]
    searches = [path for path in searches if path.lower() != CATALOG]  # the other catalog targets warm that one
    random.Random(SEED).shuffle(searches)
    return searches


def report(target: Target, rounds: list[tuple[Figures, Figures]], alone_ms: list[float], size: int) -> None:
    errors = "; ".join(sorted({figures.errors for figures, _ in rounds} - {"none"})) or "none"
    if not all(figures.requests for figures, _ in rounds):
        print(f"{target.label:<40} some rounds answered no request   errors: {errors}", flush=True)
        return
    share = statistics.median(figures.rps / top.rps * 100 for figures, top in rounds)
    ceilings = [top.rps for _, top in rounds]

    def median(name):
        return statistics.median(getattr(figures, name) for figures, _ in rounds)

    print(f"{target.label:<40} {median('rps'):9.1f}  {share:10.3f} %   {median('p50_ms'):5.1f}ms  "
          f"{median('p95_ms'):5.1f}ms  {median('p99_ms'):5.1f}ms   {statistics.median(alone_ms):6.1f}ms   "
          f"{size / 1024:5.1f}KB   {min(ceilings):,.0f}-{max(ceilings):,.0f}  errors: {errors}"
          f"{'  (cookie)' if target.header else ''}", flush=True)  # fmt: skip


# -- the run --------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=4, help="seconds measured per round")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before each measured run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the config's, cores + 1)")
    parser.add_argument("--only", help="measure only the targets whose label contains this (and the ceiling)")
    parser.add_argument("--rounds", type=int, default=3, help="ceiling-then-target runs per target")
    args = parser.parse_args()

    nginx_binary, wrk_binary = ensure_tools()
    tmp = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    os.environ.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",  # plain http on loopback
        DJANGO_HSTS_SECONDS="0",
        REDIS_URL=REDIS_URL,
        CLICK_SPOOL_DIR=str(tmp / "click-spool"),
        PAGE_RENDER_RATE="100000000/m",  # wrk is one client: the per-client render budget would answer 429s
        SEARCH_INDEX_DIR=str(tmp / "search-index"),
    )
    try:
        django_for("postgresql", database=DATABASE)
        from django.core.cache import cache
        from django.db import connection

        prepare_database()
        cache.clear()  # FLUSHDB on the bench's own Redis database
        # The related items of a course are counted over its topics, so its topics' sizes matter: the first
        # synthetic course is in one small topic, the second in the two biggest (most items are in a big one).
        common, common_note = course("course-1")
        rare, rare_note = course("course-0")
        searches = cold_searches()
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg_version = cursor.fetchone()[0].split()[0]
        connection.close()
        versions = [version(binary) for binary in (nginx_binary, wrk_binary)]
        targets = [
            Target("guide, cached", "gunicorn", GUIDE),
            Target("guide, uncached", "gunicorn", uncached(GUIDE)),
            Target("career profile, cached", "gunicorn", PROFILE),
            Target("career profile, uncached", "gunicorn", uncached(PROFILE)),
            Target("course detail, cached", "gunicorn", common),
            Target("course detail, uncached", "gunicorn", uncached(common)),
            Target("course detail, small topic, uncached", "gunicorn", uncached(rare)),
            Target("catalog, cached", "gunicorn", CATALOG),
            Target("catalog, uncached (search cache warm)", "gunicorn", uncached(CATALOG)),
            Target("catalog, cold (a new search each time)", "gunicorn", CATALOG, None, [*map(uncached, searches)]),
        ]
        targets = [target for target in targets if not args.only or args.only in target.label]
        with gunicorn(dict(os.environ), args.workers, tmp) as (app_port, how, booted):
            sizes = {}
            for target in targets:
                headers = dict([target.header.split(": ", 1)]) if target.header else {}
                status, body = fetch(app_port, target.path, headers)
                sizes[target.label] = body
                if status != 200:
                    raise RuntimeError(f"{target.label}: GET {target.path} answered {status}")
            page = fetch(app_port, GUIDE)[1]
            with nginx(nginx_binary, tmp, page) as nginx_port:
                ceiling = Target("nginx static file (ceiling)", "nginx", "/guide.html")
                sizes[ceiling.label] = fetch(nginx_port, ceiling.path)[1]
                print(f"gunicorn {how}, {booted()} sync workers; nginx {versions[0]} (its own, "
                      f"worker_processes auto, keep-alive); wrk {versions[1]}: {args.threads} threads, "
                      f"{args.connections} connections, "
                      f"{args.rounds} rounds of {args.warmup} s warm-up + {args.duration} s; PostgreSQL {pg_version} "
                      f"({COURSES + BOOKS:,}-item synthetic catalog), Redis {REDIS_URL}; {os.cpu_count()} cores, "
                      f"load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
                print(f"course detail: {common_note}; small topic: {rare_note}")
                print(f"catalog: {CATALOG}; cold: {len(searches)} distinct searches (topic name, alone or with "
                      f"one of {len(EXTRAS)} words, x 3 levels), each at most once per run\n")  # fmt: skip
                # On a shared machine the ceiling itself moves by 15 % from minute to minute, so each target is
                # measured in rounds, each right after a run of the ceiling, and compared with that run.
                print(f"{'target':<40} {'req/s':>9}  {'% of ceiling':>12}   {'p50':>7}  {'p95':>7}  {'p99':>7}   "
                      f"{'alone':>8}   {'body':>7}   ceiling beside it (req/s, min-max of rounds)")  # fmt: skip
                ceiling_alone = alone(ceiling, nginx_port)
                for target in targets:
                    target_alone = alone(target, app_port)
                    rounds = []
                    for round_ in range(args.rounds):
                        top = load(wrk_binary, args, ceiling, nginx_port, tmp, rounds=args.rounds, round_=round_,
                                   alone_ms=ceiling_alone)  # fmt: skip
                        figures = load(wrk_binary, args, target, app_port, tmp, rounds=args.rounds, round_=round_,
                                       alone_ms=target_alone)  # fmt: skip
                        rounds.append((figures, top))
                    report(target, rounds, target_alone, len(sizes[target.label]))
        print(f"\nload average after the run: {os.getloadavg()[0]:.1f}. '% of ceiling': the median over {args.rounds} "
              f"rounds of the target's requests/s over nginx's in the run just before; req/s, p50, p95 and p99: "
              f"medians over the rounds; 'alone': the median of 10 requests one at a time. gunicorn's sync workers "
              f"close the connection after every response (wrk reconnects), nginx keeps it alive: that difference "
              f"is part of the ceiling.")  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
