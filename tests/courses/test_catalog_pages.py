import re
from decimal import Decimal

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertTemplateUsed

from courses.models import Topic
from tests.db import HEAVY_BLOCK
from tests.factories import CareerFactory, CourseFactory, OfferFactory, ProviderFactory, TopicFactory

pytestmark = pytest.mark.django_db
LIST = reverse("courses:list")


@pytest.fixture
def catalog():
    """A small catalog: 3 Go items (2 courses, 1 book), 2 SQL items, 1 unpublished."""
    go, sql = TopicFactory(name="Go", slug="go", synonyms="golang"), TopicFactory(name="SQL", slug="sql")
    acme, books = ProviderFactory(name="Acme", slug="acme"), ProviderFactory(name="Books Inc", slug="books-inc")
    CourseFactory(title="Go Basics", topics=[go], provider=acme, price=Decimal(0), level="beginner", certificate=True)
    CourseFactory(title="Go Web Services", topics=[go], provider=acme, price=Decimal(30), level="intermediate")
    CourseFactory(title="The Go Book", kind="book", topics=[go], provider=books, price=Decimal(40), level="beginner")
    CourseFactory(title="SQL Basics", topics=[sql], provider=acme, price=Decimal(0), level="beginner", language="de")
    CourseFactory(title="SQL Performance", kind="book", topics=[sql, go], provider=books, price=None, level="advanced")
    CourseFactory(title="Hidden Draft", topics=[go], published=False)
    backend = CareerFactory(slug="back-end-engineer")
    backend.topics.set([go])


def result_titles(response):
    return [course.title for course in response.context["page"].object_list]


def facet(response, name):
    """{value: count} of a facet as offered; {} when it is not offered (ticking it would change nothing)."""
    options = next((f["options"] for f in response.context["facets"] if f["name"] == name), [])
    return {option["value"]: option["count"] for option in options}


def test_catalog_lists_published_items_only(client, catalog):
    response = client.get(LIST)

    assert response.context["page"].paginator.count == 5
    assertNotContains(response, "Hidden Draft")


def test_facets_and_within_or_across(client, catalog):
    response = client.get(LIST, {"topic": ["go", "sql"], "kind": "book"})

    assert sorted(result_titles(response)) == ["SQL Performance", "The Go Book"]
    response = client.get(LIST, {"topic": "go", "price": "free"})
    assert result_titles(response) == ["Go Basics"]


def test_facet_counts_leave_out_their_own_filter_but_apply_the_others(client, catalog):
    response = client.get(LIST, {"q": "go", "kind": "course", "price": "free"})

    assert result_titles(response) == ["Go Basics"]
    # kind counts ignore the kind filter, keep q and price: only Go Basics is free among Go matches
    assert facet(response, "kind") == {"course": 1}
    # price counts ignore price, keep q and kind: two Go courses, one free and one paid
    assert facet(response, "price") == {"free": 1, "paid": 1}
    # the one result is Acme's, beginner, with a certificate: those facets would narrow nothing, so are not offered
    assert facet(response, "provider") == facet(response, "level") == facet(response, "certificate") == {}


def test_topic_and_career_counts_count_each_course_once(client, catalog):
    response = client.get(LIST)

    assert facet(response, "topic") == {"go": 4, "sql": 2}
    assert facet(response, "career") == {"back-end-engineer": 4}


def test_career_filter_follows_the_careers_topics(client, catalog):
    response = client.get(LIST, {"career": "back-end-engineer"})

    assert sorted(result_titles(response)) == ["Go Basics", "Go Web Services", "SQL Performance", "The Go Book"]


def test_a_draft_career_is_neither_a_facet_nor_a_filter(client, catalog):
    draft = CareerFactory(name="Secret Career", slug="secret-career", published=False)
    draft.topics.set(TopicFactory._meta.model.objects.filter(slug="go"))

    listing = client.get(LIST)
    assert "secret-career" not in facet(listing, "career")
    assertNotContains(listing, "Secret Career")
    filtered = client.get(LIST, {"career": "secret-career"})
    assert result_titles(filtered) == []  # as for a career that does not exist
    assertNotContains(filtered, "Secret Career")


def test_language_and_certificate_filters(client, catalog):
    assert result_titles(client.get(LIST, {"language": "de"})) == ["SQL Basics"]
    assert result_titles(client.get(LIST, {"certificate": "1"})) == ["Go Basics"]


@pytest.mark.parametrize(
    ("sort", "expected_first"),
    [("title", "Go Basics"), ("price", "Go Basics"), ("newest", "SQL Performance")],
)
def test_sorting(client, catalog, sort, expected_first):
    assert result_titles(client.get(LIST, {"sort": sort}))[0] == expected_first


