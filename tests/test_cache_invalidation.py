"""An unpublish is never outlived by a cache: not when Redis is away at the moment of the save, not when a
page is rendered between the save and its commit, not when an invalidation is lost altogether.
"""

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError

from careerguide import cache_versions
from courses.catalog import search_catalog
from courses.forms import CourseFilterForm
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


class FlakyRedis:
    """Stands in for the Redis server behind the production backend (ForgivingRedisCache): the backend's own
    fail-open logic runs for real; `down` makes every call fail as a vanished Redis does.
    """

    METHODS = ("get", "get_many", "set", "add", "delete", "delete_many", "has_key", "incr", "touch", "clear")

    def __init__(self, monkeypatch):
        self.down = False
        self.store = LocMemCache("flaky-redis", {})
        for name in self.METHODS:
            monkeypatch.setattr(RedisCache, name, self._method(name))

    def _method(self, name):
        def call(backend, *args, **kwargs):
            if self.down:
                raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379 (test)")
            return getattr(self.store, name)(*args, **kwargs)

        return call


@pytest.fixture
def redis(settings, monkeypatch):
    from careerguide import cache_backends

    settings.CACHES = {
        "default": {"BACKEND": "careerguide.cache_backends.ForgivingRedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    }
    monkeypatch.setattr(cache_backends, "RETRY_AFTER", 0)  # no skip window: each call tries Redis
    monkeypatch.setattr(cache_versions, "RETRY_SECONDS", 0)  # each request looks for unsettled versions
    return FlakyRedis(monkeypatch)


def unpublish_while_redis_is_down(redis, course):
    redis.down = True
    course.published = False
    course.save()  # the editor's save succeeds; the cache never hears of it
    redis.down = False  # Redis is back a moment later, with every old entry still in it


def test_a_course_unpublished_while_redis_was_away_is_not_served_from_the_page_cache(client, redis):
    course = CourseFactory(title="Kubernetes the Hard Way")
    assert client.get(course.get_absolute_url()).status_code == 200  # stored in the page cache

    unpublish_while_redis_is_down(redis, course)

    assert client.get(course.get_absolute_url()).status_code == 404


def test_a_course_unpublished_while_redis_was_away_leaves_the_search_results(client, redis):
    course = CourseFactory(title="Kubernetes the Hard Way")
    search = {"q": "kubernetes", "sort": "title"}
    assert client.get(reverse("courses:list"), search).context["page"].object_list == [course]

    unpublish_while_redis_is_down(redis, course)

    page = client.get(reverse("courses:list"), search)
    assert course.title not in page.content.decode()
    assert page.context["page"].paginator.count == 0  # the counts were retired too, not only the ids


def test_the_retried_invalidation_reaches_every_process(redis, cache_version_markers):
    old = cache_versions.current("pages:version")
    redis.down = True
    cache_versions.replace("pages:version")
    assert list(cache_version_markers.iterdir())  # written down for every process on this host
    redis.down = False

    cache_versions._unsettled.clear()  # another process: it knows only what the marker says
    new = cache_versions.current("pages:version")

    assert new != old
    assert cache_versions.current("pages:version") == new  # settled: entries are cached again
    assert not list(cache_version_markers.iterdir())


def test_while_redis_cannot_take_the_new_version_nothing_of_that_family_is_read(redis):
    version, _ = cache_versions.current_entry("pages:version", lambda version: f"page:{version}")
    redis.store.set(f"page:{version}", "the page before the unpublish")
    redis.down = True
    cache_versions.replace("pages:version")
    redis.down = False
    redis.store.set("pages:version", version)  # as if the failed write had never been attempted

    assert cache_versions.current_entry("pages:version", lambda version: f"page:{version}")[1] is None


def test_a_page_stored_between_the_save_and_the_commit_is_retired_by_the_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        cache_versions.replace("pages:version")
        # Another request, which still reads the rows as they were before this transaction, stores them now.
        during_transaction = cache_versions.current("pages:version")

    assert cache_versions.current("pages:version") != during_transaction


def test_cached_search_ids_are_checked_against_the_database(client):
    """Even an invalidation lost for good (an update() sends no signal) cannot put an unpublished item back."""
    hidden, kept = CourseFactory(title="Rust for Rustaceans"), CourseFactory(title="Rust in Action")
    filters = CourseFilterForm({"q": "rust", "sort": "title"}).filters()
    assert list(search_catalog(filters, 1).page.object_list) == [hidden, kept]

    type(hidden).objects.filter(pk=hidden.pk).update(published=False)

    assert list(search_catalog(filters, 1).page.object_list) == [kept]
