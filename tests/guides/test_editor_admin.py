import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains

from guides.models import Career, GuideSection
from tests.factories import CareerFactory, EditorFactory

pytestmark = pytest.mark.django_db


def career_change_data(career, section_changes=None):
    """The POST body of the career's admin page as loaded, with some sections' position or published changed by id.

    The page lists sections compactly: only where each stands and whether it is published are edited there.
    """
    data = {
        "name": career.name,
        "slug": career.slug,
        "alternative_titles": career.alternative_titles,
        "summary": career.summary,
        "intro": career.intro,
        "published": "on" if career.published else "",
        "loaded_version": career.updated_at.isoformat(),
    }
    sections = list(career.sections.order_by("position", "pk"))
    data |= {
        "sections-TOTAL_FORMS": str(len(sections)),
        "sections-INITIAL_FORMS": str(len(sections)),
        "sections-MIN_NUM_FORMS": "0",
        "sections-MAX_NUM_FORMS": "1000",
    }
    for index, section in enumerate(sections):
        fields = {
            "id": section.pk,
            "career": career.pk,
            "position": section.position,
            "published": "on" if section.published else "",
            "loaded_version": section.updated_at.isoformat(),
        }
        fields |= (section_changes or {}).get(section.pk, {})
        data |= {f"sections-{index}-{name}": value for name, value in fields.items() if value != ""}
    return data


def section_change_data(section, **changes):
    """The POST body of a section's own admin page as loaded, with `changes`."""
    data = {
        "career": section.career_id,
        "position": section.position,
        "kind": section.kind,
        "published": "on" if section.published else "",
        "heading": section.heading,
        "anchor": section.anchor,
        "body": section.body,
        "topics": [topic.pk for topic in section.topics.all()],
        "loaded_version": section.updated_at.isoformat(),
        # The picks' rows below the form (none changed here).
        "pick_links-TOTAL_FORMS": "0",
        "pick_links-INITIAL_FORMS": "0",
    } | changes
    return {name: value for name, value in data.items() if value != ""}


def section_url(section):
    return reverse("admin:guides_guidesection_change", args=[section.pk])


def change_url(career):
    return reverse("admin:guides_career_change", args=[career.pk])


def test_editor_logs_in_through_the_admin_login_form(client):
    EditorFactory(username="ada")

    response = client.post(
        reverse("admin:login"),
        {"username": "ada", "password": "correct horse battery staple", "next": reverse("admin:index")},
        follow=True,
    )

    assertContains(response, "Careers")
    assertContains(response, "Guide sections")