def test_a_ticked_value_stays_removable_even_with_no_results(client, catalog):
    response = client.get(LIST, {"provider": "nobody"})

    assert response.context["page"].paginator.count == 0
    assert facet(response, "provider")["nobody"] == 0
    assertContains(response, 'href="?provider=nobody"', count=0)
    assertContains(response, '<span class="visually-hidden">Remove filter Provider: </span>nobody')


def test_htmx_request_gets_only_the_results_fragment(client, catalog):
    response = client.get(LIST, {"q": "golang"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert 'id="catalog"' not in html  # the content of #catalog, which htmx swaps in place
    assert html.count('<fieldset class="facet">') >= 2
    assert "<html" not in html
    assert "Go Basics" in html
    assert 'data-hx-swap-oob="innerHTML"' in html  # the live region's new count
    assert response["Vary"].count("HX-Request") == 1


def test_plain_request_gets_the_full_page(client, catalog):
    response = client.get(LIST, {"q": "golang"})

    assertTemplateUsed(response, "base.html")
    assertContains(response, "<html")
    assertContains(response, '<div id="catalog"')
    assertContains(response, 'role="status"')
    assert "HX-Request" in response["Vary"]


def test_history_restore_gets_the_full_page(client, catalog):
    response = client.get(LIST, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})

    assertContains(response, "<html")


def test_the_pushed_url_reloads_to_the_same_results(client, catalog):
    params = {"q": "go", "kind": "course", "sort": "title"}
    fragment = client.get(LIST, params, headers={"HX-Request": "true"})
    page = client.get(LIST, params)  # what a reload of the pushed URL asks for

    assert result_titles(fragment) == result_titles(page) == ["Go Basics", "Go Web Services"]


def results_heading(response) -> str:
    """The results count as the page shows it above the results."""
    return re.search(r'<h2 class="results-count">([^<]*)</h2>', response.content.decode()).group(1).strip()


@pytest.mark.parametrize(
    ("params", "heading"),
    [
        ({"page": "abc"}, "5 results"),
        ({"page": "999999"}, "5 results"),
        ({"page": "-1"}, "5 results"),
        ({"page": "%00"}, "5 results"),
        ({"sort": "x"}, "5 results"),
        ({"kind": "video"}, "5 results"),  # an unknown value is dropped, not an empty page
        ({"topic": "no-such-topic"}, "No results"),  # slug-shaped: a topic that does not exist matches nothing
        ({"provider": "<script>"}, "5 results"),
        ({"level": "\x00"}, "5 results"),
        ({"price": "cheap"}, "5 results"),
        ({"certificate": "maybe"}, "1 result"),  # any value of a checkbox ticks it
        ({"q": "x" * 10_000}, f"No results for “{'x' * 200}”"),  # cut to 200 characters
        ({"q": "\x00"}, "5 results"),
        ({"q": '"(*)"'}, "5 results for “&quot;(*)&quot;”"),  # no words to search for: everything, escaped
        ({"career": "a" * 500}, "5 results"),
        ({"language": "🦄"}, "5 results"),
    ],
)
def test_bad_parameters_get_a_sensible_page(client, catalog, params, heading):
    response = client.get(LIST, params)

    assert response.status_code == 200
    assert results_heading(response) == heading
    assertNotContains(response, "<script>")


def test_too_many_values_for_a_facet_are_capped(client, catalog):
    response = client.get(LIST, {"topic": ["go", *[f"t{n}" for n in range(500)]]})

    # the first 20 values count; the rest are dropped, so the page still lists Go's items
    assert results_heading(response) == "4 results"
    assert len(response.context["chips"]) == 20


@pytest.mark.parametrize("page_size_items", [5, 45])
def test_list_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, page_size_items):
    topic = TopicFactory(name="Go")
    CourseFactory.create_batch(page_size_items, topics=[topic])
    client.get(LIST, {"q": "warm"})  # the search index exists, as it does once a host has served a search

    # the change log's newest entry, topic synonyms, topic, provider and career names (read once per change),
    # the page, and the sites of the factory's near-identical provider names ("Provider 1", "Provider 2"; cached)
    with django_assert_max_num_queries(6 + 2 * HEAVY_BLOCK):
        client.get(LIST, {"q": "course"})


def test_course_detail_shows_every_field(client):
    topic = TopicFactory(name="PostgreSQL")
    course = CourseFactory(
        title="PostgreSQL Internals",
        kind="book",
        authors="Ada Lovelace, Grace Hopper",
        isbn="9781593279660",
        price=Decimal("39.99"),
        duration_hours=None,
        rating=Decimal("4.70"),
        rating_count=321,
        topics=[topic],
    )

    response = client.get(course.get_absolute_url())

    for text in ["PostgreSQL Internals", "By Ada Lovelace, Grace Hopper", "9781593279660", "USD 39.99",
                 "4.7 of 5 from 321 ratings", "Go to learn.example.com", course.url,
                 topic.get_absolute_url()]:  # fmt: skip
        assertContains(response, text)


