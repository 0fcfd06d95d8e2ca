"""Partner-link clicks through a real gunicorn: clicks sent against clicks recorded, and the redirect's latency.

Starts gunicorn with production settings (DEBUG off, Redis cache, PostgreSQL), then fires browser-like
GET /go/<token>/ requests from threads, N at a time, without following redirects, and checks every answer
is a 302 to the partner's host. Each redirect carries its click's id (the partner's `sub` parameter), so
the clicks recorded are counted exactly, by id.

1. Database up: a tenth of --clicks one at a time (the cost of one redirect), then --clicks at
   --concurrency; 302s, human clicks recorded, p50/p95/max, requests/s. This leaves the offers in Redis.
2. Database away: the same load on a fresh gunicorn that reaches PostgreSQL through a TCP relay run by
   this script. Once a quarter of the clicks are answered the relay cuts gunicorn's connections and
   refuses new ones (the database stops for gunicorn alone: other users of the server are untouched)
   for --outage-seconds, or until three quarters are answered, whichever comes first. Then --after
   clicks one at a time, then `manage.py replay_clicks` if anything is still spooled; sent vs recorded.
3. Database frozen: the same, but the relay freezes instead: it stops reading and forwarding, every
   connection stays open and new ones are accepted, so gunicorn's requests get no answer and no error (a
   hung server or proxy). The --after clicks start once the workers try the database again
   (DATABASE_RETRY_AFTER, careerguide/database/base.py), so the first of them replays the spool.

Latency is measured by the client, so under load it is mostly queueing (Little's law: concurrency divided
by requests/s). The server's own time per request (gunicorn's access log, %(D)s) is printed beside it.
Prints figures; asserts nothing.

Usage: .venv/bin/python bench/clicks.py [--clicks 2000] [--concurrency 50] [--workers N] [--outage-seconds 3]
                                        [--only steady,refused,frozen]
Needs PostgreSQL (BENCH_POSTGRES_SERVER, default postgres://postgres@127.0.0.1:5432; database BENCH_DATABASE,
default careerguide_bench_clicks, created and migrated if missing) and Redis (BENCH_REDIS_URL, default
redis://127.0.0.1:6379/14, a database number of its own: it is flushed). --workers defaults to cores + 1.
Servers listen on free loopback ports, or on BENCH_PORTS (e.g. 8131-8139) if set.
"""

import argparse
import asyncio
import http.client
import itertools
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from _setup import ROOT, django_for, free_port, stop, wait_until_ready

DATABASE = os.environ.get("BENCH_DATABASE", "careerguide_bench_clicks")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
OFFERS = 10
RETRY_AFTER = float(os.environ.get("DATABASE_RETRY_AFTER", "3"))  # as careerguide/settings.py reads it
PARTNER_HOST = "partner.example"
HEADERS = {
    "User-Agent": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
    ),
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-GB,en;q=0.9",
}
SPOOLED = re.compile(r"database unavailable: click ([0-9a-f-]{36}) spooled")
DEADLINE_CUT = re.compile(r"did not answer \((\w[\w ]*)\) within")


# -- the database outage --------------------------------------------------------------------------------


