import pytest
from django.urls import reverse

from guides.models import Career, Occupation, Technology
from tests.factories import TopicFactory

pytestmark = pytest.mark.django_db


def test_start_a_guide_from_an_occupation_in_one_action(admin_client):
    occupation = Occupation.objects.create(code="29-1141.00", title="Registered Nurses", slug="registered-nurses")

    response = admin_client.post(
        reverse("admin:guides_occupation_changelist"),
        {"action": "start_guide", "_selected_action": [occupation.pk]},
    )

    career = Career.objects.get(occupation=occupation)
    assert (career.name, career.slug, career.published) == ("Registered Nurses", "registered-nurses", False)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:guides_career_change", args=[career.pk])


def test_starting_a_guide_twice_opens_the_existing_one(admin_client):
    occupation = Occupation.objects.create(code="29-1141.00", title="Registered Nurses", slug="registered-nurses")
    data = {"action": "start_guide", "_selected_action": [occupation.pk]}
    admin_client.post(reverse("admin:guides_occupation_changelist"), data)

    admin_client.post(reverse("admin:guides_occupation_changelist"), data)

    assert Career.objects.filter(occupation=occupation).count() == 1


def test_an_editors_topic_for_a_technology_is_marked_as_theirs(admin_client):
    technology = Technology.objects.create(name="Epic Systems")
    topic = TopicFactory(name="Health records")

    admin_client.post(reverse("admin:guides_technology_change", args=[technology.pk]), {"topic": topic.pk})

    technology.refresh_from_db()
    assert (technology.topic, technology.topic_by_editor) == (topic, True)


def test_a_technologys_new_topic_shows_on_the_cached_profile_at_once(client, admin_client):
    occupation = Occupation.objects.create(code="29-1141.00", title="Registered Nurses", slug="registered-nurses")
    technology = Technology.objects.create(name="Epic Systems")
    occupation.technology_links.create(technology=technology)
    topic = TopicFactory(name="Health records", slug="health-records")
    client.get("/careers/registered-nurses/")  # stored in the page cache

    admin_client.post(reverse("admin:guides_technology_change", args=[technology.pk]), {"topic": topic.pk})

    assert (
        'href="/topics/health-records/">Epic Systems<span' in client.get("/careers/registered-nurses/").content.decode()
    )
