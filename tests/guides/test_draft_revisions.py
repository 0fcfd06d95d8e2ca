"""A change to a published section can wait as a draft: previewed by editors, published or discarded later."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from guides.models import GuideSection
from tests.guides.test_editor_admin import section_change_data, section_url

pytestmark = pytest.mark.django_db

LIVE = "Learn **SQL** first."
DRAFT = "Learn **Python** first, then SQL."


@pytest.fixture
def skills(career):
    section = career.sections.get(kind="skills")
    section.body = LIVE
    section.save()
    return section


def preview_url(career):
    return reverse("guides:career_preview", kwargs={"slug": career.slug})


def save_draft(editor_client, section, **changes):
    data = section_change_data(section, **changes) | {"_save_draft": "Save as draft"}
    return editor_client.post(section_url(section), data)


def test_a_draft_of_a_published_section_waits_while_learners_keep_the_published_text(
    editor_client, client, career, skills
):
    response = save_draft(editor_client, skills, body=DRAFT, heading="Skills, in order")

    assert response.status_code == 302
    assert response["Location"] == section_url(skills)  # back to the section, draft loaded
    learner_page = client.get(career.get_absolute_url())
    assertContains(learner_page, "Learn <strong>SQL</strong> first.")
    assertNotContains(learner_page, "Python")
    assertNotContains(learner_page, "Skills, in order")
    preview = editor_client.get(preview_url(career))
    assertContains(preview, "Learn <strong>Python</strong> first, then SQL.")
    assertContains(preview, "Skills, in order")
    assertContains(preview, "Draft revision")
    assertNotContains(preview, "Learn <strong>SQL</strong> first.")
    form = editor_client.get(section_url(skills)).context["adminform"].form
    assert form["body"].value() == DRAFT  # the editor goes on with the draft


def test_publishing_the_draft_makes_it_live_and_the_history_says_who_published(
    editor_client, editor, client, career, skills
):
    save_draft(editor_client, skills, body=DRAFT)
    skills.refresh_from_db()

    page = editor_client.get(section_url(skills))
    assertContains(page, 'name="_publish_draft"')
    response = editor_client.post(
        section_url(skills), section_change_data(skills, body=DRAFT) | {"_publish_draft": "Publish draft"}
    )

    assert response.status_code == 302
    assertContains(client.get(career.get_absolute_url()), "Learn <strong>Python</strong> first, then SQL.")
    skills.refresh_from_db()
    assert (skills.body, skills.draft_body) == (DRAFT, "")
    latest = skills.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (editor, "Published the draft")
    assert skills.history.all()[1].history_change_reason == "Saved a draft"


def test_discarding_the_draft_keeps_the_published_text(editor_client, client, career, skills):
    save_draft(editor_client, skills, body=DRAFT)
    skills.refresh_from_db()

    response = editor_client.post(
        section_url(skills), section_change_data(skills, body=DRAFT) | {"_discard_draft": "Discard draft"}
    )

    assert response.status_code == 302
    skills.refresh_from_db()
    assert (skills.body, skills.draft_body) == (LIVE, "")
    assertNotContains(editor_client.get(preview_url(career)), "Python")


def test_a_plain_save_of_a_published_section_still_goes_live(editor_client, client, career, skills):
    editor_client.post(section_url(skills), section_change_data(skills, body=DRAFT))

    assertContains(client.get(career.get_absolute_url()), "Learn <strong>Python</strong>")


def test_the_draft_buttons_are_offered_only_for_published_sections(editor_client, career, skills):
    assertContains(editor_client.get(section_url(skills)), 'name="_save_draft"')
    assertNotContains(editor_client.get(section_url(skills)), 'name="_discard_draft"')  # no draft yet
    GuideSection.objects.filter(pk=skills.pk).update(published=False)

    assertNotContains(editor_client.get(section_url(skills)), 'name="_save_draft"')


def test_the_body_preview_on_the_form_shows_the_draft_being_edited(editor_client, skills):
    save_draft(editor_client, skills, body=DRAFT)

    html = editor_client.get(section_url(skills)).content.decode()

    assert "Learn <strong>Python</strong> first, then SQL." in html.split('id="markdown-preview"')[1]


def test_unpublishing_a_section_with_a_draft_saves_what_the_form_showed_and_keeps_no_stale_draft(editor_client, skills):
    save_draft(editor_client, skills, body=DRAFT)
    skills.refresh_from_db()

    response = editor_client.post(section_url(skills), section_change_data(skills, body=DRAFT, published=""))

    assert response.status_code == 302
    skills.refresh_from_db()
    assert (skills.published, skills.body, skills.draft_body) == (False, DRAFT, "")
    form = editor_client.get(section_url(skills))
    assertNotContains(form, 'name="_publish_draft"')
