"""Catalog searches are cached until the catalog changes: learners get the same answer faster, never a stale one."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories import CareerFactory, CourseFactory, TopicFactory

pytestmark = pytest.mark.django_db
LIST = reverse("courses:list")


def titles(response):
    return [course.title for course in response.context["page"].object_list]


def test_a_search_reads_only_its_page_of_courses(client, django_assert_max_num_queries, settings):
    settings.SEARCH_FRESHNESS_SECONDS = 60  # the change log was read a moment ago (production: at most once a second)
    go = TopicFactory(name="Go")
    CourseFactory.create_batch(25, topics=[go])
    first = client.get(LIST, {"q": "go", "level": "beginner", "sort": "rating", "page": "1"})

    with django_assert_max_num_queries(1):  # the 20 courses by id; counts and order come from the search index
        again = client.get(LIST, {"q": "Go ", "level": "beginner", "sort": "rating", "page": "1"})

    assert titles(again) == titles(first)
    assert again.context["page"].paginator.count == first.context["page"].paginator.count


def test_an_edited_title_is_searchable_at_once(client):
    course = CourseFactory(title="Intro to Rust")
    assert titles(client.get(LIST, {"q": "rust"})) == ["Intro to Rust"]

    course.title = "Intro to Zig"
    course.save()

    assert titles(client.get(LIST, {"q": "rust"})) == []
    assert titles(client.get(LIST, {"q": "zig"})) == ["Intro to Zig"]


def test_an_unpublished_course_leaves_cached_results_and_counts(client):
    course = CourseFactory(title="Kafka in Practice")
    CourseFactory(title="Kafka Streams")
    assert client.get(LIST, {"q": "kafka"}).context["page"].paginator.count == 2

    course.published = False
    course.save()

    response = client.get(LIST, {"q": "kafka"})
    assert titles(response) == ["Kafka Streams"]
    assert response.context["page"].paginator.count == 1


def test_a_career_gaining_a_topic_updates_the_career_facet(client):
    go, sql = TopicFactory(name="Go"), TopicFactory(name="SQL")
    CourseFactory(title="SQL Basics", topics=[sql])
    career = CareerFactory(slug="back-end-engineer")
    career.topics.set([go])
    assert titles(client.get(LIST, {"career": "back-end-engineer"})) == []

    career.topics.add(sql)

    assert titles(client.get(LIST, {"career": "back-end-engineer"})) == ["SQL Basics"]


def test_an_import_shows_new_items_in_a_search_already_cached(client, tmp_path):
    assert titles(client.get(LIST, {"q": "elixir"})) == []
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        json.dumps({"external_id": "e-1", "kind": "book", "title": "Elixir in Action", "url": "https://example.com/e"})
    )

    call_command("import_catalog", str(feed), "--source", "test", stdout=StringIO())

    assert titles(client.get(LIST, {"q": "elixir"})) == ["Elixir in Action"]
