from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from tests.factories import CourseFactory, TopicFactory

pytestmark = pytest.mark.django_db


def guide(client, career):
    return client.get(reverse("guides:career_detail", kwargs={"slug": career.slug}))


def section_html(response, anchor):
    return response.content.decode().split(f'<section id="{anchor}"', 1)[1].split("</section>", 1)[0]


def test_editor_picks_are_shown_with_their_totals(client, career):
    skills = career.sections.get(kind="skills")
    skills.picks.set(
        [
            CourseFactory(title="SQL Basics", price=Decimal("0"), duration_hours=Decimal("10")),
            CourseFactory(title="Advanced SQL", price=Decimal("49.99"), duration_hours=Decimal("20")),
            CourseFactory(title="SQL Book", kind="book", price=None),
        ]
    )

    html = section_html(guide(client, career), "skills")

    for title in ["SQL Basics", "Advanced SQL", "SQL Book"]:
        assert title in html
    assert "Together: 3 items, 30 hours, USD 49.99 (1 without a listed price). Free: 1 item, 10 hours." in html


def test_section_without_picks_recommends_best_rated_items_in_its_topics(client, career):
    sql = TopicFactory(name="SQL")
    CourseFactory(title="Top Rated SQL", rating=Decimal("4.9"), topics=[sql])
    CourseFactory(title="Good SQL", rating=Decimal("4.5"), topics=[sql])
    CourseFactory(title="Fine SQL", rating=Decimal("4.0"), topics=[sql])
    CourseFactory(title="Weak SQL", rating=Decimal("2.0"), topics=[sql])
    CourseFactory(title="Unpublished SQL", rating=Decimal("5.0"), topics=[sql], published=False)
    career.sections.get(kind="skills").topics.set([sql])

    html = section_html(guide(client, career), "skills")

    assert html.index("Top Rated SQL") < html.index("Good SQL") < html.index("Fine SQL")
    assert "Weak SQL" not in html  # three per section
    assert "Unpublished SQL" not in html


def test_unpublished_picks_are_not_shown(client, career):
    skills = career.sections.get(kind="skills")
    skills.picks.set([CourseFactory(title="Visible Pick"), CourseFactory(title="Hidden Pick", published=False)])

    response = guide(client, career)

    assertContains(response, "Visible Pick")
    assertNotContains(response, "Hidden Pick")


def test_sections_without_picks_or_topics_show_no_recommendations(client, career):
    assertNotContains(guide(client, career), "Recommended to go further")


def test_online_learning_section_of_the_demo_links_to_the_career_catalog(client):
    call_command("load_demo", stdout=StringIO())
    response = client.get(reverse("guides:career_detail", kwargs={"slug": "back-end-engineer"}))

    assertContains(response, 'href="/courses/?career=back-end-engineer"')
    catalog = client.get("/courses/?career=back-end-engineer")
    assert catalog.context["page"].paginator.count >= 80


def test_a_newly_imported_top_rated_item_joins_a_section_without_picks_at_once(client, career):
    sql = TopicFactory(name="SQL")
    career.sections.get(kind="skills").topics.set([sql])
    CourseFactory(title="SQL Basics", topics=[sql], rating=Decimal("4.1"))
    assertNotContains(guide(client, career), "SQL Masterclass")  # the ranking is cached now

    CourseFactory(title="SQL Masterclass", topics=[sql], rating=Decimal("4.9"))

    assert "SQL Masterclass" in section_html(guide(client, career), "skills")


@pytest.fixture
def past_the_page_cache(client):
    """A reader the page cache does not serve (any session cookie): the page is rendered for each request."""
    client.cookies["sessionid"] = "not-signed-in"
    return client


def test_changed_picks_show_at_once_when_the_page_is_rendered_again(past_the_page_cache, career):
    skills = career.sections.get(kind="skills")
    skills.picks.set([CourseFactory(title="First Pick")])
    assertContains(guide(past_the_page_cache, career), "First Pick")  # the choice is cached now

    skills.picks.set([CourseFactory(title="Second Pick")])

    html = section_html(guide(past_the_page_cache, career), "skills")
    assert "Second Pick" in html
    assert "First Pick" not in html


def test_changed_section_topics_and_course_edits_show_at_once(past_the_page_cache, career):
    sql, python = TopicFactory(name="SQL"), TopicFactory(name="Python")
    CourseFactory(title="SQL Basics", topics=[sql])
    pythonic = CourseFactory(title="Pythonic Code", topics=[python])
    skills = career.sections.get(kind="skills")
    skills.topics.set([sql])
    assertContains(guide(past_the_page_cache, career), "SQL Basics")

    skills.topics.set([python])
    assertNotContains(guide(past_the_page_cache, career), "SQL Basics")

    pythonic.title = "Fluent Python Code"
    pythonic.save()
    assert "Fluent Python Code" in section_html(guide(past_the_page_cache, career), "skills")


def test_each_recommendation_says_format_provider_price_and_hours(client, career):
    career.sections.get(kind="skills").picks.set(
        [
            CourseFactory(title="Free Course", provider__name="Coursera", price=Decimal("0"), duration_hours=12.5),
            CourseFactory(
                title="Paid Course",
                provider__name="Udemy",
                price=Decimal("19.99"),
                currency="EUR",
                duration_hours=Decimal("3.0"),
            ),
            CourseFactory(title="Unpriced Book", kind="book", provider=None, price=None, duration_hours=None),
        ]
    )

    html = section_html(guide(client, career), "skills")

    assert '<span class="muted">· Course · Coursera · free · 12.5 h</span>' in html
    assert '<span class="muted">· Course · Udemy · EUR 19.99 · 3 h</span>' in html
    assert '<span class="muted">· Book · price not listed</span>' in html
    assert "Together: 3 items, 15.5 hours, EUR 19.99 (1 without a listed price). Free: 1 item, 12.5 hours." in html


def test_totals_of_a_lone_unpriced_item(client, career):
    career.sections.get(kind="skills").picks.set([CourseFactory(price=None, duration_hours=None)])

    html = section_html(guide(client, career), "skills")

    assert "Together: 1 item, no listed cost (1 without a listed price). Free: 0 items." in html
