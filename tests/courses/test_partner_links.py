"""The tracked partner redirect: commission tags, no open redirect, honest counting, no lost clicks."""

import json
import os
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import OperationalError, connection
from django.urls import reverse

from courses.models import Click, Course, Offer, Partner
from courses.tracking import ClickSpool
from tests.factories import CourseFactory, OfferFactory, PartnerFactory, TopicFactory

pytestmark = pytest.mark.django_db
BROWSER = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Mobile"


def go(client, offer, **headers):
    headers.setdefault("User-Agent", BROWSER)
    return client.get(offer.get_absolute_url(), headers=headers)


def database_down(execute, sql, params, many, context):
    raise OperationalError("connection refused (test)")


@pytest.fixture
def partner():
    return PartnerFactory(
        name="Learnly",
        allowed_hosts="learn.example.com\n*.partner.example",
        tag_parameters="utm_source=careerguide&aff={tag}",
    )


# -- where the learner lands ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "expected_query", "fragment"),
    [
        ("https://learn.example.com/go-course", {"utm_source": ["careerguide"], "aff": ["cg 1&x"]}, ""),
        (
            "https://learn.example.com/go-course?lang=en&utm_source=newsletter",
            {"lang": ["en"], "utm_source": ["careerguide"], "aff": ["cg 1&x"]},
            "",
        ),
        (
            "https://learn.example.com/go-course?lang=en#syllabus",
            {"lang": ["en"], "utm_source": ["careerguide"], "aff": ["cg 1&x"]},
            "syllabus",
        ),
        ("https://learn.example.com/go-course#top", {"utm_source": ["careerguide"], "aff": ["cg 1&x"]}, "top"),
    ],
)
def test_redirect_adds_the_commission_tag_and_keeps_the_destination(client, partner, stored, expected_query, fragment):
    offer = OfferFactory(partner=partner, url=stored, commission_tag="cg 1&x")

    response = go(client, offer)

    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert (target.scheme, target.hostname, target.path) == ("https", "learn.example.com", "/go-course")
    assert parse_qs(target.query) == expected_query
    assert target.fragment == fragment


def test_a_link_template_wraps_the_encoded_destination(client):
    partner = PartnerFactory(
        allowed_hosts="learn.example.com\ntrack.partner.example",
        tag_parameters="",
        link_template="https://track.partner.example/t?url={url}&sub={click_id}&tag={tag}",
    )
    offer = OfferFactory(partner=partner, url="https://learn.example.com/c?a=1&b=2", commission_tag="spring")

    response = go(client, offer)

    target = urlsplit(response["Location"])
    query = parse_qs(target.query)
    assert target.hostname == "track.partner.example"
    assert query["url"] == ["https://learn.example.com/c?a=1&b=2"]
    assert query["sub"] == [str(Click.objects.get().click_id)]
    assert query["tag"] == ["spring"]


def test_redirect_headers_keep_it_out_of_caches_and_search_engines(client, partner):
    response = go(client, OfferFactory(partner=partner))

    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize(
    "query",
    [
        "?url=https://evil.com",
        "?next=//evil.com",
        "?url=%2F%2Fevil.com",
        "?to=https:%5C%5Cevil.com",
        "?u=%0d%0aLocation:%20https://evil.com",
    ],
)
def test_no_request_parameter_chooses_the_destination(client, partner, query):
    offer = OfferFactory(partner=partner)

    response = client.get(offer.get_absolute_url() + query, headers={"User-Agent": BROWSER})

    assert urlsplit(response["Location"]).hostname == "learn.example.com"


@pytest.mark.parametrize(
    "path",
    [
        "/go/%2F%2Fevil.com/",
        "/go/https:%2F%2Fevil.com/",
        "/go/%5C%5Cevil.com/",
        "/go/abc%0d%0aLocation:%20https:%2F%2Fevil.com/",
        "/go/%E2%80%AEmoc.live/",
        "/go/" + "a" * 5000 + "/",
    ],
)
def test_forged_tokens_get_a_not_found_page_and_no_redirect(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert "Location" not in response
    assert Click.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.com/course",
        "https://learn.example.com.evil.com/course",
        "https://learn.example.com\\@evil.com/",
        "https://learn.example.com\\evil.com/",
        "https://user@learn.example.com/",
        "https://learn.example.com/\r\nLocation: https://evil.com",
        "https://l\u0435arn.example.com/",  # a Cyrillic "e": looks like our host, is not
        "//learn.example.com/",
        "javascript:alert(1)",
        "https://partner.example.evil.com/",
        "ftp://learn.example.com/",
    ],
)
def test_an_offer_cannot_be_saved_with_a_destination_off_the_partners_hosts(partner, url):
    offer = Offer(course=CourseFactory(), partner=partner, url=url)

    with pytest.raises(ValidationError):
        offer.full_clean()


