"""Reverting through the admin's history needs the right to change the object; seeing history needs only viewing.

tests/test_permission_matrix.py runs the revert of every model with history for every group; these are the
attack of issue 13 and the rules the table cannot show.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from courses.models import Course, Topic
from tests.factories import CourseFactory, EditorFactory, PartnerManagerFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


def history_form_url(obj, version):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[obj.pk, version.history_id])


@pytest.fixture
def unpublished_course():
    """A course published once, then taken down: its first version is the published one."""
    course = CourseFactory(title="Data Engineering", url="https://learn.example.com/data", published=True)
    course.published = False
    course.save()
    return course


def test_a_view_only_partner_manager_cannot_republish_a_course_through_its_history(client, unpublished_course):
    client.force_login(PartnerManagerFactory())
    first = unpublished_course.history.earliest()

    response = client.post(
        history_form_url(unpublished_course, first),
        {
            "kind": "course",
            "title": "Hijacked",
            "slug": "hijacked",
            "url": "https://evil.example/",
            "published": "on",
            "provider": unpublished_course.provider_id,
            "level": "beginner",
            "language": "en",
            "price": "10.00",
            "currency": "USD",
            "rating_count": "0",
        },
    )

    assert response.status_code == 403
    unpublished_course.refresh_from_db()
    assert (unpublished_course.title, unpublished_course.published) == ("Data Engineering", False)
    assert unpublished_course.url == "https://learn.example.com/data"
    assert unpublished_course.history.count() == 2  # no new version either


def test_a_view_only_partner_manager_reads_an_old_version_without_inputs_or_revert_button(client, unpublished_course):
    client.force_login(PartnerManagerFactory())

    response = client.get(history_form_url(unpublished_course, unpublished_course.history.earliest()))

    assertContains(response, "Data Engineering")  # positive control: the version is shown
    assertNotContains(response, 'name="title"')
    assertNotContains(response, 'value="Revert"')


def test_an_editor_sees_the_revert_button_and_editable_fields(client, unpublished_course):
    client.force_login(EditorFactory())

    response = client.get(history_form_url(unpublished_course, unpublished_course.history.earliest()))

    assertContains(response, 'name="title"')
    assertContains(response, 'value="Revert"')


def test_a_revert_follows_the_admins_rules_for_the_object_not_only_the_model(client, monkeypatch):
    topic = TopicFactory(name="Databases")
    topic.name = "Data stores"
    topic.save()
    topic_admin = admin.site._registry[Topic]
    # An admin that lets editors change topics in general but not this one, as an object rule would.
    monkeypatch.setattr(topic_admin, "has_change_permission", lambda request, obj=None: obj is None)
    client.force_login(EditorFactory())

    response = client.post(history_form_url(topic, topic.history.earliest()), {"name": "Databases", "slug": topic.slug})

    assert response.status_code == 403
    topic.refresh_from_db()
    assert topic.name == "Data stores"


def test_bringing_a_deleted_course_back_needs_the_add_permission(client):
    course = CourseFactory(title="Gone Course")
    version = course.history.latest()
    pk = course.pk
    course.delete()
    course.pk = pk  # delete() clears it; the history form is still addressed by the old id
    changer = UserFactory(is_staff=True)
    changer.user_permissions.set(Permission.objects.filter(codename__in=["view_course", "change_course"]))
    client.force_login(changer)

    response = client.post(history_form_url(course, version), {"title": "Gone Course"})

    assert response.status_code == 403
    assert not Course.objects.filter(title="Gone Course").exists()
