"""What anonymous requests can make the server compute and store is bounded, whatever they send."""

import secrets

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories import CourseFactory, EditorFactory, TopicFactory

pytestmark = pytest.mark.django_db
LIST = reverse("courses:list")


@pytest.fixture
def catalog():
    go = TopicFactory(name="Go", slug="go", synonyms="golang")
    CourseFactory(title="Go Basics", topics=[go], kind="course")
    CourseFactory(title="The Go Book", topics=[go], kind="book")
    return go


def cache_entries() -> int:
    return len(cache._cache)  # the test settings' LocMemCache


def stored_pages() -> int:
    return sum(key.startswith(":1:pages:") and key != ":1:pages:version" for key in cache._cache)


def test_a_flood_of_made_up_searches_leaves_the_cache_bounded(client, catalog, settings, one_rate_window):
    settings.PAGE_RENDER_RATE = "10000/m"  # let every request through: what is stored is the point here
    client.get(LIST, {"q": "go"})
    baseline = cache_entries()

    for _ in range(300):
        response = client.get(LIST, {"q": secrets.token_hex(6), "topic": secrets.token_hex(3)})
        assert response.status_code == 200
    for _ in range(100):
        assert client.get(reverse("courses:topic_list"), {secrets.token_hex(4): "x"}).status_code == 200

    # No page for any of them, nothing of their searches; two rate-limit counters.
    assert cache_entries() - baseline <= 2


def test_one_client_cannot_have_pages_rendered_without_end(client, catalog, settings, one_rate_window):
    settings.PAGE_RENDER_RATE = "5/m"
    answers = [client.get(LIST, {"q": secrets.token_hex(6)}).status_code for _ in range(8)]

    assert answers == [200] * 5 + [429] * 3
    assert client.get(LIST, {"q": "other"})["Retry-After"] == "60"
    assert client.get(LIST).status_code == 429  # not cached yet either: the budget covers every render


def test_pages_served_from_the_cache_never_count_against_the_budget(client, catalog, settings, one_rate_window):
    settings.PAGE_RENDER_RATE = "2/m"
    client.get(reverse("courses:topic_list"))

    assert {client.get(reverse("courses:topic_list")).status_code for _ in range(20)} == {200}


def test_the_order_of_parameters_does_not_make_a_new_page(client, catalog, django_assert_num_queries):
    first = client.get(LIST + "?topic=go&kind=book")

    with django_assert_num_queries(0):
        again = client.get(LIST + "?kind=book&topic=go")

    assert again.content == first.content
    assert "The Go Book" in again.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "?utm_source=newsletter",  # a parameter no view reads
        "?topic=no-such-topic",  # a value that does not exist
        "?kind=book&kind=ebook",  # a value the form drops
        "?q=a+made+up+search",  # free text outside the topic vocabulary
        "?q=+go",  # a value the form changes
    ],
)
def test_queries_outside_the_bounded_set_are_answered_but_never_stored(client, catalog, query):
    client.get(LIST + query)

    assert stored_pages() == 0


def test_topic_searches_and_ticked_facets_are_stored(client, catalog):
    for query in ["", "?q=golang", "?topic=go&sort=title", "?kind=book&sort=relevance&q=Go"]:
        client.get(LIST + query)

    assert stored_pages() == 4


def test_a_made_up_session_cookie_gets_the_cached_page(client, catalog, django_assert_max_num_queries):
    course = CourseFactory(title="Rust Basics")
    first = client.get(course.get_absolute_url())
    type(course).objects.filter(pk=course.pk).update(title="Rust Basics, renamed")  # no signal: page stays

    client.cookies["sessionid"] = "x" * 32
    with django_assert_max_num_queries(1):  # the session lookup that finds nothing
        junk = client.get(course.get_absolute_url())

    assert junk.content == first.content
    client.cookies.clear()
    client.force_login(EditorFactory())
    assert "Rust Basics, renamed" in client.get(course.get_absolute_url()).content.decode()
