import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from pytest_django.asserts import assertContains

from courses.models import Course
from tests.factories import CourseFactory, TopicFactory

pytestmark = pytest.mark.django_db


def test_generate_catalog_is_deterministic_for_a_seed(tmp_path):
    first, second, other = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    for path, seed in [(first, 1), (second, 1), (other, 2)]:
        call_command("generate_catalog", courses=30, books=60, seed=seed, output=path, stdout=StringIO())

    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    rows = [json.loads(line) for line in first.read_text().splitlines()]
    assert [row["kind"] for row in rows].count("book") == 60
    assert {row["price"] == 0 for row in rows} == {True, False}  # free and paid


def test_generate_catalog_imports_valid_rows():
    call_command("generate_catalog", courses=20, books=40, seed=3, stdout=StringIO())

    assert Course.objects.filter(source="synthetic-3").count() == 60


def test_editor_can_pick_courses_through_the_admin_autocomplete(editor_client):
    CourseFactory(title="Designing Data-Intensive Applications")
    CourseFactory(title="Something Else")

    response = editor_client.get(
        reverse("admin:autocomplete"),
        {"term": "designing", "app_label": "guides", "model_name": "guidesectionpick", "field_name": "course"},
    )

    assert response.status_code == 200
    titles = [item["text"].split(" (")[0] for item in response.json()["results"]]
    assert titles == ["Designing Data-Intensive Applications"]


def test_editor_can_edit_but_not_delete_catalog_items(editor_client):
    course = CourseFactory()

    assert editor_client.get(reverse("admin:courses_course_change", args=[course.pk])).status_code == 200
    assert (
        editor_client.post(reverse("admin:courses_course_delete", args=[course.pk]), {"post": "yes"}).status_code == 403
    )
    assert Course.objects.filter(pk=course.pk).exists()


def test_renaming_a_topic_in_the_admin_updates_search(admin_client):
    topic = TopicFactory(name="Golang", slug="golang")
    CourseFactory(title="Web Services", topics=[topic])

    response = admin_client.post(
        reverse("admin:courses_topic_change", args=[topic.pk]),
        {"name": "Go Language", "slug": "golang", "synonyms": "", "description": ""},
    )

    assert response.status_code == 302
    assert list(Course.objects.search("language").values_list("title", flat=True)) == ["Web Services"]


def test_course_admin_changelist_queries_do_not_grow(admin_client, django_assert_max_num_queries):
    CourseFactory.create_batch(30)

    with django_assert_max_num_queries(10):
        response = admin_client.get(reverse("admin:courses_course_changelist"))

    assertContains(response, '<th class="field-title">', count=30)


def test_renaming_a_provider_in_the_admin_updates_search(admin_client):
    from tests.factories import ProviderFactory

    provider = ProviderFactory(name="Old Press", slug="old-press")
    CourseFactory(title="Some Book", provider=provider)

    response = admin_client.post(
        reverse("admin:courses_provider_change", args=[provider.pk]),
        {"name": "Nimbus Publishing", "slug": "old-press", "website": ""},
    )

    assert response.status_code == 302
    assert list(Course.objects.search("nimbus").values_list("title", flat=True)) == ["Some Book"]
