"""Where /go/ learns where a token leads: the database first, the cached copy only while the database is away."""

from urllib.parse import urlsplit

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from courses.models import Click, Course, Offer, Partner
from tests.factories import CourseFactory, OfferFactory, PartnerFactory

pytestmark = pytest.mark.django_db
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36"


def go(client, offer):
    return client.get(offer.get_absolute_url(), headers={"User-Agent": BROWSER})


def database_down(execute, sql, params, many, context):
    raise OperationalError("connection refused (test)")


@pytest.fixture
def offer():
    partner = PartnerFactory(allowed_hosts="learn.example.com", tag_parameters="aff={tag}")
    return OfferFactory(partner=partner, url="https://learn.example.com/first", commission_tag="cg")


# Each change is made without signals, as when Redis was away at the moment of the save and the cached offer
# was never forgotten (issue 13, item 2): the database must win over the cached copy at once.
@pytest.mark.parametrize(
    "change",
    [
        lambda offer: Offer.objects.filter(pk=offer.pk).update(active=False),
        lambda offer: Partner.objects.filter(pk=offer.partner_id).update(active=False),
        lambda offer: Course.objects.filter(pk=offer.course_id).update(published=False),
    ],
    ids=["offer inactive", "partner inactive", "course unpublished"],
)
def test_an_ended_offer_answers_gone_though_its_cached_copy_was_never_forgotten(client, offer, change):
    assert go(client, offer).status_code == 302  # the offer is now cached
    change(offer)

    response = go(client, offer)

    assert response.status_code == 410
    assert "Location" not in response
    assert Click.objects.count() == 1  # only the click before the change


def test_a_changed_destination_is_used_at_once_and_kept_for_an_outage(client, offer):
    go(client, offer)
    Offer.objects.filter(pk=offer.pk).update(url="https://learn.example.com/second")

    assert urlsplit(go(client, offer)["Location"]).path == "/second"
    with connection.execute_wrapper(database_down):
        during_outage = go(client, offer)

    assert during_outage.status_code == 302
    assert urlsplit(during_outage["Location"]).path == "/second"  # the copy refreshed by the last read


def test_a_redirect_reads_its_offer_in_one_query(client, offer, django_assert_num_queries):
    go(client, offer)

    with django_assert_num_queries(2):  # the offer with its partner and course, then the click
        assert go(client, offer).status_code == 302


def test_the_gone_page_of_an_unpublished_course_does_not_name_it(client, offer):
    Course.objects.filter(pk=offer.course_id).update(title="Secret Draft Course", published=False)

    response = go(client, offer)

    assert response.status_code == 410
    assert b"no longer available" in response.content  # positive control
    assert b"Secret Draft Course" not in response.content
    assert reverse("courses:list").encode() in response.content


def test_the_gone_page_of_a_published_course_leads_back_to_it(client):
    course = CourseFactory(title="Public Course")
    offer = OfferFactory(course=course, active=False)

    response = go(client, offer)

    assert response.status_code == 410
    assert b"Back to Public Course" in response.content
