"""An editor's picks appear in the order the editor gave them, and are easy to tell apart when choosing."""

import re

import pytest
from django.urls import reverse

from tests.factories import CourseFactory, GuideSectionFactory, ProviderFactory
from tests.guides.test_editor_admin import section_change_data

pytestmark = pytest.mark.django_db


def picks_data(picks):
    """The section form's pick rows: (course, position) in the order the editor typed them."""
    data = {
        "pick_links-TOTAL_FORMS": str(len(picks)),
        "pick_links-INITIAL_FORMS": "0",
        "pick_links-MIN_NUM_FORMS": "0",
        "pick_links-MAX_NUM_FORMS": "1000",
    }
    for index, (course, position) in enumerate(picks):
        data |= {f"pick_links-{index}-course": course.pk, f"pick_links-{index}-position": position}
    return data


def test_the_guide_shows_picks_in_the_editors_order_not_by_title(editor_client, client):
    section = GuideSectionFactory(heading="Start here", career__slug="data-engineer")
    zeta, alpha, mid = (CourseFactory(title=title) for title in ["Zeta Course", "Alpha Course", "Mid Course"])
    data = section_change_data(section) | picks_data([(alpha, 30), (zeta, 10), (mid, 20)])

    response = editor_client.post(reverse("admin:guides_guidesection_change", args=[section.pk]), data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    html = client.get(section.career.get_absolute_url()).content.decode()
    shown = re.findall(r"(Zeta|Alpha|Mid) Course", html[html.index('id="' + section.anchor + '"') :])
    assert shown[:3] == ["Zeta", "Mid", "Alpha"]


def test_picks_added_in_code_keep_the_order_they_were_added(client):
    section = GuideSectionFactory(heading="Start here")
    for title in ["Zeta Course", "Alpha Course"]:
        section.picks.add(CourseFactory(title=title))

    html = client.get(section.career.get_absolute_url()).content.decode()

    assert html.index("Zeta Course") < html.index("Alpha Course")


def test_the_picks_autocomplete_tells_items_apart_by_kind_provider_and_price(editor_client):
    CourseFactory(title="Designing Data-Intensive Applications", kind="book", provider=ProviderFactory(name="O'Reilly"))
    url = reverse("admin:autocomplete")
    params = {"app_label": "guides", "model_name": "guidesectionpick", "field_name": "course", "term": "Designing"}

    results = editor_client.get(url, params).json()["results"]

    assert [result["text"] for result in results] == [
        "Designing Data-Intensive Applications (Book · O'Reilly · USD 10)"
    ]
