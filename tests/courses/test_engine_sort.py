"""Sorted catalog pages come from the search index: every page in the exact order the database gave before
(ties by title ignoring case and accents, then id), without sending a broad search's ids to the database."""

import datetime as dt
import itertools
import unicodedata
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses import search_index
from courses.models import Course
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db
LIST = reverse("courses:list")

# Titles whose first 8, 24 or 40 letters are the same, that differ only in case, accents or punctuation
# (a space sorts before a hyphen), and a title given twice.
STEMS = [
    "Introduction to Programming Languages and Compilers, part {}",
    "introduction to programming languages and compilers, Part {}",
    "Introduction to Programming {}",
    "Introduction to programming-{}",
    "Introduction to programming {}",
    "Éclair course {}",
    "eclair course {}",
    "Élan course {}",
    "zeta course {}",
    "Same title course",
]


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def expected(courses, sort: str) -> list[int]:
    def title(course):
        return (fold(course.title), course.title)

    keys = {
        "title": lambda c: (title(c), c.pk),
        "rating": lambda c: (c.rating is None, -(c.rating or 0), -c.rating_count, title(c), c.pk),
        "newest": lambda c: (-c.created_at.timestamp(), title(c), c.pk),
        "price": lambda c: (c.price is None, c.price or 0, title(c), c.pk),
    }
    return [course.pk for course in sorted(courses, key=keys[sort])]


@pytest.fixture
def tied_catalog():
    ratings = itertools.cycle([None, Decimal("4.50"), Decimal("4.50"), Decimal("3.10"), Decimal("5.00")])
    counts = itertools.cycle([0, 10, 10, 3])
    prices = itertools.cycle([None, Decimal("0"), Decimal("19.99"), Decimal("19.99"), Decimal("120.00")])
    moments = itertools.cycle([0, 0, 1, 2, 2, 2])
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=3)
    for n in range(3):
        for stem in STEMS:
            course = CourseFactory(
                title=stem.format(n), rating=next(ratings), rating_count=next(counts), price=next(prices)
            )
            moment = start + dt.timedelta(seconds=next(moments), microseconds=next(moments))
            Course.objects.filter(pk=course.pk).update(created_at=moment)  # no signal: the index is rebuilt below
    CourseFactory(title="Unpublished course", published=False)
    search_index.build()
    return list(Course.objects.published())


def page_ids(client, params: dict) -> list[int]:
    ids, page = [], 1
    while True:
        response = client.get(LIST, {**params, "page": page})
        ids += [course.pk for course in response.context["page"].object_list]
        if not response.context["page"].has_next():
            return ids
        page += 1


@pytest.mark.parametrize("sort", ["title", "rating", "newest", "price"])
def test_every_page_of_a_sorted_search_is_in_exact_order(client, tied_catalog, sort):
    assert page_ids(client, {"q": "course", "sort": sort}) == expected(tied_catalog, sort)


@pytest.mark.parametrize("sort", ["title", "rating", "newest", "price"])
def test_every_page_of_the_sorted_catalog_is_in_exact_order(client, tied_catalog, sort):
    assert page_ids(client, {"sort": sort}) == expected(tied_catalog, sort)


def test_the_catalog_without_a_search_is_best_rated_first(client, tied_catalog):
    assert page_ids(client, {}) == expected(tied_catalog, "rating")


def test_a_sorted_search_reads_only_its_page_from_the_database(client, tied_catalog):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"q": "course", "sort": "title", "page": 2})

    assert len(response.context["page"].object_list) == 10
    sql = " ".join(query["sql"] for query in queries.captured_queries).lower()
    assert "json_each" not in sql
    assert "unnest" not in sql  # the engine's ids of every match are never sent: only the page's


def test_an_index_built_with_an_older_schema_is_rebuilt(client, tied_catalog):
    import tantivy

    older = tantivy.SchemaBuilder()  # an index of a release before the sort keys existed
    older.add_integer_field("id", stored=True, indexed=True, fast=True)
    generation = search_index.root() / "gen-older"
    generation.mkdir()
    tantivy.Index(older.build(), path=str(generation)).writer(heap_size=15_000_000, num_threads=1).commit()
    search_index.Cursor(last_id=10**9).write(generation)
    search_index._switch_to(generation)
    search_index._live.clear()

    response = client.get(LIST, {"q": "course", "sort": "title"})

    assert response.status_code == 200
    assert [course.pk for course in response.context["page"].object_list] == expected(tied_catalog, "title")[:20]
    assert search_index.live_generation() != generation


@pytest.mark.parametrize("sort", ["title", "rating", "newest", "price"])
@pytest.mark.parametrize("size", [1, 3, 7])
def test_pages_of_any_size_split_ties_without_losing_or_repeating_an_item(tied_catalog, sort, size):
    from courses.search_engine import sorted_ids

    pages = [sorted_ids("course", {}, sort, offset=start, limit=size) for start in range(0, 40, size)]

    assert [pk for page in pages for pk in page] == expected(tied_catalog, sort)
