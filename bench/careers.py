"""Career explorer speed: searches by job title through the view, cold, and profile pages (#16).

Loads the demo (1,016 O*NET occupations with 57,518 titles, the demo catalog and guide) into a benchmark
database of its own, then times a seeded mix of learner-like explorer queries through the view itself (search,
every facet count, the page, rendered): alternate titles whole, their first words, a word of one, a typo, with
a filter or a sort 40 % of the time. Nothing is cached in between: every query goes to the database ("cold";
free-text explorer pages are never stored by the page cache anyway). Then profile pages (data-only) and the
compare page. Prints p50/p95 and queries per request; asserts nothing.

Usage: .venv/bin/python bench/careers.py [--backend postgresql|sqlite|both] [--queries 200]
"""

import argparse
import random
import statistics
import time
from io import StringIO

from _setup import django_for, run_per_backend

DATABASE = "careerguide_bench_careers"


def query_mix(count: int, seed: int) -> list[dict]:
    from guides.forms import EXPLORER_FACETS_SHOWN
    from guides.models import OccupationTitle

    rng = random.Random(seed)
    titles = list(OccupationTitle.objects.values_list("title", flat=True))
    mix = []
    for _ in range(count):
        title = rng.choice(titles)
        words = title.split()
        roll = rng.random()
        if roll < 0.35:
            q = title
        elif roll < 0.65:
            q = " ".join(words[:2])
        elif roll < 0.85:
            q = rng.choice(words)
        else:
            word = max(words, key=len)
            i = rng.randrange(max(1, len(word) - 1))
            q = word[:i] + word[i + 1 : i + 2] + word[i : i + 1] + word[i + 2 :]
        params = {"q": q}
        if rng.random() < 0.4:
            name, _, choices = rng.choice(EXPLORER_FACETS_SHOWN)
            params[name] = rng.choice(choices)[0]
        if rng.random() < 0.2:
            params["sort"] = rng.choice(["pay", "growth", "openings", "name"])
        mix.append(params)
    return mix


def timed(client, path, params=None, **headers):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(path, params or {}, headers=headers)
        elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (path, params, response.status_code)
    return elapsed, len(queries)


def percentiles(values):
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def worker(backend: str, queries: int) -> None:
    django_for(backend, database=DATABASE)
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from guides.models import Occupation

    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    setup_test_environment()
    client = Client()
    print(f"\n== {backend}: {Occupation.objects.count():,} occupations")

    mix = query_mix(queries, seed=1)
    for params in mix[:10]:  # warm the process (templates, connection), not the data
        client.get("/careers/", params)
    results = []
    for params in mix:
        cache.clear()
        results.append(timed(client, "/careers/", params))
    times = [ms for ms, _ in results]
    p50, p95 = percentiles(times)
    print(f"explorer search, cold, {len(mix)} queries: p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 <= 30 ms)")
    print(f"  queries per request: {sorted({count for _, count in results})}")
    slowest = sorted(zip(times, mix, strict=True), key=lambda pair: -pair[0])[:5]
    print("  slowest: " + "; ".join(f"{ms:.0f} ms {params}" for ms, params in slowest))
    fragment = [len(client.get("/careers/", p, headers={"HX-Request": "true"}).content) for p in mix[:50]]
    print(f"  results fragment: median {statistics.median(fragment) / 1024:.1f} KB, max {max(fragment) / 1024:.1f} KB")

    plain = [timed(client, "/careers/", {"uncached": "1"})[0] for _ in range(20)]
    print(f"explorer, no search (uncached): p50 {percentiles(plain)[0]:.1f} ms")

    rng = random.Random(2)
    slugs = rng.sample(list(Occupation.objects.values_list("slug", flat=True)), 50)
    profile = []
    for slug in slugs:
        cache.clear()
        profile.append(timed(client, f"/careers/{slug}/", {"uncached": "1"}))
    p50, p95 = percentiles([ms for ms, _ in profile])
    print(
        f"profile page, cold, 50 careers: p50 {p50:.1f} ms, p95 {p95:.1f} ms; queries {sorted({c for _, c in profile})}"
    )
    pairs = [timed(client, "/careers/compare/", {"a": a, "b": b}) for a, b in zip(slugs[::2], slugs[1::2], strict=True)]
    p50, p95 = percentiles([ms for ms, _ in pairs])
    print(f"compare, 25 pairs: p50 {p50:.1f} ms, p95 {p95:.1f} ms; queries {sorted({c for _, c in pairs})}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.queries)
        return
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    run_per_backend(__file__, backends, ["--queries", str(args.queries)])


if __name__ == "__main__":
    main()
