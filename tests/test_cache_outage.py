"""With Redis away for a moment the site keeps answering, computing what it would have read from the cache."""

import pytest
from django.urls import reverse

from tests.factories import CourseFactory, OfferFactory, TopicFactory

pytestmark = pytest.mark.django_db
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "careerguide.cache_backends.ForgivingRedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing listens there
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture
def no_redis(settings):
    settings.CACHES = UNREACHABLE_REDIS


def test_pages_searches_and_partner_links_work_without_redis(client, career, no_redis):
    go = TopicFactory(name="Go", synonyms="golang")
    course = CourseFactory(title="Go Services", topics=[go])
    offer = OfferFactory(course=course)

    assert client.get(career.get_absolute_url()).status_code == 200
    assert client.get(course.get_absolute_url()).status_code == 200
    listing = client.get(reverse("courses:list"), {"q": "golang"})
    assert [c.title for c in listing.context["page"].object_list] == ["Go Services"]
    assert client.get(offer.get_absolute_url(), headers={"User-Agent": "Mozilla/5.0 Firefox/130"}).status_code == 302
    assert offer.clicks.count() == 1


def test_admin_sign_in_still_works_without_redis(client, no_redis):
    response = client.post(reverse("admin:login"), {"username": "nobody", "password": "wrong"})

    assert response.status_code == 200
