"""An editor adds a course or book by hand: slug from the title, a draft until published, ratings left to feeds."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from courses.models import Course
from tests.factories import CourseFactory, ProviderFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:courses_course_add")
CHANGELIST = reverse("admin:courses_course_changelist")


def new_course(**changes):
    data = {
        "kind": "book",
        "title": "Designing Data-Intensive Applications",
        "slug": "designing-data-intensive-applications",
        "url": "https://example.com/ddia",
        "provider": ProviderFactory(name="O'Reilly").pk,
        "level": "intermediate",
        "language": "en",
        "currency": "USD",
        "price": "45.00",
    }
    return data | changes


def test_the_add_form_fills_the_slug_from_the_title_and_starts_unpublished(editor_client):
    response = editor_client.get(ADD)

    form = response.context["adminform"].form
    assert form["published"].value() is False
    prepopulated = re.search(r'data-prepopulated-fields="([^"]*)"', response.content.decode()).group(1)
    assert "#id_slug" in prepopulated
    assert "#id_title" in prepopulated


def test_a_course_added_by_hand_is_a_draft_until_published(editor_client):
    for title in ["First Book", "Second Book"]:  # two by hand: no clash on the empty feed id
        response = editor_client.post(ADD, new_course(title=title, slug=title.lower().replace(" ", "-")))
        assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""

    assert list(Course.objects.order_by("title").values_list("title", "published")) == [
        ("First Book", False),
        ("Second Book", False),
    ]


def test_editors_publish_and_unpublish_from_the_list(editor_client, editor):
    drafts = CourseFactory.create_batch(2, published=False)

    response = editor_client.post(
        CHANGELIST, {"action": "publish_selected", "_selected_action": [course.pk for course in drafts]}
    )

    assert response.status_code == 302
    assert all(course.published for course in Course.objects.filter(pk__in=[d.pk for d in drafts]))
    assert drafts[0].history.latest().history_user == editor  # the history says who published it
    editor_client.post(CHANGELIST, {"action": "unpublish_selected", "_selected_action": [drafts[0].pk]})
    assert not Course.objects.get(pk=drafts[0].pk).published


def test_ratings_come_from_the_feed_and_are_not_editable(editor_client):
    course = CourseFactory(rating=Decimal("4.20"), rating_count=120)
    url = reverse("admin:courses_course_change", args=[course.pk])

    page = editor_client.get(url)

    assertNotContains(page, 'name="rating"')
    assertNotContains(page, 'name="rating_count"')
    assertContains(page, "4.20")
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, False)}
    data = {k: ("on" if v is True else v) for k, v in data.items()}
    editor_client.post(url, data | {"rating": "5.00", "rating_count": "99999"})
    course.refresh_from_db()
    assert (course.rating, course.rating_count) == (Decimal("4.20"), 120)