@pytest.mark.parametrize("unsafe_next", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_signing_in_with_an_unsafe_next_lands_on_the_admin_index(client, unsafe_next):
    EditorFactory(username="ada")

    response = client.post(
        reverse("admin:login"),
        {"username": "ada", "password": "correct horse battery staple", "next": unsafe_next},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_editor_edits_and_reorders_sections_and_the_guide_shows_it_at_once(editor_client, career):
    education, _, tools = career.sections.order_by("position")
    edited = editor_client.post(
        section_url(tools), section_change_data(tools, body="Learn **Git** before anything else.")
    )
    assert edited.status_code == 302, edited.context["errors"] if edited.context else edited
    career.refresh_from_db()
    data = career_change_data(career, {education.pk: {"position": 30}, tools.pk: {"position": 10}})

    response = editor_client.post(change_url(career), data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    html = editor_client.get(reverse("guides:career_detail", kwargs={"slug": career.slug})).content.decode()
    assert "Learn <strong>Git</strong> before anything else." in html
    assert html.index('id="tools"') < html.index('id="skills"') < html.index('id="education"')


def test_editor_reorders_sections_from_the_section_list(editor_client, career):
    education = career.sections.get(kind="education")
    data = {
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "3",
        "_save": "Save",
    }
    for index, section in enumerate(GuideSection.objects.order_by("career__name", "position", "pk")):
        new_position = {education.pk: 25}.get(section.pk, section.position)
        data |= {f"form-{index}-id": section.pk, f"form-{index}-position": new_position}

    response = editor_client.post(reverse("admin:guides_guidesection_changelist"), data)

    assert response.status_code == 302
    assert [s.kind for s in career.sections.order_by("position")] == ["skills", "education", "tools"]


def test_a_stale_edit_is_refused_instead_of_overwriting_a_colleague(editor_client, career):
    skills = career.sections.get(kind="skills")
    data = career_change_data(career, {skills.pk: {"position": 5}})
    GuideSection.objects.filter(pk=skills.pk).update(body="Colleague's version.")
    skills.refresh_from_db()
    skills.save()  # the colleague's save moves updated_at on

    response = editor_client.post(change_url(career), data)

    assert response.status_code == 200
    assertContains(response, "Someone else saved this after you opened it")
    skills.refresh_from_db()
    assert skills.body == "Colleague's version."


def test_editor_sees_who_changed_a_section_in_its_history(editor_client, editor, career):
    skills = career.sections.get(kind="skills")
    editor_client.post(section_url(skills), section_change_data(skills, body="Edited by the editor."))

    response = editor_client.get(reverse("admin:guides_guidesection_history", args=[skills.pk]))

    assertContains(response, editor.username)


@pytest.mark.parametrize(
    "url_name",
    ["admin:auth_user_changelist", "admin:auth_group_changelist", "admin:auth_user_add"],
)
def test_editor_cannot_see_users_or_groups(editor_client, url_name):
    assert editor_client.get(reverse(url_name)).status_code == 403


def test_editor_cannot_delete_a_career(editor_client, career):
    delete_url = reverse("admin:guides_career_delete", args=[career.pk])

    assert editor_client.get(delete_url).status_code == 403
    assert editor_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Career.objects.filter(pk=career.pk).exists()


def test_editor_cannot_delete_a_section_and_unpublishes_it_instead(editor_client, career):
    skills = career.sections.get(kind="skills")

    assert (
        editor_client.post(reverse("admin:guides_guidesection_delete", args=[skills.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert GuideSection.objects.filter(pk=skills.pk).exists()


def test_editor_adds_a_career(editor_client):
    response = editor_client.post(
        reverse("admin:guides_career_add"),
        {
            "name": "Site Reliability Engineer",
            "slug": "site-reliability-engineer",
            "summary": "Keeps services up.",
            "intro": "Intro.",
            "published": "on",
            "sections-TOTAL_FORMS": "0",
            "sections-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert Career.objects.filter(slug="site-reliability-engineer").exists()


def test_admin_changelist_queries_do_not_grow(editor_client, django_assert_max_num_queries):
    for career in CareerFactory.create_batch(20):
        career.sections.create(kind="skills", heading="Skills", body="x")

    with django_assert_max_num_queries(12):
        response = editor_client.get(reverse("admin:guides_guidesection_changelist"))

    assertContains(response, '<th class="field-heading">', count=20)


def test_editor_adds_two_sections_with_one_heading_and_each_gets_its_own_anchor(editor_client, career):
    add_url = reverse("admin:guides_guidesection_add")
    for position in (40, 50):
        data = {"career": career.pk, "position": position, "kind": "other", "published": "on"}
        data |= {"heading": "Transferable skills", "anchor": "", "body": "Text."}
        data |= {"pick_links-TOTAL_FORMS": "0", "pick_links-INITIAL_FORMS": "0"}
        response = editor_client.post(add_url, {name: value for name, value in data.items() if value != ""})
        assert response.status_code == 302

    anchors = list(career.sections.filter(kind="other").order_by("position").values_list("anchor", flat=True))
    assert anchors == ["transferable-skills", "transferable-skills-2"]


@pytest.mark.parametrize("invisible", ["\u200b", "\u200b\u200c\u200d", "\ufeff", " \u2060 "])
def test_a_name_of_invisible_characters_is_refused(editor_client, career, invisible):
    response = editor_client.post(
        reverse("admin:guides_career_change", args=[career.pk]), career_change_data(career) | {"name": invisible}
    )

    assert response.status_code == 200  # the form again, with the error
    assert "Has no visible characters" in response.content.decode()
    career.refresh_from_db()
    assert career.name == "Back End Engineer"


def test_invisible_characters_at_the_ends_of_a_name_are_dropped(editor_client, career):
    response = editor_client.post(
        reverse("admin:guides_career_change", args=[career.pk]),
        career_change_data(career) | {"name": "\u200bBack End Engineer, renamed\ufeff"},
    )

    assert response.status_code == 302
    career.refresh_from_db()
    assert career.name == "Back End Engineer, renamed"


@pytest.mark.parametrize(
    ("factory", "field"),
    [("GuideSectionFactory", "heading"), ("CourseFactory", "title"), ("TopicFactory", "name"),
     ("ProviderFactory", "name")],
)  # fmt: skip
def test_every_name_an_editor_sets_needs_a_visible_character(factory, field):
    from django.core.exceptions import ValidationError

    from tests import factories

    item = getattr(factories, factory)()
    setattr(item, field, "\u200b\u2060")

    with pytest.raises(ValidationError, match="no visible characters"):
        item.full_clean()
