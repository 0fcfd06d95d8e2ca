from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from courses.models import Topic
from tests.db import HEAVY_BLOCK
from tests.factories import CareerFactory, CourseFactory, TopicFactory

pytestmark = pytest.mark.django_db


def topic_page(client, topic):
    return client.get(reverse("courses:topic_detail", kwargs={"slug": topic.slug}))


def test_a_topic_page_opens_with_an_intro_in_learner_words_not_search_shorthand(client):
    python = TopicFactory(
        name="Python", synonyms="py, python3", description="Python is a readable language used all over back ends."
    )
    CourseFactory(title="Python Basics", topics=[python])

    response = topic_page(client, python)

    assertContains(response, '<p class="lead">Python is a readable language used all over back ends.</p>')
    assertNotContains(response, "Also searched as")
    assertNotContains(response, "python3")  # not on the page, nor in its description for search engines


def test_a_topic_without_a_description_still_gets_a_short_intro(client):
    go = TopicFactory(name="Go", synonyms="golang")
    CourseFactory(title="Go Basics", topics=[go])

    response = topic_page(client, go)

    assertContains(response, '<p class="lead">Courses and books that teach Go, and the career guides that use it.</p>')
    assertNotContains(response, "golang")


def test_a_topic_page_lists_the_published_guides_that_use_it(client):
    sql = TopicFactory(name="SQL")
    CourseFactory(title="SQL Basics", topics=[sql])
    backend = CareerFactory(name="Back End Engineer", slug="back-end-engineer")
    analyst = CareerFactory(name="Data Analyst", slug="data-analyst")
    draft = CareerFactory(name="Database Administrator", published=False)
    other = CareerFactory(name="Designer")
    for career in (backend, analyst, draft):
        career.topics.add(sql)

    response = topic_page(client, sql)

    html = response.content.decode()
    guides = html.split('<section class="topic-guides"', 1)[1].split("</section>", 1)[0]
    assert "Guides that use SQL" in guides
    assert guides.index('<a href="/careers/back-end-engineer/">Back End Engineer</a>') < guides.index(
        '<a href="/careers/data-analyst/">Data Analyst</a>'
    )
    assert draft.name not in html
    assert other.name not in html


def test_a_topic_no_guide_uses_shows_no_empty_guides_box(client):
    rust = TopicFactory(name="Rust")
    CourseFactory(title="Rust Basics", topics=[rust])

    assertNotContains(topic_page(client, rust), "topic-guides")


def test_a_topic_page_puts_items_mostly_about_the_topic_first_when_nothing_is_rated(client):
    sql, go, docker = TopicFactory(name="SQL"), TopicFactory(name="Go"), TopicFactory(name="Docker")
    CourseFactory(title="A Survey of Everything", topics=[sql, go, docker], price=Decimal("0"))
    CourseFactory(title="SQL in Depth", topics=[sql])

    html = topic_page(client, sql).content.decode()

    assert html.index("SQL in Depth") < html.index("A Survey of Everything")


def test_topic_page_queries_do_not_grow_with_items_or_guides(client, django_assert_max_num_queries):
    sql = TopicFactory(name="SQL")
    CourseFactory.create_batch(25, topics=[sql])
    for career in CareerFactory.create_batch(5):
        career.topics.add(sql)

    # topic, count, ranked ids, those items with providers, guides
    with django_assert_max_num_queries(5 + HEAVY_BLOCK):
        response = topic_page(client, sql)

    assert response.content.decode().count('<li><h3><a href="/courses/') == 20


def test_the_demo_gives_each_topic_an_intro_and_keeps_an_editors_own(client):
    TopicFactory(name="Go", description="Our editor's words about Go.")
    TopicFactory(name="Rust")  # made before the demo, never described

    call_command("load_demo", stdout=StringIO())

    assert not Topic.objects.filter(description="").exists()
    assert Topic.objects.get(name="Go").description == "Our editor's words about Go."
    python = Topic.objects.get(name="Python")
    assertContains(topic_page(client, python), f'<p class="lead">{python.description}</p>')
    assertContains(topic_page(client, python), '<a href="/careers/back-end-engineer/">Back End Engineer</a>')
