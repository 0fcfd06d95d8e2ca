"""Partner managers run partners and offers in the admin; editors never see any of it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from courses.models import Offer, Partner
from tests.factories import CourseFactory, OfferFactory, PartnerFactory, PartnerManagerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    client.force_login(PartnerManagerFactory())
    return client


@pytest.mark.parametrize("model", ["partner", "offer", "click", "conversion"])
def test_editors_cannot_see_partner_business(editor_client, model):
    assert editor_client.get(reverse(f"admin:courses_{model}_changelist")).status_code == 403
    assert b"Partners" not in editor_client.get(reverse("admin:index")).content


@pytest.mark.parametrize("model", ["partner", "offer", "click", "conversion"])
def test_partner_managers_see_partner_business_but_not_the_guides(manager_client, model):
    assert manager_client.get(reverse(f"admin:courses_{model}_changelist")).status_code == 200
    assert manager_client.get(reverse("admin:guides_career_changelist")).status_code == 403


def test_an_offer_off_the_partners_hosts_is_refused_in_the_admin(manager_client):
    partner, course = PartnerFactory(allowed_hosts="learn.example.com"), CourseFactory()

    response = manager_client.post(
        reverse("admin:courses_offer_add"),
        {"course": course.pk, "partner": partner.pk, "url": "https://evil.example/x", "active": "on"},
    )

    assert response.status_code == 200
    assert "allowed hosts" in response.context["adminform"].form.errors["url"][0]
    assert Offer.objects.count() == 0


def test_a_partner_name_of_invisible_characters_is_refused(manager_client):
    partner = PartnerFactory(name="Learnly")
    partner.name = "\u200b\u2060"

    with pytest.raises(ValidationError, match="no visible characters"):
        partner.full_clean()


def test_invisible_characters_at_the_ends_of_a_partner_name_are_dropped_in_the_admin(manager_client):
    response = manager_client.post(
        reverse("admin:courses_partner_add"),
        {
            "name": "\ufeffLearnly\u200b",
            "slug": "learnly",
            "allowed_hosts": "learn.example.com",
            "postback_secret": "shared-with-learnly",
            "active": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Partner.objects.get(slug="learnly").name == "Learnly"


def test_broken_links_filter_lists_offers_that_failed_three_times(manager_client):
    OfferFactory(course=CourseFactory(title="Dead Link Course"), consecutive_failures=3, active=False)
    OfferFactory(course=CourseFactory(title="Flaky Link Course"), consecutive_failures=1)

    response = manager_client.get(reverse("admin:courses_offer_changelist"), {"health": "broken"})

    assert b"Dead Link Course" in response.content
    assert b"Flaky Link Course" not in response.content


def test_rotating_a_report_token_retires_the_old_link(manager_client, client):
    partner = PartnerFactory()
    old_url = partner.get_report_url()

    manager_client.post(
        reverse("admin:courses_partner_changelist"),
        {"action": "rotate_report_tokens", "_selected_action": [partner.pk]},
    )

    partner.refresh_from_db()
    assert partner.get_report_url() != old_url
