"""Learners and search engines are told honestly which links are paid, on every page."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.factories import CourseFactory, OfferFactory, PartnerFactory, TopicFactory

pytestmark = pytest.mark.django_db


class LinkCollector(HTMLParser):
    """Every <a>: its attributes, and whether it sits inside a .partner-link wrapper next to its label."""

    def __init__(self):
        super().__init__()
        self.links, self.wrappers, self._open_wrappers = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "span" and "partner-link" in (attrs.get("class") or "").split():
            self._open_wrappers.append({"text": "", "hrefs": []})
        if tag == "a":
            self.links.append(attrs)
            for wrapper in self._open_wrappers:
                wrapper["hrefs"].append(attrs.get("href", ""))

    def handle_data(self, data):
        for wrapper in self._open_wrappers:
            wrapper["text"] += data

    def handle_endtag(self, tag):
        if tag == "span" and self._open_wrappers:
            self.wrappers.append(self._open_wrappers.pop())


def links_on(client, url):
    response = client.get(url)
    assert response.status_code in (200, 404), url
    collector = LinkCollector()
    collector.feed(response.content.decode())
    return collector


@pytest.fixture
def site(career):
    topic = TopicFactory(name="Go", slug="go")
    partner = PartnerFactory(name="Learnly")
    second = PartnerFactory(name="Bookshop", allowed_hosts="learn.example.com")
    course = CourseFactory(title="Go Services", topics=[topic])
    OfferFactory(course=course, partner=partner)
    OfferFactory(course=course, partner=second)
    CourseFactory(title="Go Without Partner", topics=[topic])
    career.topics.set([topic])
    return {"course": course, "topic": topic, "career": career}


def public_pages(site):
    return [
        reverse("guides:home"),
        reverse("guides:career_list"),
        site["career"].get_absolute_url(),
        reverse("courses:list"),
        reverse("courses:list") + "?q=go",
        site["course"].get_absolute_url(),
        reverse("courses:topic_list"),
        site["topic"].get_absolute_url(),
        reverse("courses:disclosure"),
        "/no-such-page/",
    ]


def test_every_partner_link_on_every_page_is_sponsored_and_labelled(client, site):
    seen = 0
    for url in public_pages(site):
        page = links_on(client, url)
        for link in page.links:
            if not link.get("href", "").startswith("/go/"):
                continue
            seen += 1
            assert set(link.get("rel", "").split()) >= {"sponsored", "nofollow", "noopener"}, url
        for wrapper in page.wrappers:
            assert "Partner link" in wrapper["text"], url
            assert reverse("courses:disclosure") in wrapper["hrefs"], url
        assert sum(href.startswith("/go/") for w in page.wrappers for href in w["hrefs"]) == sum(
            link.get("href", "").startswith("/go/") for link in page.links
        ), f"a partner link outside the labelled component on {url}"
    assert seen == 2  # the course page: its best offer and the other one


def test_every_page_links_to_the_disclosure_from_its_footer(client, site):
    for url in public_pages(site):
        hrefs = [link.get("href") for link in links_on(client, url).links]
        assert reverse("courses:disclosure") in hrefs, url


def test_a_course_without_offers_links_straight_to_the_course_with_no_partner_label(client, site):
    response = client.get(CourseFactory(title="Plain Course").get_absolute_url())

    assert b"/go/" not in response.content
    assert b"Partner link" not in response.content


def test_the_best_live_offer_comes_first_and_ended_ones_are_not_shown(client):
    course = CourseFactory()
    low = OfferFactory(course=course, partner=PartnerFactory(name="Low", commission_rate=5))
    high = OfferFactory(course=course, partner=PartnerFactory(name="High", commission_rate=20))
    ended = OfferFactory(course=course, partner=PartnerFactory(name="Ended"), active=False)

    html = client.get(course.get_absolute_url()).content.decode()

    assert html.index(high.get_absolute_url()) < html.index(low.get_absolute_url())
    assert ended.get_absolute_url() not in html


def test_the_disclosure_page_states_the_recommendation_rule_in_its_order(client):
    html = client.get(reverse("courses:disclosure")).content.decode()

    rule = html.split('id="recommendations"', 1)[1].split("</ol>", 1)[0]
    steps = re.findall(r"<li>(.*?)</li>", rule, re.S)
    # The order of CourseQuerySet.best_ids_for_topic_sets: topic match strength, rating, free first, duration known.
    wanted = ["cover more of the section", "higher-rated", "free items", "length is known"]
    found = [next((n for n, step in enumerate(steps) if phrase in step), None) for phrase in wanted]
    assert None not in found, dict(zip(wanted, found, strict=True))
    assert found == sorted(found)
    assert "pick" in rule  # and that an editor's pick says so


def test_the_disclosure_page_says_commissions_never_change_rankings(client):
    response = client.get(reverse("courses:disclosure"))

    assert response.status_code == 200
    assert b"never change" in response.content
