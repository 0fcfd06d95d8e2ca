"""Writing in the admin: a server-rendered Markdown preview, what the sanitizer removed, a compact career page."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone
from pytest_django.asserts import assertContains, assertNotContains

from guides.markdown import sanitizer_removals
from tests.factories import GuideSectionFactory, PartnerManagerFactory

pytestmark = pytest.mark.django_db

PREVIEW = reverse("guides:markdown_preview")
HOSTILE = (
    'Learn **SQL**.\n\n<script>alert(1)</script>\n\n<a href="#x" onclick="steal()">docs</a> '
    '<a href="javascript:evil()">x</a>'
)


def test_the_preview_renders_through_the_sanitizer_and_names_what_it_removed(editor_client):
    response = editor_client.post(PREVIEW, {"body": HOSTILE})

    assertContains(response, "Learn <strong>SQL</strong>.")
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "onclick" not in html.split("removed:")[0]
    assertContains(response, "removed:")
    assertContains(response, "&lt;script&gt;")
    assertContains(response, "onclick attribute")
    assertContains(response, "javascript: link")


def test_a_clean_body_gets_no_warning(editor_client):
    response = editor_client.post(PREVIEW, {"body": "Plain **text** with a [link](https://example.com)."})

    assertContains(response, "<strong>text</strong>")
    assertNotContains(response, "removed")


def test_the_preview_reads_the_intro_of_a_career_form_too(editor_client):
    response = editor_client.post(PREVIEW + "?field=intro", {"intro": "An *intro*."})

    assertContains(response, "<em>intro</em>")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("<script>x</script>", ["<script>"]),
        ('<p style="color:red">x</p>', ["style attribute"]),
        ("<iframe src=https://e.example></iframe>", ["<iframe>"]),
        ('<img src=x onerror="a()">', ["<img>"]),
        ('<a href="JavaScript:alert(1)">a</a>', ["javascript: link"]),
        ("Fine *text*, `<code>` shown as code.", []),
        ("| a | b |\n|---|---|\n| 1 | 2 |", []),
    ],
)
def test_sanitizer_removals_names_each_kind_of_removal_once(text, named):
    assert sanitizer_removals(text) == named


def test_the_preview_is_for_guide_writers_only(client):
    assert client.post(PREVIEW, {"body": "x"}).status_code == 302  # to the sign-in
    client.force_login(PartnerManagerFactory())
    assert client.post(PREVIEW, {"body": "x"}).status_code == 403


def test_the_preview_needs_a_post_with_the_csrf_token(editor):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)

    assert strict.post(PREVIEW, {"body": "x"}).status_code == 403
    assert strict.get(PREVIEW).status_code == 405


def test_the_section_form_offers_the_preview_fits_the_body_and_folds_the_anchor(editor_client):
    body = "\n\n".join(f"Paragraph {n} of a long section." for n in range(30))
    section = GuideSectionFactory(body=body)

    response = editor_client.get(reverse("admin:guides_guidesection_change", args=[section.pk]))

    html = response.content.decode()
    assert f'formaction="{PREVIEW}"' in html
    assert 'id="markdown-preview"' in html
    rows = int(re.search(r'<textarea name="body"[^>]*rows="(\d+)"', html).group(1))
    assert rows >= body.count("\n")
    anchor_fieldset = html[: html.index('name="anchor"')].rsplit("<fieldset", 1)[1]
    assert "collapse" in anchor_fieldset
    assert "Paragraph 29 of a long section." in html.split('id="markdown-preview"')[1]  # the saved body, rendered


def test_the_career_page_lists_its_sections_compactly_with_links_to_edit_them(editor_client, career):
    last_spring = dt.datetime(2026, 4, 2, 9, 30, tzinfo=dt.UTC)
    career.sections.filter(kind="tools").update(published=False, updated_at=last_spring)

    response = editor_client.get(reverse("admin:guides_career_change", args=[career.pk]))

    html = response.content.decode()
    assert "<textarea" not in html.split('id="sections-group"')[1]  # no section bodies inline
    table = html.split('id="sections-group"')[1].split("</table>")[0]
    headers = [re.sub(r"<[^>]+>", "", header).strip() for header in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]
    assert {"Published", "Updated at"} <= set(headers)
    rows = re.findall(r'<tr class="form-row has_original".*?</tr>', table, re.S)
    sections = list(career.sections.order_by("position"))
    assert len(rows) == len(sections)
    for section, row in zip(sections, rows, strict=True):
        published = re.search(r'<td class="field-published">(.*?)</td>', row, re.S).group(1)
        assert bool(re.search(r"<input[^>]*\bchecked\b", published)) == section.published, section.heading
        updated = re.search(r'<td class="field-updated_at">\s*<p>(.*?)</p>', row, re.S).group(1)
        assert updated == formats.date_format(timezone.localtime(section.updated_at), "DATETIME_FORMAT")
    for section in career.sections.all():
        assertContains(response, section.heading)
        assertContains(response, reverse("admin:guides_guidesection_change", args=[section.pk]))
    assertContains(response, "Skills")  # the kind
    assertContains(response, f"{reverse('admin:guides_guidesection_add')}?career={career.pk}")


def test_editors_preview_page_without_javascript_is_a_full_admin_page(editor_client):
    response = editor_client.post(PREVIEW, {"body": "A **bold** claim."})

    assertContains(response, "<title>")
    assertContains(response, "careerguide admin")


def test_an_htmx_preview_is_only_the_fragment(editor_client):
    response = editor_client.post(PREVIEW, {"body": "A **bold** claim."}, headers={"HX-Request": "true"})

    assertNotContains(response, "<title>")
    assertContains(response, "<strong>bold</strong>")
