import pytest

from courses.search_engine import Suggestion, did_you_mean, suggest
from tests.factories import CareerFactory, CourseFactory, TopicFactory

pytestmark = pytest.mark.django_db


def test_suggestions_list_topics_then_careers_then_titles_by_prefix():
    python = TopicFactory(name="Python", slug="python", synonyms="py3")
    career = CareerFactory(name="Python Developer", slug="python-developer")
    career.topics.set([python])
    CourseFactory(title="Python for Everybody", slug="python-for-everybody", kind="course")
    CourseFactory(title="Fluent Python", slug="fluent-python", kind="book")
    CourseFactory(title="Learning Go", slug="learning-go")

    found = suggest("pyth")

    assert found[:2] == [
        Suggestion("topic", "Python", "/topics/python/"),
        Suggestion("career", "Python Developer", "/courses/?career=python-developer"),
    ]
    assert {(s.kind, s.label, s.url) for s in found[2:]} == {
        ("course", "Python for Everybody", "/courses/python-for-everybody/"),
        ("book", "Fluent Python", "/courses/fluent-python/"),
    }


def test_a_synonym_suggests_its_topic_and_earlier_words_must_match_whole():
    TopicFactory(name="Kubernetes", slug="kubernetes", synonyms="k8s")
    CourseFactory(title="Kubernetes in Action", slug="kia")
    CourseFactory(title="Kubernetes Patterns", slug="kp")

    assert [s.label for s in suggest("k8")] == ["Kubernetes"]
    assert [s.label for s in suggest("kubernetes pat")] == ["Kubernetes Patterns"]


def test_suggestions_are_capped_and_hostile_text_is_just_words():
    for n in range(12):
        CourseFactory(title=f"Rust Recipe {n}")

    assert len(suggest("rust", limit=8)) == 8
    for odd in ["title:x", "a AND", '"', "*", "~", "^2", "(((", "x" * 10_000, "\x00", ""]:
        suggest(odd)  # no error


def test_unpublished_items_are_never_suggested():
    CourseFactory(title="Hidden Draft Course", published=False)

    assert suggest("hidden") == []


def test_did_you_mean_comes_from_the_index_words():
    CourseFactory(title="Python for Everybody")
    CourseFactory(title="Kubernetes Patterns")

    assert did_you_mean("pyhton") == "python"
    assert did_you_mean("kubernets patterns") == "kubernetes patterns"
    assert did_you_mean("python") is None
