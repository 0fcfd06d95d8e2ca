"""Catalog search speed on a synthetic catalog (50,000 courses + 100,000 books by default).

Builds the search index (time, size), then times a fixed, seeded mix of queries through the catalog view
itself (search, filters, page, count and every facet count, rendered) cold: every cache emptied before each
query. Beside it: the engine alone (counts and the first page's ids), typeahead suggestions, the worker's
resident memory, a naive icontains search over title and description on the same data, the figures of the
search it replaced, and the size of the HTMX results fragment. Prints figures; asserts nothing.

Usage: .venv/bin/python bench/search.py [--backend postgresql|sqlite|both] [--queries 200] [--million] [--sorts]
(--million: 330,000 courses + 670,000 books, in a database of its own; --sorts: only the index build and the
sorted searches.)
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
# The search this engine replaced (tsvector + GIN / FTS5, each search's counts cached), uncached, from
# bench/README.md (2026-11-25, this script's mix at 150,000 items).
OLD = {"postgresql": "27.0 / 163.1 ms", "sqlite": "25.7 / 113.9 ms"}


def ensure_catalog():
    from django.core.management import call_command
    from django.db import connection

    from courses.models import Course
    from courses.services import load_demo_catalog

    call_command("migrate", verbosity=0)
    if Course.objects.filter(source=f"synthetic-{SEED}").count() < COURSES + BOOKS:
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


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


SORTED_SEARCHES = [
    {"q": "python", "sort": sort, **page}
    for sort in ("title", "rating", "newest", "price")
    for page in ({}, {"page": "50"}, {"kind": "book", "page": "400"})
]


def time_sorts(client, repeats: int = 5):
    """A broad search in every sort, on its first page and deep pages, cold (a parameter never seen before)."""
    print(f"sorted searches through the view, cold, median of {repeats}:")
    for params in SORTED_SEARCHES:
        timings = []
        for n in range(repeats):
            start = time.perf_counter()
            response = client.get("/courses/", {**params, "fresh": f"sort-{n}-{time.time_ns()}"})
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (params, response.status_code)
        shown = "&".join(f"{key}={value}" for key, value in params.items())
        print(f"  {shown:<40} {statistics.median(timings):7.1f} ms   max {max(timings):7.1f} ms", flush=True)


def worker(backend: str, queries: int, million: bool = False, sorts_only: bool = False):
    global COURSES, BOOKS
    if million:
        COURSES, BOOKS = 330_000, 670_000
    django_for(backend, database="careerguide_bench_1m" if million else "careerguide_bench")
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from courses import search_engine, search_index

    print(f"\n== {backend} ==", flush=True)
    ensure_catalog()
    settings.PAGE_RENDER_RATE = "100000000/m"  # one client asks for every page: no 429s
    settings.SEARCH_INDEX_DIR = settings.VAR_DIR / "bench" / f"search-index-{backend}{'-1m' if million else ''}"
    mix = query_mix(queries, SEED)
    before_index = rss_mb()
    start = time.perf_counter()
    generation = search_index.build()
    build_s = time.perf_counter() - start
    size_mb = sum(path.stat().st_size for path in generation.iterdir() if path.is_file()) / 1e6
    print(f"index build: {build_s:.1f} s for {search_index.status()['documents_in_index']:,} items, {size_mb:.0f} MB")
    client = Client(HTTP_HOST="localhost")
    client.get("/courses/", {"q": "warm up"})
    time_sorts(client)
    if sorts_only:
        return

    print(f"catalog page, {len(mix)} queries with facet counts ({connection.vendor}):")
    # A search nobody made before: an extra parameter keeps the page cache from storing or serving it, so every
    # request runs the engine, counts, fetches and renders (other cached reads, such as providers' sites, stay).
    fresh = [{**params, "fresh": str(n)} for n, params in enumerate(mix)]
    cold_ms = time_mix(client, fresh)
    cold_p50 = report("cold: a new search every request", cold_ms, mix)

    def empty_every_cache():
        cache.clear()
        search_engine._prefix.cache_clear()

    everything_cold = time_mix(client, mix, before_each=empty_every_cache)
    report("everything cold (every cache emptied before each)", everything_cold, mix)

    engine_ms = []
    for params in mix:
        filters = {"q": params["q"], **{k: [v] for k, v in params.items() if k not in ("q", "certificate")}}
        filters["certificate"] = params.get("certificate") == "1"
        search_engine._prefix.cache_clear()  # cold: the pages above have built these queries already
        started = time.perf_counter()
        search_engine.counts(filters["q"], filters)
        search_engine.ranked_ids(filters["q"], filters, limit=20)
        engine_ms.append((time.perf_counter() - started) * 1000)
    report("the engine alone (counts, total, top 20 ids)", engine_ms, mix)

    typeahead_ms = []
    for params in mix:
        for length in (2, 3, 5):
            started = time.perf_counter()
            search_engine.suggest(params["q"][:length])
            typeahead_ms.append((time.perf_counter() - started) * 1000)
    report(f"typeahead suggest() ({len(typeahead_ms)} prefixes)", typeahead_ms, mix)
    print(f"worker RSS: {before_index:.0f} MB before the index, {rss_mb():.0f} MB after the mix")

    fragment_bytes = [len(client.get("/courses/", params, headers={"HX-Request": "true"}).content) for params in mix]
    naive_ms = []
    for params in mix[: max(20, queries // 5)]:  # the naive search is slow; a fifth of the mix is enough
        start = time.perf_counter()
        naive_search(params)
        naive_ms.append((time.perf_counter() - start) * 1000)
    naive_p50 = statistics.median(naive_ms)
    print(f"naive icontains search, {len(naive_ms)} of the same queries: p50 {naive_p50:.1f} ms")
    print(f"  the engine's page, cold, is {naive_p50 / cold_p50:.1f}x faster at p50")
    print(f"  replaced (tsvector/FTS5 + cache, 2026-11-25, bench/README.md): uncached p50/p95 {OLD[backend]}")
    median_kb, max_kb = statistics.median(fragment_bytes) / 1024, max(fragment_bytes) / 1024
    print(f"results fragment: median {median_kb:.1f} KB, max {max_kb:.1f} KB")
    slowest = sorted(zip(cold_ms, mix, strict=True), key=lambda pair: -pair[0])[:5]
    print("  slowest cold: " + "; ".join(f"{ms:.0f} ms {params}" for ms, params in slowest))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--million", action="store_true", help="1,000,000 items instead of 150,000")
    parser.add_argument("--sorts", action="store_true", help="only the index build and the sorted searches")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.queries, args.million, args.sorts)
        return
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    extra = [*(["--million"] if args.million else []), *(["--sorts"] if args.sorts else [])]
    run_per_backend(__file__, backends, ["--queries", str(args.queries), *extra])


if __name__ == "__main__":
    main()
