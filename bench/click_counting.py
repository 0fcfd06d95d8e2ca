"""What classifying a partner-link click costs (courses/counting.py), which runs on every GET /go/<token>/.

1. Bot detection (CrawlerDetect's 1,462 patterns plus our supplement): a User-Agent never seen by the process
   (each call gets a new one, defeating both memo caches), and one seen before (a memo lookup).
2. Repeat and rate-limit counting: `excluded_reason()` per click, against the per-process memory only and
   against Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/12, flushed) through the site's cache.
3. One whole /go/ request through the test client (SQLite in memory is not used: the bench database), for scale.

Usage: .venv/bin/python bench/click_counting.py [--rounds 2000]. Prints figures; asserts nothing.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import BENCH_DIR, django_for

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.{n}.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.{n} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{n}.0) Gecko/20100101 Firefox/{n}.0",
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/26.0 Chrome/122.0.{n}.0 Mobile Safari/537.36",
]
MACHINES = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html) {n}",
    "python-requests/2.{n}.0",
    "Slackbot-LinkExpanding 1.{n} (+https://api.slack.com/robots)",
    "Mozilla/5.0+(compatible; UptimeRobot/2.{n}; http://www.uptimerobot.com/)",
]


def per_call_us(function, arguments) -> tuple[float, float]:
    """Median and 95th percentile in microseconds of `function(argument)` over the arguments."""
    times = []
    for argument in arguments:
        started = time.perf_counter()
        function(argument)
        times.append((time.perf_counter() - started) * 1e6)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    (BENCH_DIR / "careerguide_bench_click_counting.sqlite3").unlink(missing_ok=True)  # a fresh one each run
    django_for("sqlite", database="careerguide_bench_click_counting")
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client, RequestFactory

    from courses import counting
    from tests.factories import OfferFactory

    rounds = args.rounds
    print(f"crawlerdetect {counting.CrawlerDetect.__module__}; {rounds} calls per figure; Redis {REDIS_URL}")

    for name, templates in [("browser", BROWSERS), ("machine", MACHINES)]:
        fresh = [templates[n % len(templates)].format(n=10_000 + n) for n in range(rounds)]
        counting.forget_counts()
        p50, p95 = per_call_us(counting.is_bot_agent, fresh)
        print(f"  bot detection, new {name} agent:   p50 {p50:8.1f} us   p95 {p95:8.1f} us")
        p50, p95 = per_call_us(counting.is_bot_agent, fresh)
        print(f"  bot detection, known {name} agent: p50 {p50:8.1f} us   p95 {p95:8.1f} us")

    factory = RequestFactory()
    requests = [
        factory.get("/go/x/", REMOTE_ADDR=f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}") for n in range(rounds)
    ]
    cache.clear()
    counting.forget_counts()
    p50, p95 = per_call_us(lambda request: counting.excluded_reason(request, 1), requests)
    print(f"  repeat + limit counting, Redis + memory:  p50 {p50:6.1f} us   p95 {p95:6.1f} us")

    from django.core.cache.backends.locmem import LocMemCache

    counting.cache = LocMemCache("bench-shared", {})  # as with no REDIS_URL (make run)
    counting.forget_counts()
    p50, p95 = per_call_us(lambda request: counting.excluded_reason(request, 1), requests)
    print(f"  repeat + limit counting, memory only:     p50 {p50:6.1f} us   p95 {p95:6.1f} us")
    counting.cache = cache

    call_command("migrate", verbosity=0)
    offer = OfferFactory()
    client = Client()
    agent = BROWSERS[0].format(n=1)
    url = offer.get_absolute_url()
    client.get(url, headers={"User-Agent": agent})  # the offer is cached
    p50, p95 = per_call_us(
        lambda n: client.get(url, headers={"User-Agent": agent}, REMOTE_ADDR=f"10.9.{n // 256 % 256}.{n % 256}"),
        range(min(rounds, 500)),
    )
    print(f"  a whole GET /go/ (test client, SQLite, Redis): p50 {p50 / 1000:5.2f} ms   p95 {p95 / 1000:5.2f} ms")
    cache.clear()


if __name__ == "__main__":
    main()
