"""A course or book's page: how a learner gets back to its topic and the guides that recommend it, what it is,
and where its button goes."""

import re
from decimal import Decimal

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from tests.factories import (
    CareerFactory,
    CourseFactory,
    GuideSectionFactory,
    OfferFactory,
    PartnerFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


def breadcrumbs(response) -> list[str]:
    trail = re.search(r'<nav[^>]*class="breadcrumbs".*?</nav>', response.content.decode(), re.S).group(0)
    return re.findall(r"<li[^>]*>(.*?)</li>", trail, re.S)


def test_breadcrumbs_lead_back_to_the_items_topic(client):
    sql, go = TopicFactory(name="SQL", slug="sql"), TopicFactory(name="Go", slug="go")
    course = CourseFactory(title="Go and SQL", topics=[sql, go])

    crumbs = breadcrumbs(client.get(course.get_absolute_url()))

    assert [re.sub(r"<[^>]+>", "", crumb).strip() for crumb in crumbs] == [
        "Home",
        "Courses and books",
        "Go",
        "Go and SQL",
    ]
    assert 'href="/topics/go/"' in crumbs[2]


def test_the_page_names_the_published_guides_that_recommend_the_item(client):
    go = TopicFactory(name="Go")
    course = CourseFactory(title="Go Basics", topics=[go])
    CareerFactory(name="Back End Engineer", slug="back-end-engineer").topics.set([go])
    CareerFactory(name="Secret Draft", published=False).topics.set([go])
    picks_it = GuideSectionFactory(career=CareerFactory(name="Site Reliability Engineer", slug="sre"))
    picks_it.picks.set([course])
    hidden_pick = GuideSectionFactory(career=CareerFactory(name="Data Engineer"), published=False)
    hidden_pick.picks.set([course])
    CareerFactory(name="Unrelated Guide")

    response = client.get(course.get_absolute_url())

    recommended = re.search(r'<p class="recommended-in">(.*?)</p>', response.content.decode(), re.S).group(1)
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', recommended) == [
        ("/careers/back-end-engineer/", "Back End Engineer"),
        ("/careers/sre/", "Site Reliability Engineer"),
    ]
    for name in ["Secret Draft", "Data Engineer", "Unrelated Guide"]:
        assertNotContains(response, name)


def test_an_item_no_guide_recommends_says_nothing_about_guides(client):
    course = CourseFactory(title="Lonely Course")

    assertNotContains(client.get(course.get_absolute_url()), 'class="recommended-in"')


def test_the_partner_button_says_where_it_goes_and_that_it_opens_in_this_tab(client):
    course = CourseFactory(title="Algorithms", url="https://www.coursera.org/learn/algorithms-part1")
    OfferFactory(course=course, partner=PartnerFactory(name="Coursera"), url=course.url)

    response = client.get(course.get_absolute_url())
    html = response.content.decode()

    button = re.search(r'<a class="button"[^>]*>[^<]*</a>', html).group(0)
    assert ">Go to Coursera</a>" in button
    assert 'rel="sponsored nofollow noopener"' in button
    assert "target=" not in button
    assertContains(response, "Partner link")
    assertContains(response, '<p class="go-note">Opens coursera.org in this tab.</p>')


def test_a_direct_button_names_the_site_it_opens(client):
    course = CourseFactory(title="CS50", url="https://cs50.harvard.edu/x/")

    response = client.get(course.get_absolute_url())

    assertContains(response, 'href="https://cs50.harvard.edu/x/" rel="noopener nofollow">Go to cs50.harvard.edu</a>')
    assertContains(response, '<p class="go-note">Opens cs50.harvard.edu in this tab.</p>')


def test_level_duration_and_rating_are_shown_when_known_and_left_out_when_not(client):
    known = CourseFactory(level="intermediate", duration_hours=Decimal("12.5"), rating=Decimal("4.60"), rating_count=10)
    unknown = CourseFactory(level="unknown", duration_hours=None, rating=None)

    shown = client.get(known.get_absolute_url())
    for text in [
        "<dt>Level</dt><dd>Intermediate</dd>",
        "<dt>Length</dt><dd>12.5 hours</dd>",
        "4.6 of 5 from 10 ratings",
    ]:
        assertContains(shown, text)
    left_out = client.get(unknown.get_absolute_url())
    for text in ["<dt>Level</dt>", "Not stated", "<dt>Length</dt>", "<dt>Rating</dt>"]:
        assertNotContains(left_out, text)
