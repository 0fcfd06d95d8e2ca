"""Catalog search speed on a synthetic catalog (50,000 courses + 100,000 books by default).

Times a fixed, seeded mix of queries through the catalog view itself (search, filters, page, count and
every facet count, rendered) three ways: uncached (the cache emptied before every query), just after an
import (the cache holding only the topic searches an import warms; repeats in the mix hit the cache as
they would for learners) and in steady state (the mix again). Beside it, a naive icontains search over
title and description on the same data, and the size of the HTMX results fragment. Prints figures;
asserts nothing.

Usage: .venv/bin/python bench/search.py [--backend postgresql|sqlite|both] [--queries 200]
The first run per backend builds its catalog (a minute or two); later runs reuse it.
"""

import argparse
import operator
import random
import statistics
import time
from functools import reduce
from io import StringIO

from _setup import django_for, run_per_backend

COURSES, BOOKS, SEED = 50_000, 100_000, 1


def ensure_catalog():
    from django.core.management import call_command
    from django.db import connection

    from courses.models import Course
    from courses.services import load_demo_catalog

    call_command("migrate", verbosity=0)
    if Course.objects.filter(source=f"synthetic-{SEED}").count() != COURSES + BOOKS:
        print(f"  building the {COURSES + BOOKS:,}-item catalog (once)…", flush=True)
        load_demo_catalog()  # topics with their synonyms first, as on the real site
        call_command("generate_catalog", courses=COURSES, books=BOOKS, seed=SEED, stdout=StringIO())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def query_mix(count: int, seed: int) -> list[dict]:
    """Learner-like queries: topics, synonyms, two-word searches, typos, long phrases, with and without facets."""
    from courses.models import Topic

    rng = random.Random(seed)
    topics = list(Topic.objects.values_list("name", "synonyms", "slug"))
    names = [name for name, _, _ in topics]
    synonyms = [s.strip() for _, synonym_text, _ in topics for s in synonym_text.split(",") if s.strip()]
    extras = ["testing", "performance", "microservices", "beginners", "interview", "security", "deploy", "cache",
              "patterns", "architecture", "api", "scale", "production", "projects", "internals"]  # fmt: skip

    def typo(word):
        if len(word) < 4:
            return word
        i = rng.randrange(len(word) - 1)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]

    mix = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.30:
            q = rng.choice(names)
        elif roll < 0.45:
            q = rng.choice(synonyms)
        elif roll < 0.70:
            q = f"{rng.choice(names)} {rng.choice(extras)}"
        elif roll < 0.80:
            q = typo(rng.choice(names).lower())
        elif roll < 0.90:
            q = f"{rng.choice(extras)} {rng.choice(names)} for {rng.choice(extras)}"
        else:
            q = rng.choice(extras)
        params = {"q": q}
        if rng.random() < 0.4:
            facet = rng.choice(["kind", "price", "level", "certificate", "language"])
            params[facet] = {"kind": rng.choice(["course", "book"]), "price": rng.choice(["free", "paid"]),
                             "level": rng.choice(["beginner", "intermediate", "advanced"]), "certificate": "1",
                             "language": rng.choice(["en", "es", "de"])}[facet]  # fmt: skip
        mix.append(params)
    return mix


def naive_search(params):
    """What a first attempt looks like: icontains on title and description for every word."""
    from django.db.models import Q

    from courses.models import Course

    words = params["q"].split()
    matches = Course.objects.published().filter(
        reduce(operator.and_, [Q(title__icontains=w) | Q(description__icontains=w) for w in words])
    )
    list(matches.order_by("title")[:20])
    return matches.count()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_mix(client, mix, *, before_each=lambda: None) -> list[float]:
    page_ms = []
    for params in mix:
        before_each()
        start = time.perf_counter()
        response = client.get("/courses/", params)
        page_ms.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (params, response.status_code)
    return page_ms


def report(label, page_ms, mix):
    p50, p95 = statistics.median(page_ms), percentile(page_ms, 0.95)
    print(f"  {label:<44} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   max {max(page_ms):6.1f} ms")
    return p50


def worker(backend: str, queries: int):
    django_for(backend)
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from courses.catalog import warm_search_cache

    print(f"\n== {backend} ==", flush=True)
    ensure_catalog()
    mix = query_mix(queries, SEED)
    client = Client(HTTP_HOST="localhost")
    client.get("/courses/", {"q": "warm up"})

    print(f"catalog page, {len(mix)} queries with facet counts ({connection.vendor}):")
    uncached_ms = time_mix(client, mix, before_each=cache.clear)
    uncached_p50 = report("uncached (cache emptied before each query)", uncached_ms, mix)
    cache.clear()
    start = time.perf_counter()
    warmed = warm_search_cache()
    warm_s = time.perf_counter() - start
    after_import_ms = time_mix(client, mix)
    report(f"just after an import ({warmed} topic searches warmed)", after_import_ms, mix)
    report("steady state (the same mix again)", time_mix(client, mix), mix)
    print(f"  warming those {warmed} searches took {warm_s:.1f} s")

    fragment_bytes = [len(client.get("/courses/", params, headers={"HX-Request": "true"}).content) for params in mix]
    naive_ms = []
    for params in mix[: max(20, queries // 5)]:  # the naive search is slow; a fifth of the mix is enough
        start = time.perf_counter()
        naive_search(params)
        naive_ms.append((time.perf_counter() - start) * 1000)
    naive_p50 = statistics.median(naive_ms)
    print(f"naive icontains search, {len(naive_ms)} of the same queries: p50 {naive_p50:.1f} ms")
    print(f"  full-text page, uncached, is {naive_p50 / uncached_p50:.1f}x faster at p50")
    median_kb, max_kb = statistics.median(fragment_bytes) / 1024, max(fragment_bytes) / 1024
    print(f"results fragment: median {median_kb:.1f} KB, max {max_kb:.1f} KB")
    slowest = sorted(zip(uncached_ms, mix, strict=True), key=lambda pair: -pair[0])[:5]
    print("  slowest uncached: " + "; ".join(f"{ms:.0f} ms {params}" for ms, params in slowest))


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
