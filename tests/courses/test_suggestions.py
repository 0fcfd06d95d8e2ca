"""The search boxes' typeahead: what a learner is offered while typing (courses.views.course_suggestions)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from tests.factories import CareerFactory, CourseFactory, TopicFactory

pytestmark = pytest.mark.django_db
SUGGEST = reverse("courses:suggest")


@pytest.fixture
def catalog():
    postgres = TopicFactory(name="PostgreSQL", slug="postgresql", synonyms="postgres, psql")
    CourseFactory(title="PostgreSQL for Everybody", topics=[postgres], price=Decimal(0))
    CourseFactory(title="Mastering PostgreSQL", kind="book", topics=[postgres])
    CourseFactory(title="Postgres Draft", topics=[postgres], published=False)
    CareerFactory(name="Back End Engineer", slug="back-end-engineer").topics.set([postgres])


def options(response) -> list[tuple[str, str, str]]:
    """(label, kind, href) of each option, in order."""
    html = response.content.decode()
    found = re.findall(
        r'<li role="option"[^>]*data-href="([^"]+)">(.*?)(?: <span class="suggest__kind">(\w+)</span>)?</li>', html
    )
    return [(label, kind, href) for href, label, kind in found]


def test_typing_the_start_of_a_topic_offers_the_topic_first_then_published_titles(client, catalog):
    response = client.get(SUGGEST, {"q": "postg"})

    assert options(response)[0] == ("PostgreSQL", "Topic", "/topics/postgresql/")
    labels = [label for label, _, _ in options(response)]
    assert {"PostgreSQL for Everybody", "Mastering PostgreSQL"} <= set(labels)
    assert "Postgres Draft" not in labels  # never an unpublished item
    assert ("Mastering PostgreSQL", "Book") in [(label, kind) for label, kind, _ in options(response)]


def test_a_synonym_and_a_career_are_offered_under_their_own_names(client, catalog):
    assert options(client.get(SUGGEST, {"q": "psql"}))[0][:2] == ("PostgreSQL", "Topic")
    assert ("Back End Engineer", "Career", "/courses/?career=back-end-engineer") in options(
        client.get(SUGGEST, {"q": "back"})
    )


def test_the_fragment_is_small_private_and_only_options(client, catalog):
    for number in range(12):
        CourseFactory(title=f"PostgreSQL Deep Dive Part {number} " + "with a long subtitle " * 3)

    response = client.get(SUGGEST, {"q": "postgresql"})

    assert len(options(response)) == 8
    assert len(response.content) <= 6 * 1024
    assert response["Cache-Control"] == "no-store"
    assert "<html" not in response.content.decode()


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "title:x", "AND OR NOT", '"unbalanced', "post*", "post~2", "post^3", "(([[{", "x" * 10_000,
     "post\x00gres", "\u200b\u200b", "😀 postgres", "postgres)"],
)  # fmt: skip
def test_any_text_gets_a_list_never_an_error(client, catalog, typed):
    response = client.get(SUGGEST, {"q": typed})

    assert response.status_code == 200
    assert all(href.startswith("/") for _, _, href in options(response))  # only our own pages


def test_without_javascript_the_boxes_are_plain_search_forms(client, catalog):
    """The combobox roles come from static/js/suggest.js: served markup is a search box that submits."""
    for path in (reverse("guides:home"), reverse("courses:list")):
        response = client.get(path)
        assertContains(response, "data-suggest-url")
        assertNotContains(response, 'role="combobox"')
