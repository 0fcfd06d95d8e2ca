"""An editor's walk through the admin history: find an older version, open it, press Revert."""

import re

import pytest
from django import forms
from django.urls import reverse
from pytest_django.asserts import assertContains

from guides.models import Career, GuideSection
from tests.factories import CareerFactory, CourseFactory, GuideSectionFactory, TopicFactory

pytestmark = pytest.mark.django_db


def admin_url(obj, view, *args):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=args)


def as_browser_posts(form) -> dict:
    """The form's fields as a browser submits them: unchecked boxes left out, textareas with CRLF line ends."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        elif value is not None:
            text = str(value)
            data[name] = text.replace("\r\n", "\n").replace("\n", "\r\n") if "\n" in text else text
    return data


def management_forms(page) -> dict:
    """The inline formsets' counts as a browser posts them when the editor adds no inline rows."""
    initial = dict(re.findall(r'name="([\w-]+)-INITIAL_FORMS" value="(\d+)"', page.content.decode()))
    return {f"{prefix}-{kind}_FORMS": count for prefix, count in initial.items() for kind in ("TOTAL", "INITIAL")}


def revert_through_history(client, obj, older_version):
    """History list → the older version's link → its form → Revert, as an editor does it."""
    history = client.get(admin_url(obj, "history", obj.pk))
    version_url = admin_url(obj, "simple_history", obj.pk, older_version.history_id)
    assert f'href="{version_url}"' in history.content.decode()
    page = client.get(version_url)
    assert page.status_code == 200
    assertContains(page, 'value="Revert"')
    data = as_browser_posts(page.context["adminform"].form)
    data["_save"] = "Revert"
    return client.post(version_url, data)


MULTILINE = "## Where to start\n\nLearn **SQL** first.\n\n- joins\n- indexes\n"


def make_section():
    return GuideSectionFactory(heading="Skills you need", body=MULTILINE)


def make_career():
    return CareerFactory(name="Data Engineer", intro="First paragraph.\n\nSecond paragraph.")


def make_course():
    return CourseFactory(title="Data Engineering", description="Line one.\n\nLine two.")


def make_topic():
    return TopicFactory(name="Databases")


@pytest.mark.parametrize(
    ("make", "field"),
    [(make_section, "heading"), (make_career, "name"), (make_course, "title"), (make_topic, "name")],
    ids=["section", "career", "course", "topic"],
)
def test_an_editor_reverts_to_an_older_version_through_the_history(editor_client, make, field):
    obj = make()
    model = type(obj)
    older = obj.history.latest()
    old_value = getattr(obj, field)
    obj = model.objects.get(pk=obj.pk)
    setattr(obj, field, f"{old_value} (rewritten)")
    obj.save()

    response = revert_through_history(editor_client, obj, older)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert getattr(model.objects.get(pk=obj.pk), field) == old_value
    assert obj.history.count() == 3  # the revert is a version of its own
    rows = history_rows(editor_client.get(admin_url(obj, "history", obj.pk)))
    assert "Reverted to the version of" in rows[0]


def test_reverting_keeps_a_sections_multiline_body(editor_client):
    section = make_section()
    older = section.history.latest()
    section.body = "Rewritten in one line."
    section.save()

    response = revert_through_history(editor_client, section, older)

    assert response.status_code == 302
    assert GuideSection.objects.get(pk=section.pk).body.replace("\r\n", "\n") == MULTILINE.strip()


def test_a_revert_over_a_colleagues_newer_save_is_still_refused(editor_client):
    """Opening the old version, then a colleague saves: pressing Revert would silently drop their save."""
    section = make_section()
    older = section.history.latest()
    section.heading = "Second heading"
    section.save()
    version_url = admin_url(section, "simple_history", section.pk, older.history_id)
    data = as_browser_posts(editor_client.get(version_url).context["adminform"].form)
    colleague_copy = GuideSection.objects.get(pk=section.pk)
    colleague_copy.body = "A colleague's careful rewrite."
    colleague_copy.save()

    response = editor_client.post(version_url, data | {"_save": "Revert"})

    assert response.status_code == 200
    assertContains(response, "Someone else saved this after you opened it")
    assert GuideSection.objects.get(pk=section.pk).body == "A colleague's careful rewrite."


def test_a_stale_career_edit_is_refused_on_the_change_form(editor_client):
    career = make_career()
    page = editor_client.get(admin_url(career, "change", career.pk))
    data = as_browser_posts(page.context["adminform"].form)
    Career.objects.get(pk=career.pk).save()  # a colleague saves meanwhile

    response = editor_client.post(
        admin_url(career, "change", career.pk),
        data
        | {"name": "Mine", "sections-TOTAL_FORMS": "0", "sections-INITIAL_FORMS": "0"}
        | dict(re.findall(r'name="(sections-\w+_FORMS)" value="(\d+)"', page.content.decode())),
    )

    assert response.status_code == 200
    assertContains(response, "Someone else saved this after you opened it")


@pytest.mark.parametrize(("make", "field"), [(make_course, "title"), (make_topic, "name")], ids=["course", "topic"])
def test_a_stale_catalog_edit_is_refused_on_the_change_form(editor_client, make, field):
    obj = make()
    model = type(obj)
    data = as_browser_posts(editor_client.get(admin_url(obj, "change", obj.pk)).context["adminform"].form)
    colleague_copy = model.objects.get(pk=obj.pk)
    setattr(colleague_copy, field, "A colleague's name")
    colleague_copy.save()

    response = editor_client.post(admin_url(obj, "change", obj.pk), data | {field: "Mine"})

    assert response.status_code == 200
    assertContains(response, "Someone else saved this after you opened it")
    assert getattr(model.objects.get(pk=obj.pk), field) == "A colleague's name"