def test_subdomains_match_only_a_wildcard_host(partner):
    course = CourseFactory()

    Offer(course=course, partner=partner, url="https://shop.partner.example/item").full_clean()
    with pytest.raises(ValidationError):
        Offer(course=course, partner=partner, url="https://sub.learn.example.com/item").full_clean()


def test_a_destination_that_slipped_past_validation_is_still_never_followed(client, partner):
    offer = OfferFactory(partner=partner)
    Offer.objects.filter(pk=offer.pk).update(url="https://evil.com/")  # e.g. a raw SQL edit

    response = go(client, offer)

    assert response.status_code == 410
    assert "Location" not in response


# -- what counts as a click ----------------------------------------------------------------------------


def test_a_click_is_recorded_once_with_its_page_and_no_raw_ip(client, partner):
    offer = OfferFactory(partner=partner)

    go(client, offer, Referer="http://testserver/courses/?q=go", **{"X-Forwarded-For": "198.51.100.7"})

    click = Click.objects.get()
    assert (click.offer, click.referrer_path, click.is_bot) == (offer, "/courses/", False)
    stored = json.dumps(list(Click.objects.values()), default=str)
    assert "127.0.0.1" not in stored
    assert "198.51.100.7" not in stored
    assert len(click.visitor_hash) == 64


def test_the_same_visitor_hashes_alike_within_a_day_and_differently_from_others(client, partner):
    offer = OfferFactory(partner=partner)
    go(client, offer)
    go(client, offer)
    client.get(offer.get_absolute_url(), headers={"User-Agent": BROWSER}, REMOTE_ADDR="192.0.2.44")

    assert Click.objects.values("visitor_hash").distinct().count() == 2


def test_a_referrer_from_another_site_is_not_kept(client, partner):
    go(client, OfferFactory(partner=partner), Referer="https://elsewhere.example/page")

    assert Click.objects.get().referrer_path == ""


def test_head_requests_redirect_but_are_not_counted(client, partner):
    offer = OfferFactory(partner=partner)

    response = client.head(offer.get_absolute_url(), headers={"User-Agent": BROWSER})

    assert response.status_code == 302
    assert Click.objects.count() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
        {"User-Agent": "facebookexternalhit/1.1"},
        {"User-Agent": "curl/8.5.0"},
        {"User-Agent": ""},
        {"User-Agent": BROWSER, "Sec-Purpose": "prefetch"},
        {"User-Agent": BROWSER, "Purpose": "prefetch"},
    ],
)
def test_bots_and_prefetches_are_marked_and_never_counted_as_learners(client, partner, headers):
    offer = OfferFactory(partner=partner)

    response = client.get(offer.get_absolute_url(), headers=headers)

    assert response.status_code == 302
    assert Click.objects.filter(is_bot=False).count() == 0


@pytest.mark.parametrize(
    "change",
    [
        lambda offer: Offer.objects.filter(pk=offer.pk).update(active=False),
        lambda offer: type(offer.partner).objects.filter(pk=offer.partner_id).update(active=False),
        lambda offer: type(offer.course).objects.filter(pk=offer.course_id).update(published=False),
    ],
    ids=["offer inactive", "partner inactive", "course unpublished"],
)
def test_an_ended_offer_answers_gone_with_a_way_back(client, partner, change):
    offer = OfferFactory(partner=partner)
    change(offer)

    response = go(client, offer)

    assert response.status_code == 410
    assert "Location" not in response
    assert Click.objects.count() == 0
    assert b"no longer available" in response.content


def test_an_offer_deactivated_in_the_admin_stops_at_once_though_it_was_cached(client, partner):
    offer = OfferFactory(partner=partner)
    assert go(client, offer).status_code == 302

    offer.active = False
    offer.save()

    assert go(client, offer).status_code == 410


# -- never lose a click --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # autocommit, as in production
def test_with_the_database_away_the_learner_is_redirected_and_the_click_kept(client, partner, click_spool):
    offer = OfferFactory(partner=partner)
    go(client, offer)  # the offer is now cached

    with connection.execute_wrapper(database_down):
        response = go(client, offer)

    assert response.status_code == 302
    assert Click.objects.count() == 1
    assert len(list(click_spool.glob("*.jsonl"))) == 1

    go(client, offer)  # the database is back: this click replays the spool

    assert Click.objects.filter(is_bot=False).count() == 3
    assert list(click_spool.iterdir()) == []