class DatabaseRelay:
    """A TCP relay to PostgreSQL whose stop() plays a database going away for the clients behind it only:
    open connections are cut and new ones refused (the port stops listening) until start(). freeze() plays
    one that stops answering: nothing is read or forwarded any more, but every connection stays open and new
    ones are accepted (by the kernel, which acknowledges what they send) until thaw().
    """

    def __init__(self, upstream: tuple[str, int], port: int = 0):
        self.upstream = upstream
        self.relays: set = set()
        self.accepted = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.thawed = asyncio.Event()
        self.loop.call_soon_threadsafe(self.thawed.set)
        self.port = self._run(self._listen(port))

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    async def _listen(self, port: int) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", port, reuse_address=True)
        return self.server.sockets[0].getsockname()[1]

    async def _relay(self, client_reader, client_writer):
        self.accepted += 1
        await self.thawed.wait()
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.transport.abort()
            return
        pair = (client_writer, server_writer)
        self.relays.add(pair)
        try:
            await asyncio.gather(self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer))
        finally:
            self.relays.discard(pair)

    async def _pipe(self, reader, writer):
        try:
            while (await self.thawed.wait()) and (data := await reader.read(65536)):
                await self.thawed.wait()  # what was read as it froze is held back too
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def _stop(self) -> int:
        self.server.close()  # from now on a connect is refused, as with a stopped server
        cut = len(self.relays)
        for pair in list(self.relays):
            for writer in pair:
                writer.transport.abort()
        return cut

    def stop(self) -> int:
        """Cut every open connection and refuse new ones; returns how many were cut."""
        return self._run(self._stop())

    def start(self) -> None:
        self._run(self._listen(self.port))

    async def _freeze(self) -> int:
        self.thawed.clear()
        return len(self.relays)

    def freeze(self) -> int:
        """Stop reading and forwarding, every connection kept open; returns how many are open."""
        return self._run(self._freeze())

    async def _thaw(self) -> None:
        self.thawed.set()

    def thaw(self) -> None:
        self._run(self._thaw())

    def close(self) -> None:
        try:
            self._run(self._stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=5)


def relay_worker(upstream: str) -> None:
    """The relay in a process of its own, so that it never waits for the GIL behind the client threads.
    Prints its port, then answers "stop" (with the number of connections cut) and "start" on stdin.
    """
    host, port = upstream.rsplit(":", 1)
    relay = DatabaseRelay((host, int(port)), port=free_port() if os.environ.get("BENCH_PORTS") else 0)
    print(relay.port, flush=True)
    for line in sys.stdin:
        if line.strip() == "stop":
            print(relay.stop(), flush=True)
        elif line.strip() == "start":
            relay.start()
            print("started", flush=True)
        elif line.strip() == "freeze":
            print(relay.freeze(), flush=True)
        elif line.strip() == "thaw":
            relay.thaw()
            print("thawed", flush=True)
        elif line.strip() == "accepted":
            print(relay.accepted, flush=True)
    relay.close()


class RelayProcess:
    def __init__(self, upstream: str):
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--relay-worker", upstream],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self.process.stdout.readline())

    def _ask(self, command: str) -> str:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def stop(self) -> int:
        return int(self._ask("stop"))

    def start(self) -> None:
        self._ask("start")

    def freeze(self) -> int:
        return int(self._ask("freeze"))

    def thaw(self) -> None:
        self._ask("thaw")

    def accepted(self) -> int:
        """How many connections gunicorn has opened to the database so far."""
        return int(self._ask("accepted"))

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- gunicorn and the clicks ----------------------------------------------------------------------------


def request(port: int, method: str, path: str, timeout: float = 5) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers=HEADERS)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@contextmanager
def gunicorn(env: dict, workers: int, logs: Path, paths: list[str]):
    """gunicorn on a free port, warmed up; yields (port, its AccessLog, its error log path) and stops it after."""
    logs.mkdir(parents=True)
    port = free_port()
    access_log, error_log = logs / "access.log", logs / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "careerguide.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
               "--access-logfile", str(access_log), "--access-logformat", "%(D)s %(m)s %(s)s",
               "--error-logfile", "-"]  # fmt: skip
    with error_log.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(process, error_log, lambda: request(port, "HEAD", paths[0]) == 302)
        for path in paths[: 8 * workers]:  # HEAD is answered but never counted: every worker loads the app
            request(port, "HEAD", path)
        yield port, AccessLog(access_log), error_log
    finally:
        stop(process)


@dataclass
class Answer:
    start: float
    ms: float
    status: int | None
    click_id: str | None  # None unless a 302 to the partner's host carrying a click id
    error: str = ""


