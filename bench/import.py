"""Import speed and memory: rows per second and peak RSS importing a synthetic feed into PostgreSQL (or SQLite).

Each size runs in a fresh process on an emptied catalog, so peak RSS is the import's own; similar peaks
for different sizes show that memory stays flat. Prints figures; asserts nothing.

Usage: .venv/bin/python bench/import.py [--backend postgresql|sqlite|both] [--rows 50000 150000]
"""

import argparse
import resource
import time
from io import StringIO

from _setup import BENCH_DIR, django_for, run_per_backend


def worker(backend: str, rows: int):
    django_for(backend, database="careerguide_bench_import")
    from django.core.management import call_command
    from django.db import connection

    from courses.models import Course

    call_command("migrate", verbosity=0)
    feed = BENCH_DIR / f"import-{rows}.jsonl"
    if not feed.exists():
        call_command(
            "generate_catalog", courses=rows // 3, books=rows - rows // 3, seed=7, output=feed, stdout=StringIO()
        )
    Course.objects.filter(source="import-bench").delete()
    start = time.perf_counter()
    out = StringIO()
    call_command("import_catalog", str(feed), source="import-bench", stdout=out)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{connection.vendor:>10} {rows:>8,} rows  {seconds:6.1f} s  {rows / seconds:7,.0f} rows/s  "
        f"peak RSS {peak_mb:6.0f} MB   ({out.getvalue().strip()})",
        flush=True,
    )
    Course.objects.filter(source="import-bench").delete()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="postgresql")
    parser.add_argument("--rows", type=int, nargs="+", default=[50_000, 150_000])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        for rows in args.rows:
            worker(args.worker, rows)
        return
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    for rows in args.rows:
        run_per_backend(__file__, backends, ["--rows", str(rows)])


if __name__ == "__main__":
    main()
