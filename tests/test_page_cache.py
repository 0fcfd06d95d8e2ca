"""Anonymous learners get cached pages that are never stale; signed-in staff never see or store one."""

import pytest
from django.urls import reverse

from tests.factories import CourseFactory, EditorFactory, GuideSectionFactory, OfferFactory, TopicFactory
from tests.guides.test_editor_admin import section_change_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(career):
    topic = TopicFactory(name="Go", slug="go")
    course = CourseFactory(title="Go Services", topics=[topic])
    career.topics.set([topic])
    return [
        reverse("guides:home"),
        reverse("guides:career_list"),
        career.get_absolute_url(),
        reverse("courses:list"),
        reverse("courses:list") + "?topic=go",
        course.get_absolute_url(),
        reverse("courses:topic_list"),
        topic.get_absolute_url(),
        reverse("courses:disclosure"),
    ]


def test_the_second_anonymous_request_does_not_touch_the_database(client, pages, django_assert_max_num_queries):
    for url in pages:
        first = client.get(url)

        with django_assert_max_num_queries(0):
            second = client.get(url)

        assert second.status_code == 200
        assert second.content == first.content, url


def test_an_unchanged_page_answers_304_to_a_revalidating_browser(client, career):
    first = client.get(career.get_absolute_url())

    again = client.get(career.get_absolute_url(), headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304
    assert "max-age=0" in first["Cache-Control"]
    assert "must-revalidate" in first["Cache-Control"]


def test_an_editors_admin_edit_shows_on_the_cached_public_guide_at_once(client, career, editor_client):
    client.get(career.get_absolute_url())  # cached now
    skills = career.sections.get(heading="Skills you need")

    response = editor_client.post(
        reverse("admin:guides_guidesection_change", args=[skills.pk]),
        section_change_data(skills, heading="Skills that matter"),
    )

    assert response.status_code == 302
    html = client.get(career.get_absolute_url()).content.decode()
    assert "Skills that matter" in html
    assert "Skills you need" not in html


@pytest.mark.parametrize(
    "change",
    [
        lambda course: setattr(course, "title", "Go Services, Second Edition") or course.save(),
        lambda course: OfferFactory(course=course),
        lambda course: course.topics.add(TopicFactory(name="Concurrency")),
    ],
    ids=["course edited", "offer added", "topic linked"],
)
def test_catalog_changes_show_on_cached_course_pages_at_once(client, change):
    course = CourseFactory(title="Go Services")
    before = client.get(course.get_absolute_url()).content

    change(course)

    assert client.get(course.get_absolute_url()).content != before


def test_a_new_guide_section_shows_at_once(client, career):
    client.get(career.get_absolute_url())

    GuideSectionFactory(career=career, heading="Interview practice", position=40)

    assert "Interview practice" in client.get(career.get_absolute_url()).content.decode()


def test_signed_in_staff_neither_get_nor_store_cached_pages(client, career):
    staff = EditorFactory()
    anonymous_first = client.get(career.get_absolute_url()).content
    client.force_login(staff)

    staff_page = client.get(reverse("guides:career_detail", args=[career.slug]))

    assert "private" in staff_page["Cache-Control"]
    client.logout()
    client.cookies.clear()
    assert client.get(career.get_absolute_url()).content == anonymous_first


def test_pages_that_set_cookies_or_fail_are_not_cached(client, django_assert_max_num_queries):
    client.get("/courses/no-such-course/")

    with django_assert_max_num_queries(10) as queries:
        response = client.get("/courses/no-such-course/")

    assert response.status_code == 404
    assert len(queries) >= 1  # rendered again, not served from the cache


def test_partner_redirects_are_never_cached(client):
    offer = OfferFactory()
    client.get(offer.get_absolute_url(), headers={"User-Agent": "Mozilla/5.0 Firefox/130"})
    client.get(offer.get_absolute_url(), headers={"User-Agent": "Mozilla/5.0 Firefox/130"})

    assert offer.clicks.count() == 2


def test_htmx_fragments_and_full_pages_are_cached_apart(client):
    CourseFactory(title="Go Services")
    url = reverse("courses:list") + "?q=go"

    full = client.get(url)
    fragment = client.get(url, headers={"HX-Request": "true"})

    assert b"<html" in full.content
    assert b"<html" not in fragment.content


def test_pages_are_compressed_and_still_revalidate(client, career):
    first = client.get(career.get_absolute_url(), headers={"Accept-Encoding": "gzip"})

    again = client.get(career.get_absolute_url(), headers={"Accept-Encoding": "gzip", "If-None-Match": first["ETag"]})

    assert first["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in first["Vary"]
    assert again.status_code == 304


def test_a_page_from_the_cache_carries_the_security_headers_and_its_own_request_id(client, career):
    first = client.get(career.get_absolute_url())

    second = client.get(career.get_absolute_url())

    for header in ["Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
                   "Cross-Origin-Opener-Policy", "Permissions-Policy", "ETag"]:  # fmt: skip
        assert second[header] == first[header], header
    assert second["X-Request-ID"] != first["X-Request-ID"]


def test_compressed_and_plain_copies_of_a_page_are_kept_apart(client, career):
    import gzip

    compressed = client.get(career.get_absolute_url(), headers={"Accept-Encoding": "gzip"})
    plain = client.get(career.get_absolute_url())
    compressed_again = client.get(career.get_absolute_url(), headers={"Accept-Encoding": "gzip, br"})

    assert "Content-Encoding" not in plain
    assert plain.content.startswith(b"<!DOCTYPE html>")
    assert compressed_again["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed_again.content) == gzip.decompress(compressed.content) == plain.content


def test_pages_stored_by_another_release_are_not_served(client, career, monkeypatch, django_assert_max_num_queries):
    from careerguide import page_cache

    client.get(career.get_absolute_url())  # stored by this release
    monkeypatch.setattr(page_cache, "release", lambda: "the-next-release")  # a deploy, sharing the cache

    with django_assert_max_num_queries(10) as queries:
        client.get(career.get_absolute_url())

    assert len(queries) >= 1  # rendered by the new release, not served from the old one's copy
