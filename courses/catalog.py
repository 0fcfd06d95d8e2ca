"""The catalog as /courses/ shows it: one page of results with every facet count, from the search index
(courses.search_engine), and the catalog's other cached reads (related items, best in topic, popular topics).

Those reads are cached under a *catalog version* (careerguide/cache_versions.py): any change to what they
show (a course, topic, provider or career saved or deleted, a topic or career link changed, an import batch
committed) sets a new version. Cached ids are read back through `published()` all the same: an unpublish is
never undone by an invalidation the cache failed to receive.
"""

import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Count, F

from careerguide import cache_versions
from careerguide.database.base import heavy_queries
from careerguide.page_cache import pages_changed
from courses import search_engine
from courses.models import Course, Topic
from courses.models.catalog import site_of

PAGE_SIZE = 20
VERSION_KEY = "courses:catalog-version"
ENTRY_TIMEOUT = 6 * 3600  # a backstop only: a new version is what retires entries


def catalog_version() -> str:
    return cache_versions.current(VERSION_KEY)


def catalog_changed(**_signal_kwargs) -> None:
    """Retire every cached search, and the cached pages that show the catalog. Also a signal receiver,
    hence the ignored keyword arguments.
    """
    cache_versions.replace(VERSION_KEY)
    pages_changed()


@dataclass(frozen=True)
class CatalogPage:
    page: Page
    counts: dict
    did_you_mean: str | None


def search_catalog(filters: dict, page_number) -> CatalogPage:
    """Courses and books for the catalog's filters (see CourseFilterForm.filters): the page asked for
    (clamped to the ones that exist), the facet counts, and a suggestion when nothing matches.

    Nothing is cached in front of the engine: counts and a ranked page take a few milliseconds even for a
    broad search (bench/search.py), and a cache would have to follow every host's index.
    """
    counts = search_engine.counts(filters["q"], filters)
    if filters["q"] and filters["sort"] == "relevance":
        results = _RankedResults(filters)
    else:  # without a search, "best match" is best rated (search_engine.sorted_ids)
        results = _SortedResults(filters, "rating" if filters["sort"] == "relevance" else filters["sort"])
    paginator = Paginator(results, PAGE_SIZE)
    paginator.count = counts["total"]  # counted with the facets
    page = paginator.get_page(page_number)
    page.object_list = list(page.object_list)
    did_you_mean = search_engine.did_you_mean(filters["q"]) if filters["q"] and not counts["total"] else None
    return CatalogPage(page=page, counts=counts, did_you_mean=did_you_mean)


class _RankedResults:
    """The matches of a search in the index's rank order, for the Paginator: a page is one engine call for
    its ids and one query for its courses (through published(): an item unpublished a moment ago is left out).
    """

    def __init__(self, filters: dict):
        self.filters = filters

    def count(self) -> int:
        return search_engine.counts(self.filters["q"], self.filters)["total"]

    def __getitem__(self, window: slice):
        ids = search_engine.ranked_ids(
            self.filters["q"], self.filters, offset=window.start or 0, limit=window.stop - (window.start or 0)
        )
        by_id = Course.objects.published().select_related("provider").in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]


class _SortedResults(_RankedResults):
    """The matches in a sort's order, from the index's sort keys (search_engine.sorted_ids): as fast on the
    last page of a broad search as on the first, and only the page's rows are read from the database.
    """

    def __init__(self, filters: dict, sort: str):
        super().__init__(filters)
        self.sort = sort

    def __getitem__(self, window: slice):
        start = window.start or 0
        ids = search_engine.sorted_ids(
            self.filters["q"], self.filters, self.sort, offset=start, limit=window.stop - start
        )
        by_id = Course.objects.published().select_related("provider").in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]


def tell_namesakes_apart(facet_options: list[dict]) -> None:
    """Adds where each provider is to the label of providers with near-identical names, shown side by side:
    "MIT (csail.mit.edu)", "MIT OpenCourseWare (ocw.mit.edu)", "MIT Press (mitpress.mit.edu)". Nothing is
    read unless such names are shown; each provider's site is then cached until the catalog changes.
    """
    providers = next((facet["options"] for facet in facet_options if facet["name"] == "provider"), [])
    by_stem = defaultdict(list)
    for option in providers:
        by_stem[_name_stem(str(option["label"]))].append(option)
    namesakes = [option for group in by_stem.values() if len(group) > 1 for option in group]
    if not namesakes:
        return
    version = catalog_version()
    keys = {
        option["value"]: _key(version, "provider-site", {"q": "", "provider": option["value"]}) for option in namesakes
    }
    found = cache.get_many(list(keys.values()))
    missing = [slug for slug, key in keys.items() if key not in found]
    if missing:
        sites = _provider_sites(missing)
        cache.set_many({keys[slug]: sites.get(slug, "") for slug in missing}, ENTRY_TIMEOUT)
        found.update({keys[slug]: sites.get(slug, "") for slug in missing})
    for option in namesakes:
        if site := found.get(keys[option["value"]]):
            option["label"] = f"{option['label']} ({site})"