def fire(port: int, paths: list[str], concurrency: int, answered: list[int]) -> tuple[list[Answer], float]:
    """GET every path, `concurrency` at a time, one kept-alive connection per thread (gunicorn's sync
    workers close it after each answer; http.client then reconnects). Returns the answers and wall seconds.
    """
    answers: list[Answer | None] = [None] * len(paths)
    counter = itertools.count()
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while (i := next(counter)) < len(paths):
            start = time.perf_counter()
            try:
                conn.request("GET", paths[i], headers=HEADERS)
                response = conn.getresponse()
                response.read()
                ms = (time.perf_counter() - start) * 1000
                location = urlsplit(response.getheader("Location", ""))
                click_id = None
                if response.status == 302 and location.hostname == PARTNER_HOST:
                    click_id = parse_qs(location.query).get("sub", [None])[0]
                answers[i] = Answer(start, ms, response.status, click_id)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                answers[i] = Answer(start, (time.perf_counter() - start) * 1000, None, None, type(exc).__name__)
            with lock:
                answered[0] += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers, time.perf_counter() - start


# -- figures --------------------------------------------------------------------------------------------


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def latency(answers: list[Answer]) -> str:
    if not answers:
        return "no requests"
    ms = [a.ms for a in answers]
    return f"p50 {statistics.median(ms):6.1f} ms   p95 {percentile(ms, 0.95):6.1f} ms   max {max(ms):7.1f} ms"


def statuses(answers: list[Answer]) -> str:
    counts = Counter(a.status if a.status is not None else a.error for a in answers)
    good = sum(1 for a in answers if a.click_id)
    other = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items(), key=str) if status != 302)
    return f"{good} x 302 to {PARTNER_HOST}" + (f"   others: {other}" if other else "")


class AccessLog:
    """The server's own time per request, read from gunicorn's access log since the last mark."""

    def __init__(self, path: Path):
        self.path, self.offset = path, 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def since_mark(self) -> str:
        with self.path.open() as log:
            log.seek(self.offset)
            us = [int(line.split()[0]) for line in log if " GET " in line]
        if not us:
            return "no GETs logged"
        ms = [u / 1000 for u in us]
        return f"p50 {statistics.median(ms):6.1f} ms   p95 {percentile(ms, 0.95):6.1f} ms   max {max(ms):7.1f} ms"


def recorded(ids: list[str]) -> tuple[int, int]:
    """(human, bot) clicks in the database among these click ids."""
    from courses.models import Click

    found = Counter()
    for start in range(0, len(ids), 1000):
        found.update(Click.objects.filter(click_id__in=ids[start : start + 1000]).values_list("is_bot", flat=True))
    return found[False], found[True]


def spool_files(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir()) if directory.exists() else []


# -- the run --------------------------------------------------------------------------------------------


def set_up_offers() -> list[str]:
    """A partner and OFFERS published courses with one offer each; their old clicks deleted. Returns tokens."""
    from courses.models import Click, Course, Offer, Partner

    partner, _ = Partner.objects.update_or_create(
        slug="bench-clicks",
        defaults={"name": "Bench Clicks Partner", "allowed_hosts": PARTNER_HOST, "active": True, "link_template": "",
                  "tag_parameters": "utm_source=careerguide&aff={tag}&sub={click_id}"},
    )  # fmt: skip
    tokens = []
    for n in range(1, OFFERS + 1):
        course, _ = Course.objects.update_or_create(
            source="bench-clicks",
            external_id=str(n),
            defaults={"title": f"Bench course {n}", "slug": f"bench-clicks-{n}", "published": True,
                      "url": f"https://provider.example/course/{n}"},
        )  # fmt: skip
        offer, _ = Offer.objects.update_or_create(
            course=course,
            partner=partner,
            defaults={"url": f"https://{PARTNER_HOST}/course/{n}", "commission_tag": "bench", "active": True},
        )
        offer.full_clean()
        tokens.append(offer.token)
    Click.objects.filter(offer__partner=partner).delete()
    return tokens


