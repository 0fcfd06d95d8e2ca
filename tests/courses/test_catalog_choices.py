"""The catalog offers only filters and sorts that change something, in an order a learner expects."""

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from courses.models import Course
from tests.factories import CourseFactory, ProviderFactory, TopicFactory

pytestmark = pytest.mark.django_db
LIST = reverse("courses:list")


def legends(response):
    return [facet["legend"] for facet in response.context["facets"] if facet["options"]]


def facet_labels(response, name):
    facet = next(f for f in response.context["facets"] if f["name"] == name)
    return [option["label"] for option in facet["options"]]


def sort_labels(response):
    return [label for _, label in response.context["sorts"]]


def sort_values(response):
    return [value for value, _ in response.context["sorts"]]


def test_a_facet_whose_one_value_every_result_has_is_not_offered(client):
    go = TopicFactory(name="Go")
    CourseFactory(title="Go Basics", topics=[go], kind="course", language="en", price=Decimal(0))
    CourseFactory(title="Go Web", topics=[go], kind="course", language="en", price=Decimal(0))

    response = client.get(LIST)

    # every result is an English free Go course: ticking any of those would change nothing
    for legend in ["Format", "Language", "Topic", "Price"]:
        assert legend not in legends(response)
    assert "Filters" in response.content.decode()
    assert 'name="language"' not in response.content.decode()


def test_a_price_facet_with_only_one_side_is_not_offered_but_two_sides_are(client):
    CourseFactory(title="Free one", price=Decimal(0))
    CourseFactory(title="Unknown price", price=None)

    assert "Price" not in legends(client.get(LIST))  # nothing paid to choose instead
    CourseFactory(title="Paid one", price=Decimal(20))
    assert "Price" in legends(client.get(LIST))


def test_a_ticked_value_stays_offered_even_when_every_result_has_it(client):
    CourseFactory(title="Go Basics", language="en")
    CourseFactory(title="Go Web", language="en")

    assert "Language" in legends(client.get(LIST, {"language": "en"}))


def test_levels_are_listed_beginner_to_advanced_whatever_their_counts(client):
    for level, count in [("advanced", 3), ("beginner", 1), ("intermediate", 2)]:
        CourseFactory.create_batch(count, level=level)
    CourseFactory(level="unknown")

    assert facet_labels(client.get(LIST), "level") == ["Beginner", "Intermediate", "Advanced", "Not stated"]


def test_highest_rated_is_offered_only_when_some_result_has_a_rating(client):
    CourseFactory(title="Kafka Streams", rating=None)
    CourseFactory(title="Kafka Connect", rating=None)

    assert "Highest rated" not in sort_labels(client.get(LIST, {"q": "kafka"}))
    CourseFactory(title="Kafka Basics", rating=Decimal("4.5"))
    assert "Highest rated" in sort_labels(client.get(LIST, {"q": "kafka"}))


def test_without_a_search_best_match_is_best_rated_so_it_is_not_offered_twice(client):
    CourseFactory(title="Kafka Streams", rating=Decimal("4.1"))
    CourseFactory(title="Kafka Connect", rating=Decimal("4.5"))

    sorts = sort_labels(client.get(LIST))
    assert "Best match" in sorts
    assert "Highest rated" not in sorts


def test_title_sort_is_not_offered_where_the_default_order_already_is_by_title(client):
    CourseFactory(title="Kafka Streams", rating=None)
    CourseFactory(title="Kafka Connect", rating=None)

    assert "title" not in sort_values(client.get(LIST))  # nothing rated: best rated falls back to title order
    assert "title" in sort_values(client.get(LIST, {"q": "kafka"}))  # positive control: ranked by match
    CourseFactory(title="Kafka Basics", rating=Decimal("4.5"))
    assert "title" in sort_values(client.get(LIST))


def test_lowest_price_is_not_offered_when_every_result_has_the_same_price_or_none(client):
    CourseFactory(title="Kafka Streams", price=None)
    CourseFactory(title="Kafka Connect", price=None)

    assert "Lowest price" not in sort_labels(client.get(LIST, {"q": "kafka"}))  # nothing priced
    CourseFactory(title="Kafka Basics", price=Decimal(0))
    assert "Lowest price" in sort_labels(client.get(LIST, {"q": "kafka"}))  # the free one comes first
    CourseFactory(title="Kafka Intro", price=Decimal(0))
    free = client.get(LIST, {"q": "kafka", "price": "free"})
    assert free.context["page"].paginator.count == 2
    assert "Lowest price" not in sort_labels(free)  # every result is free