@pytest.mark.django_db(transaction=True)  # autocommit, as in production
def test_replaying_a_spool_twice_or_half_replayed_doubles_nothing(client, partner, click_spool):
    offer = OfferFactory(partner=partner)
    go(client, offer)
    with connection.execute_wrapper(database_down):
        go(client, offer)
        go(client, offer)
    spooled = next(click_spool.glob("*.jsonl"))
    first_line = spooled.read_text().splitlines()[0]
    Click.objects.create(**json.loads(first_line))  # as if a replay died after inserting one row
    copy = click_spool / "clicks-copy.jsonl"
    copy.write_text(spooled.read_text())  # and the same spool twice

    call_command("replay_clicks", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("replay_clicks", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert Click.objects.count() == 3


@pytest.mark.django_db(transaction=True)  # autocommit, as in production
def test_with_the_database_away_and_the_offer_not_cached_the_learner_gets_a_clear_page(client, partner):
    offer = OfferFactory(partner=partner)

    with connection.execute_wrapper(database_down):
        response = go(client, offer)

    assert response.status_code == 503
    assert b"unavailable for a moment" in response.content


# -- commissions never change rankings -----------------------------------------------------------------


def result_titles(client, **params):
    return [course.title for course in client.get(reverse("courses:list"), params).context["page"].object_list]


def test_a_generous_offer_moves_nothing_in_search_results_or_guide_picks(client, career):
    go_topic = TopicFactory(name="Go")
    for title, rating in [("Go in Depth", "4.8"), ("Go Basics", "4.5"), ("Go for Everyone", "3.9")]:
        CourseFactory(title=title, rating=Decimal(rating), topics=[go_topic])
    career.sections.order_by("position").first().topics.set([go_topic])
    searched, rated = result_titles(client, q="go"), result_titles(client, sort="rating")
    picks = [
        course.title
        for course in client.get(career.get_absolute_url()).context["career"].visible_sections[0].recommendations
    ]

    generous = PartnerFactory(name="Generous", commission_rate=Decimal("90.00"))
    OfferFactory(course=Course.objects.get(title="Go for Everyone"), partner=generous)
    cache.clear()  # compute everything again rather than trust the cache

    assert result_titles(client, q="go") == searched
    assert result_titles(client, sort="rating") == rated
    after = client.get(career.get_absolute_url()).context["career"].visible_sections[0].recommendations
    assert [course.title for course in after] == picks


def test_the_demo_shows_the_whole_partner_flow(client):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Partner.objects.count() >= 2
    assert Offer.objects.values("course").distinct().count() >= 12
    course = Offer.objects.filter(partner__slug="coursera-demo").first().course

    page = client.get(course.get_absolute_url()).content.decode()
    link = page.split('href="/go/', 1)[1].split('"', 1)[0]
    response = client.get(
        f"/go/{link}", headers={"User-Agent": BROWSER, "Referer": "http://testserver" + course.get_absolute_url()}
    )

    target = urlsplit(response["Location"])
    assert (response.status_code, target.hostname) == (302, "www.coursera.org")
    assert parse_qs(target.query)["utm_campaign"] == ["careerguide-demo"]
    assert Click.objects.get().referrer_path == course.get_absolute_url()


@pytest.mark.django_db(transaction=True)
def test_a_replay_cut_short_by_a_second_outage_is_finished_later(client, partner, click_spool):
    offer = OfferFactory(partner=partner)
    go(client, offer)
    with connection.execute_wrapper(database_down):
        go(client, offer)
        ClickSpool().replay()  # claims the file, then fails: the database is still away
    claimed = next(click_spool.glob("*.replaying-*"))
    os.utime(claimed, (time.time() - 3600, time.time() - 3600))  # long abandoned

    call_command("replay_clicks", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert Click.objects.count() == 2
    assert list(click_spool.iterdir()) == []


@pytest.mark.django_db(transaction=True)
def test_a_torn_spool_line_is_set_aside_and_the_rest_recorded(client, partner, click_spool):
    offer = OfferFactory(partner=partner)
    go(client, offer)
    with connection.execute_wrapper(database_down):
        go(client, offer)
    spooled = next(click_spool.glob("*.jsonl"))
    with spooled.open("a") as file:
        file.write('{"offer_id": 1, "click_id": "half-writ')

    assert go(client, offer).status_code == 302

    assert Click.objects.count() == 3
    assert "half-writ" in (click_spool / "unreadable.txt").read_text()