def replay_leftovers() -> str:
    from django.core.management import call_command, get_commands

    from courses.tracking import ClickSpool

    if "replay_clicks" in get_commands():
        out = StringIO()
        call_command("replay_clicks", stdout=out)
        return f"manage.py replay_clicks: {out.getvalue().strip()}"
    return f"ClickSpool().replay() (no replay_clicks command yet): {ClickSpool().replay()} recorded"


def steady_state(args, env: dict, tmp: Path, tokens: list[str]) -> None:
    paths = [f"/go/{tokens[i % len(tokens)]}/" for i in range(args.clicks)]
    with gunicorn(env, args.workers, tmp / "steady", paths) as (port, access, error_log):
        access.mark()
        alone, _ = fire(port, paths[: args.clicks // 10], 1, [0])
        alone_server = access.since_mark()
        access.mark()
        answers, seconds = fire(port, paths, args.concurrency, [0])
        server = access.since_mark()
        spooled = SPOOLED.findall(error_log.read_text())
    ids = [a.click_id for a in alone + answers if a.click_id]
    human, bot = recorded(ids)
    print("\n1. database up, gunicorn straight to PostgreSQL")
    print(f"  one at a time, {len(alone)} clicks:   client {latency(alone)}   {statuses(alone)}")
    print(f"                                server {alone_server}")
    print(f"  {args.concurrency} concurrent, {len(answers)} clicks:  client {latency(answers)}   {statuses(answers)}")
    print(f"                                server {server}   {len(answers) / seconds:.0f} requests/s")
    print(f"  sent {len(alone) + len(answers)}, recorded {human} human + {bot} bot; spooled {len(spooled)}")


def outage(args, env: dict, tmp: Path, tokens: list[str], spool: Path, *, frozen: bool) -> None:
    """The database away (refused) or frozen (silent) for gunicorn, from a quarter of the clicks on."""
    paths = [f"/go/{tokens[i % len(tokens)]}/" for i in range(args.clicks)]
    upstream = urlsplit(env["DATABASE_URL"])
    relay = RelayProcess(f"{upstream.hostname}:{upstream.port or 5432}")
    env = dict(
        env, DATABASE_URL=env["DATABASE_URL"].replace(upstream.netloc.rsplit("@", 1)[-1], f"127.0.0.1:{relay.port}")
    )
    answered, window = [0], {}

    def play_outage():
        while answered[0] < args.clicks // 4:
            time.sleep(0.001)
        window["opened"] = relay.accepted()
        window["start"] = time.perf_counter()
        window["cut"] = relay.freeze() if frozen else relay.stop()
        while time.perf_counter() - window["start"] < args.outage_seconds and answered[0] < 3 * args.clicks // 4:
            time.sleep(0.005)
        if frozen:
            relay.thaw()
        else:
            relay.start()
        window["end"] = time.perf_counter()

    try:
        with gunicorn(env, args.workers, tmp / ("frozen" if frozen else "refused"), paths) as (port, access, error_log):
            controller = threading.Thread(target=play_outage)
            controller.start()
            access.mark()
            answers, seconds = fire(port, paths, args.concurrency, answered)
            controller.join()
            server = access.since_mark()
            if frozen:  # the workers that met the frozen database try it again within 1.5 x DATABASE_RETRY_AFTER
                time.sleep(max(0.0, window["end"] + 1.5 * RETRY_AFTER + 0.5 - time.perf_counter()))
            after, _ = fire(port, paths[: args.after], 1, [0])  # learners who come once the database is back
            time.sleep(0.5)
            log = error_log.read_text()
            opened = relay.accepted()
    finally:
        relay.close()
    left_in_spool = spool_files(spool)
    replay_note = replay_leftovers() if left_in_spool else "nothing left to replay"

    start, end = window["start"], window["end"]
    spooled = set(SPOOLED.findall(log))
    ids = [a.click_id for a in answers + after if a.click_id]
    human, bot = recorded(ids)
    replayed, _ = recorded(sorted(spooled))
    if frozen:
        print(f"\n3. database frozen for {end - start:.1f} s: the relay stopped forwarding on gunicorn's "
              f"{window['cut']} open connections and on new ones, all kept open")  # fmt: skip
    else:
        print(f"\n2. database away for {end - start:.1f} s: the relay cut gunicorn's {window['cut']} connections "
              f"and refused new ones")  # fmt: skip
    parts = (
        ("before", [a for a in answers if a.start + a.ms / 1000 < start]),
        ("in flight", [a for a in answers if a.start < start <= a.start + a.ms / 1000]),  # when it went away
        ("during", [a for a in answers if start <= a.start < end]),
        ("after", [a for a in answers if a.start >= end]),
        (f"then {len(after)} alone", after),
    )
    for label, part in parts:
        late = sum(1 for a in part if a.click_id in spooled)
        print(f"  {label:<12} {len(part):5} clicks   client {latency(part)}   {statuses(part)}   spooled {late}")
    print(f"  server, whole run: {server}   {len(answers) / seconds:.0f} requests/s")
    print(f"  sent {len(answers) + len(after)}, redirected {len(ids)}, spooled {len(spooled)} "
          f"(recorded once replayed: {replayed}), recorded {human} human + {bot} bot")  # fmt: skip
    print(f"  database connections opened by gunicorn: {window['opened']} before the cut, {opened} in all; "
          f"spool after the run: {len(left_in_spool)} files, {replay_note}")  # fmt: skip
    cuts = Counter(DEADLINE_CUT.findall(log))
    if cuts or frozen:
        print(f"  waits cut by the deadline: {sum(cuts.values())} "
              f"({', '.join(f'{what} {n}' for what, n in sorted(cuts.items())) or 'none'})")  # fmt: skip
    problems = Counter(line for line in log.splitlines() if "Error" in line or "still unavailable" in line)
    for line, n in problems.most_common(5):
        print(f"  gunicorn log, {n} x: {line[:160]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    # cores + 1: the redirect is CPU-bound here; 2 x cores or more only adds contention (measured, README)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--outage-seconds", type=float, default=3.0)
    parser.add_argument("--after", type=int, default=20, help="clicks sent one at a time after the outage run")
    parser.add_argument("--only", default="steady,refused,frozen", help="runs to do, comma-separated")
    parser.add_argument("--relay-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.relay_worker:
        relay_worker(args.relay_worker)
        return

    tmp = Path(tempfile.mkdtemp(prefix="bench-clicks-"))
    spool = tmp / "click-spool"
    os.environ.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",  # plain http on loopback
        REDIS_URL=REDIS_URL,
        CLICK_SPOOL_DIR=str(spool),
    )
    try:
        django_for("postgresql", database=DATABASE)
        from django.core.cache import cache
        from django.core.management import call_command
        from django.db import connection

        from courses.counting import is_bot_agent

        call_command("migrate", verbosity=0)
        cache.clear()  # FLUSHDB on the bench's own Redis database
        tokens = set_up_offers()
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg_version = cursor.fetchone()[0].split()[0]
        agent = "a bot" if is_bot_agent(HEADERS["User-Agent"]) else "a human"
        print(f"gunicorn {args.workers} sync workers, PostgreSQL {pg_version}, Redis {REDIS_URL}, "
              f"{os.cpu_count()} cores; {args.clicks} clicks at {args.concurrency} concurrent over {len(tokens)} "
              f"offers; the browser User-Agent counts as {agent}", flush=True)  # fmt: skip
        runs = set(args.only.split(","))
        if "steady" in runs:
            steady_state(args, dict(os.environ), tmp, tokens)
        if "refused" in runs:
            outage(args, dict(os.environ), tmp, tokens, spool, frozen=False)
        if "frozen" in runs:
            outage(args, dict(os.environ), tmp, tokens, spool, frozen=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