def test_lowest_price_is_offered_between_different_paid_prices(client):
    CourseFactory(title="Kafka Streams", price=Decimal(49))
    CourseFactory(title="Kafka Connect", price=Decimal(49))

    assert "Lowest price" not in sort_labels(client.get(LIST, {"q": "kafka"}))
    CourseFactory(title="Kafka Basics", price=Decimal(19))
    assert "Lowest price" in sort_labels(client.get(LIST, {"q": "kafka"}))


def test_newest_is_not_offered_when_every_result_was_added_at_the_same_moment(client):
    CourseFactory(title="Kafka Streams")
    CourseFactory(title="Kafka Connect")
    Course.objects.update(created_at=timezone.now())  # one import batch; before the first search builds the index

    assert "Newest" not in sort_labels(client.get(LIST, {"q": "kafka"}))
    CourseFactory(title="Kafka Basics")
    assert "Newest" in sort_labels(client.get(LIST, {"q": "kafka"}))


def test_a_chosen_sort_stays_offered_even_when_it_changes_nothing(client):
    CourseFactory(title="Kafka Streams", price=None)
    CourseFactory(title="Kafka Connect", price=None)

    assert "Lowest price" in sort_labels(client.get(LIST, {"q": "kafka", "sort": "price"}))


def test_a_single_result_offers_no_sort(client):
    CourseFactory(title="Kafka Streams")

    response = client.get(LIST)

    assert response.context["sorts"] == []
    assert 'id="id_sort"' not in response.content.decode()


def test_title_sort_ignores_case_and_accents(client):
    for title in ["Zeta course", "éclair course", "apple course", "Banana course", "Élan course"]:
        CourseFactory(title=title)

    response = client.get(LIST, {"q": "course", "sort": "title"})

    titles = [course.title for course in response.context["page"].object_list]
    assert titles == ["apple course", "Banana course", "éclair course", "Élan course", "Zeta course"]


def test_descriptions_are_cut_at_a_word_boundary(client):
    words = "Understand replication partitioning transactions and consistency in distributed databases " * 3
    CourseFactory(title="Data systems", description=words.strip())

    html = client.get(LIST).content.decode()

    snippet = html.split("Understand replication", 1)[1].split("</p>", 1)[0]
    assert snippet.endswith("…")
    last_word = snippet.removesuffix("…").split()[-1]
    assert last_word in words.split(), f"cut inside a word: {last_word!r}"


def test_providers_with_near_identical_names_show_where_each_one_is(client):
    for name, slug, url in [
        ("MIT", "mit", "https://pdos.csail.mit.edu/6.824/"),
        ("MIT", "mit", "https://missing.csail.mit.edu/"),
        ("MIT OpenCourseWare", "mit-ocw", "https://ocw.mit.edu/courses/6-006/"),
        ("MIT Press", "mit-press", "https://mitpress.mit.edu/9780262046305/"),
        ("Acme", "acme", "https://acme.example/"),
    ]:
        CourseFactory(provider=ProviderFactory(name=name, slug=slug), url=url)  # the factory gets or creates

    labels = facet_labels(client.get(LIST), "provider")

    assert sorted(labels) == [
        "Acme",
        "MIT (csail.mit.edu)",
        "MIT OpenCourseWare (ocw.mit.edu)",
        "MIT Press (mitpress.mit.edu)",
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a read per provider needs LIMIT in a UNION")
def test_a_small_provider_beside_a_big_namesake_still_shows_where_it_is(client):
    """The big provider's items must not use up the sample: each namesake's items are read on their own."""
    big = ProviderFactory(name="MIT", slug="mit")
    CourseFactory.create_batch(450, provider=big, url="https://pdos.csail.mit.edu/6.824/")  # > any one sample
    CourseFactory(provider=ProviderFactory(name="MIT Press", slug="mit-press"), url="https://mitpress.mit.edu/b/")

    labels = facet_labels(client.get(LIST), "provider")

    assert sorted(labels) == ["MIT (pdos.csail.mit.edu)", "MIT Press (mitpress.mit.edu)"]
