import re
from collections import Counter
from decimal import Decimal
from html import unescape
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
    assert '<p class="picks__totals">3 items · at least 30 hours · 1 free, 1 paid at USD 49.99</p>' in html


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
    assert '<span class="muted">· Book</span>' in html  # an unknown price is left out
    assert '<p class="picks__totals">3 items · at least 15.5 hours · 1 free, 1 paid at EUR 19.99</p>' in html


def test_totals_of_a_lone_unpriced_item_leave_out_what_is_unknown(client, career):
    career.sections.get(kind="skills").picks.set([CourseFactory(price=None, duration_hours=None)])

    html = section_html(guide(client, career), "skills")

    assert '<p class="picks__totals">1 item</p>' in html


@pytest.mark.parametrize(
    ("items", "totals"),
    [
        ([("0", "10"), ("0", "20"), ("0", "10")], "3 items · about 40 hours · free"),
        ([("0", None), ("0", None), ("49", None)], "3 items · 2 free, 1 paid at USD 49"),
        ([("49", "12"), ("20.50", "3.5")], "2 items · about 15.5 hours · USD 69.50 in total"),
        ([("49", None), ("49", None), (None, None)], "3 items · 2 paid at USD 98 in total"),
        ([("0", "6"), (None, None)], "2 items · at least 6 hours · 1 free"),
        ([(None, "6"), (None, None)], "2 items · at least 6 hours"),
    ],
)
def test_totals_read_as_a_plain_sentence_for_free_paid_and_unknown_mixes(client, career, items, totals):
    career.sections.get(kind="skills").picks.set(
        [
            CourseFactory(price=None if price is None else Decimal(price), duration_hours=hours and Decimal(hours))
            for price, hours in items
        ]
    )

    html = section_html(guide(client, career), "skills")

    assert f'<p class="picks__totals">{totals}</p>' in html
    assert "listed" not in html  # nothing announces what is not known


def test_totals_in_two_currencies_name_each(client, career):
    career.sections.get(kind="skills").picks.set(
        [CourseFactory(price=Decimal("10"), currency="USD"), CourseFactory(price=Decimal("19.99"), currency="EUR")]
    )

    html = section_html(guide(client, career), "skills")

    assert '<p class="picks__totals">2 items · EUR 19.99 and USD 10 in total</p>' in html


def recommended(response, anchor):
    """(title, why) of each item a section recommends, in the order a learner reads them."""
    html = section_html(response, anchor)
    items = re.findall(r'<li class="pick">.*?<a [^>]*>([^<]*)</a>.*?<span class="pick__why">([^<]*)</span>', html, re.S)
    return [(unescape(title), unescape(why)) for title, why in items]


def test_without_ratings_items_covering_more_of_the_section_come_first_with_the_reason(client, career):
    sql, postgres, go = TopicFactory(name="SQL"), TopicFactory(name="PostgreSQL"), TopicFactory(name="Go")
    CourseFactory(title="A First Look at SQL", topics=[sql])
    CourseFactory(title="Zen of PostgreSQL and SQL", topics=[sql, postgres])
    CourseFactory(title="Another SQL Primer", topics=[sql])
    CourseFactory(title="All About Go", topics=[go])
    career.sections.get(kind="skills").topics.set([postgres, sql])

    assert recommended(guide(client, career), "skills") == [
        ("Zen of PostgreSQL and SQL", "Top match for PostgreSQL and SQL"),
        ("A First Look at SQL", "Also covers SQL"),
        ("Another SQL Primer", "Also covers SQL"),
    ]


def test_an_item_mostly_about_the_topic_comes_before_one_that_touches_it_in_passing(client, career):
    postgres, go, docker, linux = (TopicFactory(name=name) for name in ["PostgreSQL", "Go", "Docker", "Linux"])
    CourseFactory(title="A Tour of Everything", topics=[postgres, go, docker, linux])
    CourseFactory(title="Backends in Go and PostgreSQL", topics=[postgres, go])
    CourseFactory(title="PostgreSQL Up Close", topics=[postgres])
    career.sections.get(kind="skills").topics.set([postgres])

    assert [title for title, _ in recommended(guide(client, career), "skills")] == [
        "PostgreSQL Up Close",
        "Backends in Go and PostgreSQL",
        "A Tour of Everything",
    ]


