"""Guide page cost as sections grow: queries per request and median response time (in-process client).

Runs against the configured database (DATABASE_URL or the SQLite default) inside a transaction it rolls back.
Usage: .venv/bin/python bench/guide_page.py
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careerguide.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from guides.models import Career, GuideSection  # noqa: E402

BODY = ("A paragraph of **advice** with `code`, a list and a [link](https://example.com/).\n\n- one\n- two\n\n") * 8
RUNS = 50


def measure(section_count: int) -> tuple[int, float]:
    career = Career.objects.create(name="Bench", slug=f"bench-{section_count}", summary="s", intro=BODY, published=True)
    GuideSection.objects.bulk_create(
        GuideSection(
            career=career, kind="other", heading=f"S{i}", anchor=f"s{i}", body=BODY, position=i, published=True
        )
        for i in range(section_count)
    )
    client = Client(HTTP_HOST="localhost")
    url = career.get_absolute_url()
    client.get(url)  # warm the template cache
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        client.get(url)
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return len(queries), statistics.median(timings)


def main():
    print(f"database: {connection.vendor}; {RUNS} requests each; uncached (no page cache yet)")
    print(f"{'sections':>8} {'queries':>8} {'median ms':>10}")
    with transaction.atomic():
        for count in (3, 10, 30, 100):
            queries, median = measure(count)
            print(f"{count:>8} {queries:>8} {median:>10.2f}")
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