def test_unknown_price_and_provider_are_left_out_not_announced(client, catalog):
    """An item line and a course page say only what is known: "SQL Performance" has no listed price."""
    unpriced = CourseFactory(title="Unpriced Go", topics=[Topic.objects.get(slug="go")], provider=None, price=None)
    paid = CourseFactory(title="Paid Go", price=Decimal("49.00"), currency="USD")

    listing = client.get(LIST, {"q": "go"})
    topic_page = client.get(reverse("courses:topic_detail", kwargs={"slug": "go"}))
    detail = client.get(unpriced.get_absolute_url())

    for response in (listing, topic_page, detail):
        assertNotContains(response, "not listed", status_code=200)
        assertNotContains(response, "Not listed")
    assertNotContains(detail, "<dt>Price</dt>", html=False)
    assertNotContains(detail, "<dt>Provider</dt>", html=False)
    assertContains(client.get(paid.get_absolute_url()), "<dd>USD 49</dd>", html=True)  # not "USD 49.00"
    assert re.search(r"Book · Books Inc · Advanced</p>", listing.content.decode())  # SQL Performance's line


def test_course_detail_shows_related_items_by_shared_topics(client):
    go, sql = TopicFactory(name="Go"), TopicFactory(name="SQL")
    course = CourseFactory(title="Main", topics=[go, sql])
    CourseFactory(title="Shares Both", topics=[go, sql])
    CourseFactory(title="Shares One", topics=[go])
    CourseFactory(title="Shares None")

    response = client.get(course.get_absolute_url())

    assert [c.title for c in response.context["related"]] == ["Shares Both", "Shares One"]


def test_course_detail_queries_are_constant(client, django_assert_max_num_queries):
    topics = TopicFactory.create_batch(5)
    course = CourseFactory(topics=topics)
    CourseFactory.create_batch(10, topics=topics)
    OfferFactory.create_batch(3, course=course)

    # the course, its topics, related item ids (cached until the catalog changes), those items, its offers,
    # the guides that recommend it
    with django_assert_max_num_queries(6 + HEAVY_BLOCK):
        client.get(course.get_absolute_url())


def test_unknown_or_unpublished_course_is_not_found(client):
    hidden = CourseFactory(published=False)

    for response in [
        client.get(reverse("courses:detail", kwargs={"slug": "nope"})),
        client.get(hidden.get_absolute_url()),
    ]:
        assertContains(response, "We could not find that page", status_code=404)
        assertNotContains(response, hidden.title, status_code=404)


def test_titles_with_markup_are_shown_escaped(client):
    course = CourseFactory(title="<script>alert(1)</script> SQL")

    response = client.get(course.get_absolute_url())

    assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt; SQL")
    assertNotContains(response, "<script>alert(1)")