@pytest.mark.parametrize(("make", "field"), [(make_course, "title"), (make_topic, "name")], ids=["course", "topic"])
def test_a_fresh_catalog_edit_saves(editor_client, make, field):
    obj = make()
    model = type(obj)
    page = editor_client.get(admin_url(obj, "change", obj.pk))
    data = as_browser_posts(page.context["adminform"].form)
    assert data["loaded_version"]  # the form carries the version it was opened at

    response = editor_client.post(admin_url(obj, "change", obj.pk), data | {field: "Mine"})

    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert getattr(model.objects.get(pk=obj.pk), field) == "Mine"


def history_rows(response) -> list[str]:
    """The history table's rows as text, one string per version, newest first."""
    html = response.content.decode()
    table = html[html.index('id="change-history"') :]
    table = table[: table.index("</table>")]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in table.split("<tr")[2:]]


def test_the_history_names_the_editor_who_saved_each_version(client, django_user_model):
    from tests.factories import EditorFactory

    ada, grace = EditorFactory(username="ada"), EditorFactory(username="grace")
    section = make_section()
    for editor, heading in [(ada, "Skills by Ada"), (grace, "Skills by Grace")]:
        client.force_login(editor)
        page = client.get(admin_url(section, "change", section.pk))
        data = as_browser_posts(page.context["adminform"].form) | management_forms(page) | {"heading": heading}
        assert client.post(admin_url(section, "change", section.pk), data).status_code == 302

    rows = history_rows(client.get(admin_url(section, "history", section.pk)))

    assert "grace" in rows[0]
    assert "ada" not in rows[0]
    assert "ada" in rows[1]
    assert "None" not in " ".join(rows)


def test_the_history_shows_a_word_diff_of_the_body_and_which_fields_changed(editor_client):
    section = GuideSectionFactory(heading="Skills", body="Learn SQL first, then <b>Python</b>.\n\n" + "Filler. " * 40)
    page = editor_client.get(admin_url(section, "change", section.pk))
    data = as_browser_posts(page.context["adminform"].form) | management_forms(page)
    data["body"] = data["body"].replace("SQL first", "Python first").replace("then <b>Python</b>", "then SQL")
    editor_client.post(admin_url(section, "change", section.pk), data)

    response = editor_client.get(admin_url(section, "history", section.pk))

    html = response.content.decode()
    newest = html[html.index('id="change-history"') :].split("<tr")[2]
    assert "<del>SQL</del>" in newest
    assert "<ins>Python</ins>" in newest
    assert "&lt;b&gt;Python&lt;/b&gt;." in newest  # escaped, never rendered as markup
    assert "chars]" not in newest  # the whole change is readable, not cut to a blob
    assert "Body" in newest
    assert "Heading" not in newest
    assert "style=" not in newest  # the strict CSP allows no inline styles


@pytest.mark.parametrize(
    "make", [make_section, make_career, make_course, make_topic], ids=["section", "career", "course", "topic"]
)
def test_every_link_an_editor_is_shown_on_the_history_pages_opens(editor_client, editor, make):
    obj = make()
    model = type(obj)
    obj = model.objects.get(pk=obj.pk)
    obj._history_user = editor  # a version saved by an editor: its row names them
    obj.save()
    pages = [admin_url(obj, "history", obj.pk), admin_url(obj, "simple_history", obj.pk, obj.history.earliest().pk)]
    for page in pages:
        html = editor_client.get(page).content.decode()
        links = set(re.findall(r'href="(/admin/[^"#?]*)', html)) - {reverse("admin:logout")}
        assert links, page
        refused = [link for link in links if editor_client.get(link).status_code >= 400]
        assert refused == [], f"links on {page}"


def test_the_word_diff_keeps_the_spaces_around_each_change_and_cuts_long_unchanged_text():
    from careerguide.admin import word_diff

    filler = " ".join(f"word{n}" for n in range(60))
    old = f"Start the day. {filler} Then the server. {filler} End."
    new = f"Start the day. {filler} Then THE server. {filler} End."

    html = str(word_diff(old, new))

    assert "Then <del>the</del><ins>THE</ins> server." in html
    assert "word30" not in html  # far from the change: cut
    assert html.startswith("… word")
    assert html.endswith(" …")


@pytest.mark.parametrize("where", ["end", "start"])
def test_the_word_diff_of_an_addition_shows_the_words_next_to_it(where):
    """A paragraph added at the end (or the start) of a long body: the editor reads where it went, not "…"."""
    from careerguide.admin import word_diff

    body = " ".join(f"word{n}" for n in range(60))
    new = f"{body} Added at the end." if where == "end" else f"Added at the start. {body}"

    html = str(word_diff(body, new))

    if where == "end":
        assert html.startswith("… ")
        assert html.endswith("word58 word59<ins> Added at the end.</ins>")
    else:
        assert html.endswith(" …")
        assert html.startswith("<ins>Added at the start. </ins>word0 word1")
    assert "word30" not in html  # far from the addition: still cut