def test_equal_matches_go_by_rating_then_free_first_then_known_duration(client, career):
    sql = TopicFactory(name="SQL")
    common = {"topics": [sql]}
    CourseFactory(title="A Paid SQL Course With Hours", price=Decimal("30"), duration_hours=Decimal("5"), **common)
    CourseFactory(title="B Free SQL Course", price=Decimal("0"), **common)
    CourseFactory(title="C Free SQL Course With Hours", price=Decimal("0"), duration_hours=Decimal("5"), **common)
    CourseFactory(title="D Rated SQL Course", price=None, rating=Decimal("4.2"), **common)
    CourseFactory(title="E Unpriced SQL Course", price=None, duration_hours=Decimal("5"), **common)
    career.sections.get(kind="skills").topics.set([sql])

    assert recommended(guide(client, career), "skills") == [
        ("D Rated SQL Course", "Top match for SQL · rated 4.2 of 5"),
        ("C Free SQL Course With Hours", "Also covers SQL"),
        ("B Free SQL Course", "Also covers SQL"),
    ]


def test_editor_picks_say_they_are_the_editors_choice(client, career):
    career.sections.get(kind="skills").picks.set([CourseFactory(title="Hand-Picked SQL")])

    assert recommended(guide(client, career), "skills") == [("Hand-Picked SQL", "Editor's pick")]


def test_no_item_is_recommended_in_more_than_two_sections(client, career):
    sql = TopicFactory(name="SQL")
    CourseFactory(title="The One SQL Course", topics=[sql], rating=Decimal("4.9"))
    for title in ["Second SQL", "Third SQL", "Fourth SQL", "Fifth SQL", "Sixth SQL"]:
        CourseFactory(title=title, topics=[sql], rating=Decimal("4.0"))
    for section in career.sections.all():
        section.topics.set([sql])
    extra = career.sections.create(kind="other", heading="More SQL", position=40, published=True, body="More.")
    extra.topics.set([sql])

    response = guide(client, career)
    shown = {anchor: [title for title, _ in recommended(response, anchor)] for anchor in [
        "education", "skills", "tools", extra.anchor]}  # fmt: skip

    assert [anchor for anchor, titles in shown.items() if "The One SQL Course" in titles] == ["education", "skills"]
    assert all(len(titles) == 3 for titles in shown.values())
    appearances = Counter(title for titles in shown.values() for title in titles)
    assert max(appearances.values()) == 2


def test_an_editor_pick_counts_toward_the_two_sections_limit(client, career):
    sql = TopicFactory(name="SQL")
    star = CourseFactory(title="The One SQL Course", topics=[sql], rating=Decimal("4.9"))
    CourseFactory(title="Runner-up SQL", topics=[sql], rating=Decimal("4.0"))
    career.sections.get(kind="tools").picks.set([star])
    for kind in ["education", "skills"]:
        career.sections.get(kind=kind).topics.set([sql])

    response = guide(client, career)

    assert [title for title, _ in recommended(response, "education")] == ["The One SQL Course", "Runner-up SQL"]
    assert [title for title, _ in recommended(response, "skills")] == ["Runner-up SQL"]


def test_the_demo_guide_recommends_each_item_in_at_most_two_sections_each_with_a_reason(client):
    call_command("load_demo", stdout=StringIO())
    response = client.get(reverse("guides:career_detail", kwargs={"slug": "back-end-engineer"}))
    career = response.context["career"]

    shown = {section.anchor: recommended(response, section.anchor) for section in career.visible_sections}

    assert all(len(items) == 3 for items in shown.values())
    appearances = Counter(title for items in shown.values() for title, _ in items)
    assert max(appearances.values()) <= 2
    assert all(why.startswith(("Top match for ", "Also covers ")) for items in shown.values() for _, why in items)
    # Ranked by what they cover, not by title: the first items do not all start with "A".
    assert sum(items[0][0].startswith("A") for items in shown.values()) < len(shown) / 2