def test_topic_pages_list_topics_and_their_best_items(client, catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get(reverse("courses:topic_list"))
    go_link = '>Go<span class="visually-hidden"> courses and books</span></a>'
    assertContains(response, f'{go_link} <span class="count">(4)</span>')

    response = client.get(reverse("courses:topic_detail", kwargs={"slug": "go"}))
    assertContains(response, "Go Basics")
    assertNotContains(response, "Hidden Draft")
    assertContains(response, 'href="/courses/?topic=go"')
    assert client.get(reverse("courses:topic_detail", kwargs={"slug": "nope"})).status_code == 404


def test_pagination_links_keep_the_filters_and_work_without_javascript(client):
    CourseFactory.create_batch(45, title="Kafka Streams")

    page_one = client.get(LIST, {"q": "kafka", "kind": "course"})
    assertContains(page_one, 'href="?q=kafka&amp;kind=course&amp;page=2"')
    page_two = client.get(LIST, {"q": "kafka", "kind": "course", "page": "2"})

    assert page_two.context["page"].number == 2
    assertContains(page_two, 'rel="prev" href="?q=kafka&amp;kind=course&amp;page=1"')


def test_related_items_follow_catalog_changes_at_once(client):
    go, web = TopicFactory(name="Go"), TopicFactory(name="Web")
    course = CourseFactory(title="Go Web Services", topics=[go, web])
    CourseFactory(title="Go Basics", topics=[go])
    assertContains(client.get(course.get_absolute_url()), "Go Basics")

    CourseFactory(title="Web Programming in Go", topics=[go, web])  # shares both topics: ranks first

    related = client.get(course.get_absolute_url()).content.decode().split("Related courses and books", 1)[1]
    assert related.index("Web Programming in Go") < related.index("Go Basics")


# -- what a learner on a phone sees: collapsed filters, chips, a heading that says what is filtered -----------


def test_filters_start_collapsed_behind_a_button_that_counts_the_active_ones(client, catalog):
    html = client.get(LIST, {"topic": "go", "price": "free"}).content.decode()

    assert '<details class="facets">' in html  # not open: phones see the results first
    assert "<summary>Filters (2)</summary>" in html
    assert "<summary>Filters</summary>" in client.get(LIST).content.decode()


def test_each_active_filter_is_a_link_that_removes_only_that_value(client, catalog):
    response = client.get(LIST, {"q": "basics", "topic": ["go", "sql"], "price": "free", "sort": "title"})
    chips = {chip["label"]: chip["url"] for chip in response.context["chips"]}

    assert list(chips) == ["Free", "Go", "SQL"]
    assertContains(response, '<span class="visually-hidden">Remove filter Topic: </span>Go<')
    without_go = client.get(LIST + chips["Go"])
    assert (without_go.context["filters"]["topic"], without_go.context["filters"]["price"]) == (["sql"], ["free"])
    assert result_titles(without_go) == ["SQL Basics"]

    cleared = client.get(LIST + response.context["clear_url"])  # "Clear all": filters go, the search and sort stay
    assert [cleared.context["filters"][name] for name in ("q", "topic", "price", "sort")] == ["basics", [], [], "title"]
    assert cleared.context["chips"] == []
    assertContains(response, '>Clear all<span class="visually-hidden"> filters</span></a>')


def test_the_heading_and_the_tab_title_say_what_is_filtered(client, catalog):
    response = client.get(LIST, {"price": "free", "level": "beginner", "topic": "go"})

    assertContains(response, '<h1 id="catalog-heading">Free beginner Go courses and books</h1>')
    assertContains(response, "<title>Free beginner Go courses and books: 1 result · careerguide</title>")
    books = client.get(LIST, {"kind": "book", "provider": "books-inc", "q": "go"})
    assertContains(books, "<title>Books from Books Inc matching “go”: 2 results · careerguide</title>")
    plain = client.get(LIST)
    assertContains(plain, '<h1 id="catalog-heading">Courses and books</h1>')
    assertContains(plain, "<title>Courses and books for back end engineers · careerguide</title>")


def test_the_tab_title_gives_the_page_number(client):
    CourseFactory.create_batch(25, title="Kafka Streams")

    response = client.get(LIST, {"q": "kafka", "page": "2"})

    assertContains(response, "<title>Courses and books matching “kafka”: 25 results, page 2 · careerguide</title>")


def test_a_swap_of_the_results_brings_the_new_title_heading_and_count(client, catalog):
    html = client.get(LIST, {"topic": "sql"}, headers={"HX-Request": "true"}).content.decode()

    assert html.startswith("<title>SQL courses and books: 2 results · careerguide</title>")  # htmx sets the tab title
    assert '<span id="catalog-heading" data-hx-swap-oob="innerHTML">SQL courses and books</span>' in html
    assert '<span id="result-status" data-hx-swap-oob="innerHTML">2 results' in html


def test_typing_searches_as_you_type_and_paging_returns_to_the_top_of_the_results(client):
    CourseFactory.create_batch(25, title="Kafka Streams")

    html = client.get(LIST, {"q": "kafka"}).content.decode()

    form = re.search(r'<form id="catalog-form"[^>]*>', html).group(0)
    assert 'data-hx-trigger="input changed delay:300ms from:#id_q' in form  # results follow the typing
    assert 'role="status" aria-live="polite">25 results for “kafka”, page 1 of 2' in html
    pages = re.search(r'<nav class="pagination"[^>]*>', html).group(0)
    assert 'data-hx-swap="innerHTML show:.catalog__results:top"' in pages


# -- no results -------------------------------------------------------------------------------------------


def test_no_results_offers_the_suggestion_and_popular_topics_but_no_filters_to_remove(client, catalog):
    from courses.models import SearchTerm

    SearchTerm.objects.rebuild()
    response = client.get(LIST, {"q": "golnag"})
    html = response.content.decode()

    assert results_heading(response) == "No results for “golnag”"
    assertContains(response, 'Did you mean <a href="?q=golang">golang</a>?')
    assertNotContains(response, "remove all filters")  # none are set
    popular = re.findall(r'<ul class="topic-links">(.*?)</ul>', html)[0]
    assert re.findall(r">([^<]+)</a>", popular) == ["Go", "SQL"]  # most items first
    assert '<details class="facets"' not in html  # no empty filter box
    assert 'id="id_sort"' not in html


def test_no_results_with_filters_offers_to_remove_them(client, catalog):
    response = client.get(LIST, {"topic": "sql", "kind": "course", "price": "paid"})

    assert results_heading(response) == "No results"
    assertContains(response, 'Fewer filters may find something: <a href="?">remove all filters</a>.')
    assertContains(response, 'class="topic-links"')
    assertNotContains(response, "Did you mean")
    assertNotContains(response, '<details class="facets"')