def _name_stem(name: str) -> str:
    """The first word of a name that tells it apart ("MIT" of "MIT Press"), ignoring "The"."""
    words = re.findall(r"\w+", name.lower())
    words = words[1:] if words[:1] == ["the"] and len(words) > 1 else words
    return words[0] if words else name


def _provider_sites(slugs: list[str], *, sample: int = 20) -> dict[str, str]:
    """Each provider's site: its website's host, or the host its items' addresses share
    (pdos.csail.mit.edu and missing.csail.mit.edu → csail.mit.edu), else the commonest one.

    `sample` items a provider. Where the database allows (PostgreSQL), each provider is read on its own index, all
    in one statement (a UNION ALL): one read of all their items together took every row from the first
    providers (a small one could get no site), and at 1,000,000 items it ran past the web request's 1 s
    deadline. SQLite (the development database, with no deadline) takes that one read. Cached afterwards.
    """
    rows = Course.objects.published().order_by().values_list("provider__slug", "provider__website", "url")
    if connections[rows.db].features.supports_slicing_ordering_in_compound:
        samples = [rows.filter(provider__slug=slug)[:sample] for slug in slugs]
        rows = samples[0].union(*samples[1:], all=True)
    else:
        rows = rows.filter(provider__slug__in=slugs)[: sample * len(slugs)]
    hosts = defaultdict(Counter)
    for slug, website, url in rows:
        if host := site_of(website or url):
            hosts[slug][host] += 1
    sites = {}
    for slug, counter in hosts.items():
        labels = [host.split(".")[::-1] for host in counter]
        shared = []
        for parts in zip(*labels, strict=False):
            if len(set(parts)) > 1:
                break
            shared.append(parts[0])
        sites[slug] = ".".join(shared[::-1]) if len(shared) >= 2 else counter.most_common(1)[0][0]
    return sites


def popular_topics(*, count: int = 6) -> list[Topic]:
    """The topics with the most published items, offered when a search finds nothing: counted by the search
    index (a few milliseconds), the topics read by id."""
    ids = search_engine.popular_topic_ids(count=count)
    by_id = Topic.objects.in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def best_in_topics(topic_sets, *, per_set: int) -> dict[tuple[int, ...], list[tuple[Course, tuple[int, ...]]]]:
    """The `per_set` best matches among published courses for each set of topic ids (a guide section's topics),
    by the rule of CourseQuerySet.best_ids_for_topic_sets:
    {sorted topic ids: [(course, ids of the set's topics it has), …]}.

    Ranking reads every link of the topics, so the ids are cached until the catalog changes; the courses
    themselves are one query by id, through published() again (an unpublish whose invalidation was lost).
    """
    topic_sets = sorted({tuple(sorted(set(topics))) for topics in topic_sets if topics})
    if not topic_sets:
        return {}
    key = _key(catalog_version(), "best-matches", {"q": "", "topic_sets": topic_sets, "per_set": per_set})
    ranked = cache.get(key)
    if ranked is None:
        with heavy_queries():  # seconds at 150,000 items (bench/guide_recommendations.py): cached afterwards
            ranked = Course.objects.published().best_ids_for_topic_sets(topic_sets, per_set=per_set)
        cache.set(key, ranked, ENTRY_TIMEOUT)
    wanted = {course_id for found in ranked.values() for course_id, _ in found}
    courses = Course.objects.published().select_related("provider").in_bulk(wanted)
    return {
        topics: [(courses[course_id], tuple(matched)) for course_id, matched in found if course_id in courses]
        for topics, found in ranked.items()
    }


def related_courses(course: Course, topics, *, count: int = 6) -> list[Course]:
    """Published items sharing the most topics with `course`, best rated first. Counting shared topics reads
    every item of the course's topics (tens of thousands for Python), so the ids are cached until the
    catalog changes.
    """

    def key(version):
        return _key(version, "related", {"q": "", "course": course.pk, "count": count})

    version, ids = cache_versions.current_entry(VERSION_KEY, key)
    if ids is None:
        with heavy_queries():
            ids = list(
                Course.objects.published()
                .filter(topics__in=topics)
                .exclude(pk=course.pk)
                .annotate(shared=Count("topics"))
                .order_by("-shared", F("rating").desc(nulls_last=True), "title")
                .values_list("pk", flat=True)[:count]
            )
        cache.set(key(version), ids, ENTRY_TIMEOUT)
    by_id = Course.objects.published().select_related("provider").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def _key(version: str, name: str, filters: dict) -> str:
    normalized = {**filters, "q": " ".join(filters["q"].lower().split())}
    digest = hashlib.sha256(json.dumps(normalized, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f"courses:{name}:{version}:{digest}"
