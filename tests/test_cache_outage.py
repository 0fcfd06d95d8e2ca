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


@pytest.fixture
def failing_redis(settings, monkeypatch):
    """Redis reached through the production backend, with every call failing, and a count of the calls."""
    from django.core.cache.backends.redis import RedisCache
    from redis.exceptions import ConnectionError as RedisConnectionError

    settings.CACHES = {"default": {"BACKEND": "careerguide.cache_backends.ForgivingRedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0"}}  # fmt: skip
    calls = []

    def fail(name):
        def call(self, *args, **kwargs):
            calls.append(name)
            raise RedisConnectionError("Timeout reading from socket (test)")

        return call

    for name in ("get", "get_many", "set", "add"):
        monkeypatch.setattr(RedisCache, name, fail(name))
    return calls


def test_after_a_failure_redis_is_left_alone_for_a_while_but_invalidations_are_still_sent(failing_redis, monkeypatch):
    from django.core.cache import cache

    from careerguide import cache_backends, cache_versions

    assert cache.get("page") is None
    assert failing_redis == ["get"]  # tried once, failed

    assert cache.get("page") is None
    cache.set("page", "html", 600)
    assert failing_redis == ["get"]  # skipped: a Redis that does not answer would make each call wait

    monkeypatch.setattr(cache_backends, "RETRY_AFTER", 0)  # the next failure skips nothing after it
    cache_versions.replace("pages:version")  # an editor's save: always sent, or pages would stay stale
    assert failing_redis == ["get", "set"]

    cache.get("page")  # past the skip window: tried again
    assert failing_redis == ["get", "set", "get"]


def test_pages_render_while_redis_fails(client, career, failing_redis):
    assert client.get(career.get_absolute_url()).status_code == 200
    assert client.get(career.get_absolute_url()).status_code == 200
    assert len(failing_redis) == 1
