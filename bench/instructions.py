"""Instructions per request for a few pages, counted by valgrind: repeatable where timings are not.

On a shared 2-core machine, requests per second move by 15-30 % from one minute to the next; the number of
instructions Python executes for a request does not (the same count to within 0.2 % run after run). So each
change to a hot path can be judged alone, before bench/pages.py measures the whole server under load.

For each target, the script runs the Django WSGI application in process (production settings, PostgreSQL
with bench/pages.py's data, Redis) under `valgrind --tool=callgrind` twice, with FEW and MANY requests after
the same warm-up, each from an empty cache (its Redis database is flushed), and prints (instructions of the long
run - instructions of the short one) / (MANY - FEW): start-up and warm-up cancel out. Only this process is
counted: the database and Redis servers are not.

Usage: .venv/bin/python bench/instructions.py [--only LABEL-PART]
Needs valgrind (apt-get install valgrind) and bench/pages.py's database (run bench/pages.py once first).
"""

import argparse
import io
import os
import re
import shutil
import subprocess
import sys

import redis
from _setup import POSTGRES_SERVER, ROOT

DATABASE_URL = f"{POSTGRES_SERVER}/careerguide_bench_pages"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
UNCACHED = "?bench=uncached"  # a parameter no view reads: the page cache never stores such a page
TARGETS = [
    # label, path, cookie, (few, many): cheap requests need more of them for the difference to stand out
    ("guide, cached", "/careers/back-end-engineer/", "", (100, 600)),
    ("guide, uncached", "/careers/back-end-engineer/" + UNCACHED, "", (5, 25)),
    ("catalog, cached", "/courses/?q=python&level=beginner", "", (100, 600)),
    ("catalog, uncached (search cache warm)", "/courses/?q=python&level=beginner&bench=uncached", "", (5, 25)),
]


def serve(path: str, cookie: str, count: int) -> None:
    """The child: `count` requests for `path` after a warm-up, straight through the WSGI application."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="careerguide.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="bench-instructions-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_HSTS_SECONDS="0",
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
    )
    sys.path.insert(0, str(ROOT))
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    route, _, query = path.partition("?")
    statuses = []
    for _ in range(10 + count):
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": route, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
        }  # fmt: skip
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        body = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
        b"".join(body)
        body.close()
        if not statuses[-1].startswith("200"):
            sys.exit(f"{path} answered {statuses[-1]}")


def instructions(path: str, cookie: str, count: int) -> int:
    # Both runs start from the same empty cache, so their warm-ups do the same work (a page or search the
    # other run left behind, or one expiring midway, would otherwise skew the difference).
    redis.Redis.from_url(REDIS_URL).flushdb()
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, __file__, "--serve", path, cookie, str(count)]  # fmt: skip
    answer = subprocess.run(command, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", answer.stderr)
    if answer.returncode or not found:
        sys.exit(f"valgrind failed for {path}:\n{answer.stderr[-2000:]}")
    return int(found.group(1))


def main():
    if sys.argv[1:2] == ["--serve"]:
        path, cookie, count = sys.argv[2:5]
        return serve(path, cookie, int(count))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="count only the targets whose label contains this")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("valgrind is needed: apt-get install valgrind")
    print(f"{'target':<40} {'instructions/request':>21}")
    for label, path, cookie, (few, many) in TARGETS:
        if args.only and args.only not in label:
            continue
        per_request = (instructions(path, cookie, many) - instructions(path, cookie, few)) / (many - few)
        print(f"{label:<40} {per_request / 1000:>19,.0f} k", flush=True)


if __name__ == "__main__":
    main()
