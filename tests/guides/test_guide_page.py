from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertTemplateUsed

from tests.db import HEAVY_BLOCK
from tests.factories import (
    CareerFactory,
    CourseFactory,
    GuideSectionFactory,
    PartnerManagerFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def guide_url(slug="back-end-engineer"):
    return reverse("guides:career_detail", kwargs={"slug": slug})


def test_guide_shows_sections_in_position_order(client, career):
    GuideSectionFactory(career=career, kind="growth", heading="Where it leads", position=15)

    html = client.get(guide_url()).content.decode()

    order = [html.index(f'id="{anchor}"') for anchor in ("education", "growth", "skills", "tools")]
    assert order == sorted(order)


def test_table_of_contents_links_to_each_section_anchor(client, career):
    response = client.get(guide_url())

    for anchor, heading in [("education", "Learning paths"), ("skills", "Skills you need"), ("tools", "Tools")]:
        assertContains(response, f'<a href="#{anchor}">{heading}', count=1)
        assertContains(response, f'<section id="{anchor}"', count=1)


def test_draft_sections_are_hidden_from_learners(client, career):
    GuideSectionFactory(career=career, heading="Half-written thoughts", published=False)

    response = client.get(guide_url())

    assertContains(response, "Skills you need")  # positive control
    assertNotContains(response, "Half-written thoughts")


def test_unpublished_career_is_not_found(client):
    CareerFactory(slug="secret-career", published=False)

    assert client.get(guide_url("secret-career")).status_code == 404


def test_the_guide_says_once_when_it_was_updated(client, career):
    response = client.get(guide_url())

    today = timezone.localdate()
    assertContains(response, f'Updated <time datetime="{today:%Y-%m-%d}">{today.day} {today:%B %Y}</time>', count=1)
    assertContains(response, "Updated <time", count=1)  # not again under each section of the same day


def test_a_section_updated_on_another_day_says_so(client, career):
    earlier = timezone.now() - timedelta(days=40)
    career.sections.filter(kind="tools").update(updated_at=earlier)

    html = client.get(guide_url()).content.decode()

    tools = html.split('<section id="tools"', 1)[1].split("</section>", 1)[0]
    assert f'This section updated <time datetime="{timezone.localdate(earlier):%Y-%m-%d}">' in tools
    assert html.count("updated <time") == 1  # this section only: the others changed on the guide's day


def test_a_phone_reader_can_jump_to_the_contents_and_back_from_each_section(client, career):
    html = client.get(guide_url()).content.decode()

    top, _ = html.split('<section id="education"', 1)
    assert '<a class="guide__jump" href="#contents">Contents</a>' in top
    assert '<nav id="contents" class="toc"' in top
    for anchor in ("education", "skills", "tools"):
        section = html.split(f'<section id="{anchor}"', 1)[1].split("</section>", 1)[0]
        assert '<a href="#contents">Back to contents</a>' in section


def test_the_guide_says_how_long_it_takes_to_read(client, career):
    career.intro = "word " * 1000  # with the three short sections, a little over 1,000 words at 200 a minute
    career.save()

    assertContains(client.get(guide_url()), "6 min read", count=1)


def test_guide_has_breadcrumbs_back_to_careers(client, career):
    response = client.get(guide_url())

    assertContains(response, f'<a href="{reverse("guides:career_list")}">Careers</a>')
    assertContains(response, '<span aria-current="page">Back End Engineer</span>')


@pytest.mark.parametrize("section_count", [3, 30])
def test_guide_page_queries_do_not_grow_with_sections(client, django_assert_max_num_queries, section_count):
    career = CareerFactory(slug="back-end-engineer")
    topics = TopicFactory.create_batch(3)
    CourseFactory.create_batch(2 * section_count, topics=topics)  # enough for every section: no item in more than two
    for index, section in enumerate(GuideSectionFactory.create_batch(section_count, career=career)):
        section.topics.set(topics[: index % 3 + 1])
        if index % 2:
            section.picks.set(CourseFactory.create_batch(2))

    # career, sections, their topics, their picks (with providers), best item ids per topic, those items
    with django_assert_max_num_queries(6 + HEAVY_BLOCK):
        response = client.get(guide_url())

    assertContains(response, "<section id=", count=section_count)
    assertContains(response, "Recommended to go further", count=section_count)

    client.cookies["sessionid"] = "not-signed-in"  # past the page cache: the rendering itself, again
    with django_assert_max_num_queries(3):  # career, sections, the items each shows (chosen from the cache)
        response = client.get(guide_url())

    assertContains(response, "Recommended to go further", count=section_count)


def test_unknown_slug_gets_a_404_page_in_the_site_design(client, db):
    response = client.get(guide_url("no-such-career"))

    assert response.status_code == 404
    assertTemplateUsed(response, "404.html")
    assertContains(response, "Skip to content", status_code=404)
    assertContains(response, "Browse all career guides", status_code=404)


def test_old_slug_redirects_permanently_after_a_rename(client, career):
    career.slug = "backend-engineer"
    career.save()

    response = client.get(guide_url("back-end-engineer"))

    assert response.status_code == 301
    assert response["Location"] == guide_url("backend-engineer")


def test_old_slug_of_an_unpublished_career_is_not_found(client, career):
    career.slug = "backend-engineer"
    career.published = False
    career.save()

    assert client.get(guide_url("back-end-engineer")).status_code == 404


def test_staff_preview_shows_drafts_marked_as_drafts(editor_client, career):
    GuideSectionFactory(career=career, heading="Half-written thoughts", published=False)

    response = editor_client.get(reverse("guides:career_preview", kwargs={"slug": career.slug}))

    assertContains(response, "Half-written thoughts")
    assertContains(response, '<span class="badge">Draft</span>', count=1)
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_preview_is_for_staff_only(client, career):
    client.force_login(UserFactory())  # logged in, but not staff

    response = client.get(reverse("guides:career_preview", kwargs={"slug": career.slug}))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_preview_is_refused_to_staff_without_guide_rights(client, career):
    client.force_login(PartnerManagerFactory())  # staff, but runs partners, not guides

    response = client.get(reverse("guides:career_preview", kwargs={"slug": career.slug}))

    assert response.status_code == 403
    assert b"Back End Engineer" not in response.content


def test_home_lists_published_careers_only(client, career):
    CareerFactory(name="Hidden Career", published=False)

    response = client.get(reverse("guides:home"))

    assertContains(response, "Back End Engineer")
    assertNotContains(response, "Hidden Career")


def test_career_search_finds_alternative_titles(client, career):
    career.alternative_titles = "Backend Developer, Server-side Engineer"
    career.save()
    CareerFactory(name="Data Analyst")

    response = client.get(reverse("guides:career_list"), {"q": "server-side"})

    assertContains(response, "Back End Engineer")
    assertNotContains(response, "Data Analyst")


def test_favicon_ico_points_to_the_site_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")


def test_home_search_examples_are_a_hint_below_the_box_not_a_placeholder_a_phone_cuts(client, db):
    response = client.get(reverse("guides:home"))

    assertContains(response, 'aria-describedby="home-q-hint"')
    hint = "For example: golang, postgres, system design"
    assertContains(response, f'<p id="home-q-hint" class="search__hint">{hint}</p>')
    assertNotContains(response, "placeholder=")
