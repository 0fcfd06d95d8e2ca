import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.urls import reverse
from pytest_django.asserts import assertContains

from careerguide import seo
from careerguide.sitemaps import CourseSitemap
from guides.models import Occupation
from tests.factories import (
    CareerFactory,
    CourseFactory,
    GuideSectionFactory,
    PartnerFactory,
    ProviderFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


class Head(HTMLParser):
    """What crawlers and link previews read from a page: title, meta and link tags, scripts."""

    def __init__(self, html):
        super().__init__()
        self.titles, self.meta, self.links, self.scripts = [], {}, {}, []
        self._in = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "title":
            self._in, self._text = "title", ""
        elif tag == "meta" and ("name" in attrs or "property" in attrs):
            self.meta.setdefault(attrs.get("name") or attrs["property"], []).append(attrs.get("content"))
        elif tag == "link" and "rel" in attrs:
            self.links.setdefault(attrs["rel"], []).append(attrs.get("href"))
        elif tag == "script":
            self._in, self._text, self._attrs = "script", "", attrs

    def handle_data(self, data):
        if self._in:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "title" and self._in == "title":
            self.titles.append(self._text)
        elif tag == "script" and self._in == "script":
            self.scripts.append((self._attrs, self._text))
        self._in = None

    def one(self, name):
        values = self.meta.get(name, [])
        assert len(values) == 1, f"{name}: {values}"
        return values[0]

    @property
    def canonical(self):
        return self.links.get("canonical", [])

    @property
    def structured_data(self):
        return [json.loads(text) for attrs, text in self.scripts if attrs.get("type") == "application/ld+json"]

    def of_type(self, schema_type):
        return [data for data in self.structured_data if data["@type"] == schema_type]


def head(response) -> Head:
    assert response.status_code == 200
    return Head(response.content.decode())


@pytest.fixture
def site(career):
    """The career fixture's guide, and a catalog of a course and a book in one topic, plus drafts."""
    go = TopicFactory(name="Go", slug="go")
    acme = ProviderFactory(name="Acme Learning", slug="acme-learning", website="https://acme.example")
    course = CourseFactory(title="Go Web Services", slug="go-web-services", topics=[go], provider=acme)
    book = CourseFactory(
        title="The Go Book",
        slug="the-go-book",
        kind="book",
        topics=[go],
        authors="Ada Lovelace, Grace Hopper",
        isbn="9780134190440",
        provider=ProviderFactory(name="Pages Press"),
        price=Decimal("39.99"),
        currency="EUR",
    )
    career.topics.set([go])
    hygienists = Occupation.objects.create(
        code="29-1292.00",
        title="Dental Hygienists",
        slug="dental-hygienists",
        interest_code="SCR",
        social=Decimal("6.10"),
        median_wage=94_260,
        wage_year=2024,
        employment_change_percent=Decimal("7.4"),
        bls_release="2024\u201334",
        entry_education="associate",
    )
    return {"career": career, "topic": go, "course": course, "book": book, "occupation": hygienists}


PUBLIC_PAGES = {
    "home": lambda site: reverse("guides:home"),
    "careers": lambda site: reverse("guides:career_list"),
    "guide": lambda site: site["career"].get_absolute_url(),
    "career-profile": lambda site: site["occupation"].get_absolute_url(),  # data only, no written guide
    "interests": lambda site: reverse("guides:interest_list"),
    "interest": lambda site: reverse("guides:interest_detail", kwargs={"code": "social"}),
    "catalog": lambda site: reverse("courses:list"),
    "catalog-search": lambda site: reverse("courses:list") + "?q=go",
    "catalog-topic": lambda site: reverse("courses:list") + "?topic=go",
    "course": lambda site: site["course"].get_absolute_url(),
    "book": lambda site: site["book"].get_absolute_url(),
    "topics": lambda site: reverse("courses:topic_list"),
    "topic": lambda site: site["topic"].get_absolute_url(),
    "disclosure": lambda site: reverse("courses:disclosure"),
}
MAIN_TYPE = {
    "home": "WebSite",
    "careers": "ItemList",
    "guide": "Article",
    "career-profile": "Occupation",
    "course": "Course",
    "book": "Book",
    "topics": "ItemList",
    "topic": "ItemList",
}


@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_every_public_page_has_title_description_canonical_and_share_tags(client, site, page):
    tags = head(client.get(PUBLIC_PAGES[page](site)))

    assert len(tags.titles) == 1
    assert tags.titles[0].strip()
    assert tags.one("description").strip()
    [canonical] = tags.canonical
    assert canonical.startswith("http://testserver/")
    assert tags.one("og:title") == tags.titles[0]
    assert tags.one("og:description") == tags.one("description")
    assert tags.one("og:image") == "http://testserver/static/img/share.png"
    assert tags.one("og:url").startswith("http://testserver/")
    assert tags.one("og:type") in ("website", "article", "book")
    assert tags.one("twitter:card") == "summary_large_image"


@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_every_public_page_has_json_ld_that_parses_with_a_breadcrumb_list(client, site, page):
    tags = head(client.get(PUBLIC_PAGES[page](site)))

    assert all(data["@context"] == "https://schema.org" for data in tags.structured_data)
    [breadcrumbs] = tags.of_type("BreadcrumbList")
    items = breadcrumbs["itemListElement"]
    assert items[0] == {"@type": "ListItem", "position": 1, "name": "Home", "item": "http://testserver/"}
    assert [item["position"] for item in items] == list(range(1, len(items) + 1))
    if page in MAIN_TYPE:
        assert tags.of_type(MAIN_TYPE[page])


def test_titles_differ_from_page_to_page(client, site):
    pages = [head(client.get(url(site))) for url in PUBLIC_PAGES.values()]

    titles = [tags.titles[0] for tags in pages]
    assert len(set(titles)) == len(titles)


def test_guide_is_an_article_about_the_occupation(client, site):
    career = site["career"]
    career.alternative_titles = "Backend Developer, API Developer"
    career.save()

    tags = head(client.get(career.get_absolute_url()))

    [article] = tags.of_type("Article")
    assert article["headline"] == "Back End Engineer career guide"
    assert article["url"] == "http://testserver/careers/back-end-engineer/"
    assert article["about"]["@type"] == "Occupation"
    assert article["about"]["name"] == "Back End Engineer"
    assert article["about"]["alternateName"] == ["Backend Developer", "API Developer"]
    assert article["dateModified"]
    assert tags.one("og:type") == "article"


def test_course_has_its_provider_and_price(client, site):
    tags = head(client.get(site["course"].get_absolute_url()))

    [course] = tags.of_type("Course")
    assert course["name"] == "Go Web Services"
    assert course["url"] == "http://testserver/courses/go-web-services/"
    assert course["provider"] == {"@type": "Organization", "name": "Acme Learning", "url": "https://acme.example"}
    assert course["offers"]["price"] == "10.00"
    assert course["offers"]["priceCurrency"] == "USD"
    assert course["offers"]["category"] == "Paid"


def test_course_without_a_listed_price_has_no_offer(client):
    course = CourseFactory(price=None)

    [data] = head(client.get(course.get_absolute_url())).of_type("Course")

    assert data["name"] == course.title  # positive control
    assert "offers" not in data


def test_book_has_authors_isbn_publisher_and_price(client, site):
    tags = head(client.get(site["book"].get_absolute_url()))

    [book] = tags.of_type("Book")
    assert book["isbn"] == "9780134190440"
    assert [author["name"] for author in book["author"]] == ["Ada Lovelace", "Grace Hopper"]
    assert book["publisher"]["name"] == "Pages Press"
    assert (book["offers"]["price"], book["offers"]["priceCurrency"]) == ("39.99", "EUR")
    assert tags.one("og:type") == "book"
    assert not tags.of_type("Course")


def test_topic_page_lists_its_items_in_page_order(client, site):
    CourseFactory(title="Unpublished Go", topics=[site["topic"]], published=False)

    [item_list] = head(client.get(site["topic"].get_absolute_url())).of_type("ItemList")

    assert [item["name"] for item in item_list["itemListElement"]] == ["Go Web Services", "The Go Book"]
    assert item_list["itemListElement"][0]["url"] == "http://testserver/courses/go-web-services/"
    assert item_list["numberOfItems"] == 2


def test_topic_without_published_items_is_kept_out_of_the_index(client):
    topic = TopicFactory(name="Cobol", slug="cobol")
    CourseFactory(topics=[topic], published=False)

    tags = head(client.get(topic.get_absolute_url()))

    assert tags.one("robots") == "noindex, follow"


def test_breadcrumbs_are_shown_and_described_alike(client, site):
    response = client.get(site["topic"].get_absolute_url())

    assertContains(response, '<a href="/topics/">Topics</a>')
    assertContains(response, '<span aria-current="page">Go</span>')
    [breadcrumbs] = head(response).of_type("BreadcrumbList")
    assert [(item["name"], item["item"]) for item in breadcrumbs["itemListElement"]] == [
        ("Home", "http://testserver/"),
        ("Topics", "http://testserver/topics/"),
        ("Go", "http://testserver/topics/go/"),
    ]


def test_json_ld_cannot_close_its_script_element(client):
    course = CourseFactory(title="</script><script>alert(1)</script> & more")

    response = client.get(course.get_absolute_url())

    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert "\\u003C/script\\u003E" in html
    [data] = head(response).of_type("Course")
    assert data["name"] == "</script><script>alert(1)</script> & more"


def test_pages_run_no_inline_script(client, site):
    for url in PUBLIC_PAGES.values():
        for attrs, _text in head(client.get(url(site))).scripts:
            assert attrs.get("src") or attrs.get("type") == "application/ld+json", (url, attrs)


def test_editors_titles_and_descriptions_replace_the_derived_ones(client, site):
    career, course = site["career"], site["course"]
    career.seo_title = "Become a back end engineer: the honest guide"
    career.seo_description = "What back end engineers really do all day."
    career.save()
    course.seo_title = "Go Web Services, reviewed"
    course.seo_description = "Build HTTP services in Go."
    course.save()

    for item in (career, course):
        tags = head(client.get(item.get_absolute_url()))
        assert tags.titles == [f"{item.seo_title} · careerguide"]
        assert tags.one("description") == item.seo_description
        assert tags.one("og:title") == f"{item.seo_title} · careerguide"
        assert tags.one("og:description") == item.seo_description


def test_derived_titles_and_descriptions_when_left_blank(client, site):
    guide = head(client.get(site["career"].get_absolute_url()))
    course = head(client.get(site["course"].get_absolute_url()))

    assert guide.titles == ["Back End Engineer career guide · careerguide"]
    assert guide.one("description") == "What the job is, in a sentence."
    assert course.titles == ["Go Web Services (course, Acme Learning) · careerguide"]
    assert course.one("description") == "A course about back end work."


def test_editors_find_the_search_fields_in_the_admin(admin_client, site):
    for item, name in [(site["career"], "guides_career"), (site["course"], "courses_course")]:
        response = admin_client.get(reverse(f"admin:{name}_change", args=[item.pk]))
        assertContains(response, 'name="seo_title"')
        assertContains(response, 'name="seo_description"')


# The catalog's canonical rule


def filters(**chosen):
    empty = {"q": "", "kind": [], "topic": [], "provider": [], "career": [], "level": [], "language": [],
             "price": [], "certificate": False, "sort": "relevance"}  # fmt: skip
    return empty | chosen


@pytest.mark.parametrize(
    ("chosen", "page", "canonical", "robots"),
    [
        ({}, 1, "/courses/", ""),
        ({}, 3, "/courses/?page=3", ""),
        ({"sort": "price"}, 1, "/courses/", ""),
        ({"topic": ["go"]}, 1, "/courses/?topic=go", ""),
        ({"topic": ["go"], "sort": "rating"}, 2, "/courses/?topic=go&page=2", ""),
        ({"certificate": True}, 1, "/courses/?certificate=1", ""),
        ({"q": "golang"}, 1, "/courses/", "noindex, follow"),
        ({"q": "golang", "topic": ["go"]}, 2, "/courses/", "noindex, follow"),
        ({"topic": ["go", "sql"]}, 1, "/courses/", "noindex, follow"),
        ({"topic": ["go"], "price": ["free"]}, 1, "/courses/", "noindex, follow"),
        ({"kind": ["book"], "certificate": True}, 1, "/courses/", "noindex, follow"),
    ],
)
def test_catalog_canonical_rule(chosen, page, canonical, robots):
    indexing = seo.catalog_indexing(filters(**chosen), page_number=page, result_count=50)

    assert (indexing.canonical, indexing.robots) == (canonical, robots)


def test_an_empty_catalog_page_is_not_indexed():
    indexing = seo.catalog_indexing(filters(topic=["no-such-topic"]), page_number=1, result_count=0)

    assert indexing.robots == "noindex, follow"


def test_catalog_search_points_to_the_catalog_and_is_not_indexed(client, site):
    tags = head(client.get(reverse("courses:list"), {"q": "go", "sort": "title"}))

    assert tags.canonical == ["http://testserver/courses/"]
    assert tags.one("robots") == "noindex, follow"
    assert tags.one("og:url") == "http://testserver/courses/?q=go&sort=title"  # shared as searched


def test_catalog_with_one_facet_value_is_its_own_landing_page(client, site):
    tags = head(client.get(reverse("courses:list"), {"topic": "go", "sort": "title"}))

    assert tags.canonical == ["http://testserver/courses/?topic=go"]
    assert "robots" not in tags.meta
    assert tags.titles == ["Go courses and books: 2 results · careerguide"]


def test_catalog_with_two_facet_values_is_not_indexed(client, site):
    tags = head(client.get(reverse("courses:list"), {"topic": "go", "kind": "book"}))

    assert tags.one("robots") == "noindex, follow"


def test_catalog_pages_keep_their_number_in_the_canonical(client):
    CourseFactory.create_batch(25)

    assert head(client.get(reverse("courses:list"), {"page": "2"})).canonical == ["http://testserver/courses/?page=2"]
    assert head(client.get(reverse("courses:list"), {"page": "1"})).canonical == ["http://testserver/courses/"]


def test_a_career_profile_is_titled_and_described_from_its_figures(client, site):
    tags = head(client.get(site["occupation"].get_absolute_url()))

    assert tags.titles == ["Dental Hygienists: pay, outlook and skills · careerguide"]
    assert tags.one("description") == (
        "Dental Hygienists: median pay $94,260 a year (2024), +7.4 % projected change 2024\u201334, typical entry: "
        "associate's degree. Interests, related careers, technologies and courses to learn them."
    )
    assert tags.canonical == ["http://testserver/careers/dental-hygienists/"]
    [occupation] = tags.of_type("Occupation")
    assert occupation["occupationalCategory"] == "29-1292.00"


def many_occupations(count: int) -> None:
    """`count` social careers, more than a page of the explorer (25) or of an interest (50) when asked."""
    Occupation.objects.bulk_create(
        Occupation(code=f"11-{n:04d}.00", title=f"Career {n:03d}", slug=f"career-{n:03d}", interest_code="S")
        for n in range(count)
    )


def test_interest_pages_keep_their_number_in_the_canonical(client, site):
    many_occupations(60)
    social = reverse("guides:interest_detail", kwargs={"code": "social"})

    assert head(client.get(social)).canonical == ["http://testserver/careers/interests/social/"]
    second = head(client.get(social, {"page": "2"}))
    assert second.canonical == ["http://testserver/careers/interests/social/?page=2"]
    assert second.titles == ["Social careers, page 2 · careerguide"]


def test_explorer_pages_keep_their_number_in_the_canonical(client, site):
    many_occupations(30)

    assert head(client.get(reverse("guides:career_list"))).canonical == ["http://testserver/careers/"]
    second = head(client.get(reverse("guides:career_list"), {"page": "2"}))
    assert second.canonical == ["http://testserver/careers/?page=2"]
    assert "robots" not in second.meta
    assert second.titles == ["Explore 31 careers: pay, outlook and interests, page 2 · careerguide"]  # and the site's


def test_a_filtered_explorer_page_keeps_pointing_to_the_explorer(client, site):
    many_occupations(30)

    tags = head(client.get(reverse("guides:career_list"), {"interest": "S", "page": "2"}))

    assert tags.canonical == ["http://testserver/careers/"]
    assert tags.one("robots") == "noindex, follow"


ATTRIBUTED_PAGES = {
    "explorer": lambda site: reverse("guides:career_list"),
    "compare": lambda site: reverse("guides:career_compare") + "?a=dental-hygienists&b=back-end-engineer",
    "interests": lambda site: reverse("guides:interest_list"),
    "interest": lambda site: reverse("guides:interest_detail", kwargs={"code": "social"}),
    "career-profile": lambda site: site["occupation"].get_absolute_url(),
    "guide-with-figures": lambda site: site["career"].get_absolute_url(),
}


def footer(response) -> str:
    html = response.content.decode()
    return html[html.index('<footer class="site-footer">') : html.index("</footer>")]


@pytest.mark.parametrize("page", ATTRIBUTED_PAGES)
def test_pages_with_onet_or_bls_figures_credit_them_in_the_footer(client, site, page):
    web = Occupation.objects.create(code="15-1254.00", title="Web Developers", slug="web-developers")
    site["career"].occupation = web  # the guide "Back End Engineer" shows its figures
    site["career"].save()

    response = client.get(ATTRIBUTED_PAGES[page](site))

    assert response.status_code == 200
    credit = footer(response)
    assert '<a href="https://www.onetcenter.org/database.html">O*NET 30.1 Database</a>' in credit
    assert "U.S. Department of Labor, Employment and Training Administration (USDOL/ETA)" in credit
    assert '<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>' in credit
    assert '<a href="https://www.bls.gov/emp/">Employment Projections 2024\u201334</a>' in credit


@pytest.mark.parametrize("page", ["home", "catalog", "course", "topic"])
def test_pages_without_those_figures_carry_no_credit_for_them(client, site, page):
    credit = footer(client.get(PUBLIC_PAGES[page](site)))

    assert "How we earn money" in credit  # positive control: the footer
    assert "O*NET" not in credit


def test_career_search_points_to_the_career_list_and_is_not_indexed(client, site):
    tags = head(client.get(reverse("guides:career_list"), {"q": "back end"}))

    assert tags.canonical == ["http://testserver/careers/"]
    assert tags.one("robots") == "noindex, follow"


# Pages that must stay out of the index


def test_error_pages_are_not_indexed_and_have_no_canonical(client, db):
    response = client.get("/no-such-page/")

    tags = Head(response.content.decode())
    assert response.status_code == 404
    assert tags.one("robots") == "noindex"
    assert tags.canonical == []
    assert "og:url" not in tags.meta


def test_partner_pages_have_no_canonical(client, db):
    gone = client.get(reverse("courses:go", kwargs={"token": "unknown"}))
    report = client.get(PartnerFactory().get_report_url())

    for response in (gone, report):
        tags = Head(response.content.decode())
        assert "noindex" in tags.one("robots")
        assert tags.canonical == []
        assert tags.structured_data == []


def test_staff_preview_has_no_canonical_or_share_row(editor_client, career):
    response = editor_client.get(reverse("guides:career_preview", kwargs={"slug": career.slug}))

    tags = Head(response.content.decode())
    assert tags.one("robots") == "noindex, nofollow"
    assert tags.canonical == []
    assert "data-share" not in response.content.decode()


# Share row


@pytest.mark.parametrize("item", ["career", "course", "book"])
def test_guides_and_courses_have_a_share_row_that_works_without_javascript(client, site, item):
    response = client.get(site[item].get_absolute_url())

    url = f"http://testserver{site[item].get_absolute_url()}"
    html = response.content.decode()
    assert f"&amp;body={url.replace(':', '%3A').replace('/', '%2F')}" in html
    assert 'href="mailto:?subject=' in html
    assertContains(response, "<li hidden data-share-copy>")  # shown by share.js where it can copy
    assertContains(response, "<li hidden data-share-native>")
    assertContains(response, 'role="status" data-share-status')
    assertContains(response, '<script src="/static/js/share.js" defer></script>')


def test_share_row_links_nowhere_but_this_page_and_e_mail(client, site):
    html = client.get(site["career"].get_absolute_url()).content.decode()
    start = html.index('<div class="share"')
    row = html[start : html.index("</div>", start)]

    addresses = re.findall(r'(?:href|data-share-url)="([^"]*)"', row)
    assert len(addresses) == 2  # positive control: the e-mail link and the address to share
    assert all(address.startswith(("mailto:?", "http://testserver/")) for address in addresses)


# Sitemap and robots.txt


def sitemap_locations(client) -> dict[str, str | None]:
    """Every address in the sitemap index's files, with its lastmod."""
    index = client.get(reverse("sitemap"))
    assert index.status_code == 200
    locations = {}
    for sitemap in ET.fromstring(index.content).findall("sm:sitemap", SITEMAP_NS):
        part = urlsplit(sitemap.find("sm:loc", SITEMAP_NS).text)
        response = client.get(part.path + (f"?{part.query}" if part.query else ""))
        assert response.status_code == 200
        for url in ET.fromstring(response.content).findall("sm:url", SITEMAP_NS):
            lastmod = url.find("sm:lastmod", SITEMAP_NS)
            locations[url.find("sm:loc", SITEMAP_NS).text] = lastmod.text if lastmod is not None else None
    return locations


def test_sitemap_lists_everything_published_and_nothing_else(client, site):
    draft_career = CareerFactory(slug="draft-career", published=False)
    draft_course = CourseFactory(slug="draft-course", published=False)
    draft_book = CourseFactory(slug="draft-book", kind="book", published=False)
    lonely = TopicFactory(name="Cobol", slug="cobol")
    CourseFactory(slug="draft-cobol", topics=[lonely], published=False)

    locations = sitemap_locations(client)

    for item in (site["career"], site["course"], site["book"], site["topic"]):
        assert f"http://testserver{item.get_absolute_url()}" in locations
        assert locations[f"http://testserver{item.get_absolute_url()}"]  # lastmod
    for item in (draft_career, draft_course, draft_book, lonely):
        assert f"http://testserver{item.get_absolute_url()}" not in locations
    for name in ("guides:home", "guides:career_list", "courses:list", "courses:topic_list", "courses:disclosure"):
        assert f"http://testserver{reverse(name)}" in locations


def test_sitemap_index_has_a_file_per_section(client, site):
    index = ET.fromstring(client.get(reverse("sitemap")).content)

    locations = [sitemap.find("sm:loc", SITEMAP_NS).text for sitemap in index.findall("sm:sitemap", SITEMAP_NS)]
    assert locations == [
        f"http://testserver/sitemap-{section}.xml"
        for section in ("pages", "careers", "occupations", "interests", "courses", "books", "topics")
    ]


def test_a_large_section_is_split_into_pages(client, monkeypatch):
    monkeypatch.setattr(CourseSitemap, "limit", 2)
    CourseFactory.create_batch(5)

    index = client.get(reverse("sitemap")).content.decode()

    assert "http://testserver/sitemap-courses.xml?p=3" in index
    assert "sitemap-courses.xml?p=4" not in index
    assert len(sitemap_locations(client)) == 5 + 6 + 6  # five courses, six pages, six interests


def test_a_guide_lastmod_follows_its_newest_published_section(client, career):
    section = GuideSectionFactory(career=career, heading="Fresh")

    locations = sitemap_locations(client)

    assert locations["http://testserver/careers/back-end-engineer/"] == section.updated_at.date().isoformat()


@pytest.mark.parametrize("count", [3, 30])
def test_sitemap_queries_do_not_grow_with_items(client, django_assert_max_num_queries, count):
    topic = TopicFactory()
    CourseFactory.create_batch(count, topics=[topic])
    CourseFactory.create_batch(count, kind="book", topics=[topic])

    with django_assert_max_num_queries(2):  # count, page
        client.get(reverse("sitemap_section", kwargs={"section": "courses"}))
    with django_assert_max_num_queries(9):  # four sections: newest item and size; career profiles: size
        client.get(reverse("sitemap"))


def test_sitemap_lists_career_profiles_once_and_guides_at_their_own_address(client, site):
    web = Occupation.objects.create(code="15-1254.00", title="Web Developers", slug="web-developers")
    nurses = Occupation.objects.create(code="29-1141.00", title="Registered Nurses", slug="registered-nurses")
    site["career"].occupation = web
    site["career"].save()

    locations = sitemap_locations(client)

    assert "http://testserver/careers/registered-nurses/" in locations
    assert f"http://testserver{site['career'].get_absolute_url()}" in locations
    assert "http://testserver/careers/web-developers/" not in locations  # it redirects to the guide
    assert "http://testserver/careers/interests/social/" in locations
    assert nurses.pk


def test_robots_txt_keeps_crawlers_out_of_redirects_admin_and_partner_pages(client, db):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    for path in ("/go/", "/admin/", "/partners/"):
        assert f"Disallow: {path}" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


# Migrations


def test_the_database_full_text_search_is_gone_after_migrating():
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        columns = [c.name for c in connection.introspection.get_table_description(cursor, "courses_course")]

    assert "courses_course" in tables  # positive control
    assert not any("fts" in table or "searchterm" in table for table in tables)
    assert "search_document" not in columns
    assert "search_keywords" not in columns
