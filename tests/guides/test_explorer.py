import json
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.text import slugify
from pytest_django.asserts import assertContains, assertNotContains

from guides.models import Career, Occupation, OccupationTechnology, RelatedOccupation, Technology, squash
from tests.db import HEAVY_BLOCK
from tests.factories import CareerFactory, CourseFactory, TopicFactory
from tests.guides.occupation_files import write_files

pytestmark = pytest.mark.django_db
EXPLORER = "/careers/"


@pytest.fixture
def occupations(tmp_path):
    """Web Developers (CI, zone 3), Computer Systems Engineers/Architects (ICR, zone 4), Registered Nurses (SIR, 3)."""
    onet, bls = write_files(tmp_path)
    call_command("import_occupations", onet=onet, bls=bls, stdout=StringIO(), stderr=StringIO())
    return {occupation.code: occupation for occupation in Occupation.objects.all()}


def titles(response) -> list[str]:
    return re.findall(r'<h3 class="career-row__title"><a href="[^"]+">([^<]+)</a>', response.content.decode())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("backend engineer", "Web Developers"),
        ("Back-End Engineer", "Web Developers"),
        ("site reliability", "Computer Systems Engineers/Architects"),
        ("SRE", "Computer Systems Engineers/Architects"),
        ("staff nurse", "Registered Nurses"),
    ],
)
def test_search_by_alternate_title_finds_the_right_career(client, occupations, query, expected):
    assert titles(client.get(EXPLORER, {"q": query})) == [expected]


def test_search_shows_the_title_it_matched(client, occupations):
    assertContains(client.get(EXPLORER, {"q": "backend engineer"}), "Also called Back End Engineer")


def test_an_exact_title_comes_before_a_partial_match(client, occupations):
    assert titles(client.get(EXPLORER, {"q": "engineer"}))[0] == "Computer Systems Engineers/Architects"
    assert titles(client.get(EXPLORER, {"q": "web developers"})) == ["Web Developers"]


def test_search_ranks_own_title_then_exact_alternate_then_starts_with_then_any(db):
    def occupation(code, title, *titles):
        document = "|" + "|".join(squash(t) for t in (title, *titles)) + "|"
        return Occupation.objects.create(code=code, title=title, slug=code, search_document=document)

    occupation("11-0001.00", "Aardvark Keepers", "Keeper of Staff Nurses")  # contains the words
    occupation("11-0002.00", "Bison Wardens", "Staff Nurse Assistant")  # an alternate title starts with them
    occupation("11-0003.00", "Cheetah Carers", "Staff Nurse")  # an alternate title is exactly them
    occupation("11-0004.00", "Staff Nurses")  # its own title

    found = [o.title for o in Occupation.objects.search("staff nurses")]
    assert found == ["Staff Nurses", "Aardvark Keepers"]  # "nurses": only these hold the plural
    found = [o.title for o in Occupation.objects.search("Staff-Nurse")]
    # Exact alternate title, then titles that start with the words (by name), then any that holds them.
    assert found == ["Cheetah Carers", "Bison Wardens", "Staff Nurses", "Aardvark Keepers"]


def test_a_search_that_matches_nothing_says_so(client, occupations):
    response = client.get(EXPLORER, {"q": "astronaut"})
    assertContains(response, "No career matches “astronaut”")
    assert titles(response) == []


def test_facet_counts_apply_every_other_chosen_filter(occupations):
    counts = Occupation.objects.facet_counts({"interest": ["I"], "zone": ["3"]})

    assert counts["total"] == 2  # Web Developers and Registered Nurses
    assert (counts["zone"]["3"], counts["zone"]["4"]) == (2, 1)  # with interest I only
    assert (counts["interest"]["I"], counts["interest"]["C"], counts["interest"]["S"]) == (2, 1, 1)  # zone 3 only


def test_combined_filters_list_matching_careers_with_live_counts(client, occupations):
    response = client.get(EXPLORER, {"interest": "I", "zone": "3"})

    assert titles(response) == ["Registered Nurses", "Web Developers"]
    assertContains(response, 'value="4"><span>Considerable preparation <small>(1)</small>')
    assertContains(response, 'value="3" checked><span>Medium preparation <small>(2)</small>')


def test_filters_and_search_combine(client, occupations):
    assert titles(client.get(EXPLORER, {"q": "engineer", "zone": "3"})) == ["Web Developers"]


def test_sort_by_pay_puts_the_highest_first(client, occupations):
    assert titles(client.get(EXPLORER, {"sort": "pay"})) == [
        "Computer Systems Engineers/Architects",
        "Registered Nurses",
        "Web Developers",
    ]


def test_has_a_written_guide_filter(client, occupations):
    CareerFactory(name="Back End Engineer", occupation=occupations["15-1254.00"])

    response = client.get(EXPLORER, {"guide": "1"})

    assert titles(response) == ["Web Developers"]
    assertContains(response, '<a href="/careers/career-', count=2)  # the row and the written-guides card


def test_htmx_gets_only_the_results_fragment(client, occupations):
    page = client.get(EXPLORER, {"zone": "4"})
    fragment = client.get(EXPLORER, {"zone": "4"}, headers={"HX-Request": "true"})

    assertContains(page, "<html")
    assertNotContains(fragment, "<html")
    assert titles(fragment) == ["Computer Systems Engineers/Architects"]
    assert fragment["Vary"].count("HX-Request") == 1


@pytest.mark.parametrize(
    "query", [{"q": "x\x00y"}, {"q": "z" * 10_000}, {"zone": "9"}, {"sort": "evil"}, {"page": "-1"}]
)
def test_odd_explorer_queries_get_a_page(client, occupations, query):
    assert client.get(EXPLORER, query).status_code == 200


def test_explorer_queries_do_not_grow_with_careers(client, tmp_path, occupations, django_assert_max_num_queries):
    for number in range(40):
        Occupation.objects.create(code=f"11-{number:04d}.00", title=f"Extra {number}", slug=f"extra-{number}")
    CareerFactory(occupation=occupations["15-1254.00"])
    with django_assert_max_num_queries(3):  # counts, page, written guides
        client.get(EXPLORER, {"interest": "I", "sort": "pay"})
    with django_assert_max_num_queries(4):  # and the titles each result matched
        client.get(EXPLORER, {"q": "engineer"})


def test_a_career_without_a_guide_has_a_profile_page(client, occupations):
    response = client.get("/careers/registered-nurses/")

    assertContains(response, "<h1>Registered Nurses</h1>")
    assertContains(response, "$93,600")
    assertContains(response, "+5.8 %")
    assertContains(response, "Bachelor&#x27;s degree")
    assertContains(response, "Epic Systems")
    assertContains(response, 'role="img"')  # the interest chart, with its table for screen readers
    assertContains(response, '<th scope="row">Social</th><td>6.50</td>')
    assertContains(response, "O*NET 30.1 Database")  # attribution in the footer
    assertNotContains(response, "Nor this.")  # O*NET's description


def test_a_profile_is_marked_up_as_an_occupation(client, occupations):
    html = client.get("/careers/web-developers/").content.decode()
    data = [json.loads(block) for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html)]
    occupation = next(item for item in data if item.get("@type") == "Occupation")

    assert occupation["occupationalCategory"] == "15-1254.00"
    assert occupation["estimatedSalary"]["median"] == 90930
    assert occupation["estimatedSalary"]["currency"] == "USD"


def test_an_occupation_with_a_guide_leads_to_the_guide(client, occupations):
    career = CareerFactory(slug="back-end-engineer", occupation=occupations["15-1254.00"])

    response = client.get("/careers/web-developers/")

    assert response.status_code == 301
    assert response["Location"] == career.get_absolute_url()


def test_a_guide_tied_to_an_occupation_shows_its_figures(client, occupations):
    CareerFactory(slug="back-end-engineer", name="Back End Engineer", occupation=occupations["15-1254.00"])

    response = client.get("/careers/back-end-engineer/")

    assertContains(response, "Web Developers in figures")
    assertContains(response, "Median pay $90,930 · +7.5 % jobs, 2024\u201334")
    assertContains(response, "$90,930")
    assertContains(response, "Compare with…")


def test_a_guide_without_an_occupation_shows_no_figures_or_attribution(client, occupations):
    CareerFactory(slug="back-end-engineer", name="Back End Engineer")

    response = client.get("/careers/back-end-engineer/")

    assertContains(response, "Back End Engineer")  # positive control
    assertNotContains(response, "O*NET 30.1 Database")


def test_profile_queries_do_not_grow_with_technologies(client, occupations, django_assert_max_num_queries):
    # career by slug, occupation by slug, related, technologies, the catalog ranking (then cached), its items
    for name in ("Python", "Kubernetes"):
        CourseFactory(topics=[TopicFactory(name=name)])
    Technology.objects.map_to_topics()
    slug = Occupation.objects.get(code="15-1299.08").slug
    with django_assert_max_num_queries(6 + HEAVY_BLOCK):
        response = client.get(f"/careers/{slug}/")
    assertContains(response, "Courses and books for these tools")


def test_compare_two_careers_without_guides_lists_the_gap_and_catalog_items(client, occupations):
    kubernetes = TopicFactory(name="Kubernetes")
    python = TopicFactory(name="Python")
    CourseFactory(title="Kubernetes in Action", topics=[kubernetes], price=0, duration_hours=12)
    CourseFactory(title="Python Basics", topics=[python], price=0, duration_hours=5)
    Technology.objects.map_to_topics()

    response = client.get(
        reverse("guides:career_compare"),
        {"a": "web-developers", "b": Occupation.objects.get(code="15-1299.08").slug},
    )

    html = response.content.decode()
    gap = html[html.index('id="gap-title"') : html.index('id="learn-title"')]
    assert "Kubernetes" in gap
    assert "Python" not in gap  # both use it
    assertContains(response, "Kubernetes in Action")
    assertNotContains(response, "Python Basics")
    assertContains(response, "1 item · about 12 hours · free")


def test_compare_finds_careers_by_job_title(client, occupations):
    response = client.get(reverse("guides:career_compare"), {"a": "staff nurse", "b": "backend engineer"})

    assertContains(response, 'Registered Nurses <span class="muted">and</span> Web Developers')


def test_compare_names_a_written_guide_by_its_own_name(client, occupations):
    """A learner who compares "back-end-engineer" reads "Back End Engineer", not O*NET's "Web Developers"."""
    CareerFactory(slug="back-end-engineer", name="Back End Engineer", occupation=occupations["15-1254.00"])

    response = client.get(reverse("guides:career_compare"), {"a": "back-end-engineer", "b": "staff nurse"})

    assertContains(response, 'Back End Engineer <span class="muted">and</span> Registered Nurses')
    assertContains(response, "Tools of Registered Nurses not in Back End Engineer")


def test_compare_with_an_unknown_career_says_so(client, occupations):
    response = client.get(reverse("guides:career_compare"), {"a": "web-developers", "b": "astronaut\x00"})

    assert response.status_code == 200
    assertContains(response, "No career matches “astronaut”")


def test_interest_page_lists_careers_best_match_first(client, occupations):
    response = client.get(reverse("guides:interest_detail", kwargs={"code": "investigative"}))

    html = response.content.decode()
    order = [
        html.index(title) for title in ("Computer Systems Engineers/Architects", "Web Developers", "Registered Nurses")
    ]
    assert order == sorted(order)  # 6.10, 5.06, 4.90


def test_interest_index_lists_the_six_interests_with_counts(client, occupations):
    response = client.get(reverse("guides:interest_list"))

    for name in ("Realistic", "Investigative", "Artistic", "Social", "Enterprising", "Conventional"):
        assertContains(response, f">{name}</a>")
    assertContains(response, "3 careers")  # investigative: all three


def test_unknown_interest_is_not_found(client, occupations):
    assert client.get("/careers/interests/astrology/").status_code == 404


def test_load_demo_ties_the_back_end_engineer_guide_to_web_developers(db):
    call_command("load_demo", stdout=StringIO())

    assert Career.objects.get(slug="back-end-engineer").occupation.code == "15-1254.00"
    assert Occupation.objects.count() == 1016


def test_a_career_and_a_related_one_compared_by_address_is_a_page_for_search_engines(client, occupations):
    response = client.get(
        reverse("guides:career_compare"), {"a": "web-developers", "b": occupations["15-1299.08"].slug}
    )

    assertContains(response, '<link rel="canonical" href="http://testserver/careers/compare/?a=web-developers&amp;b=')
    assertNotContains(response, "noindex")
    assert "X-Robots-Tag" not in response


def test_other_comparisons_are_kept_out_of_the_index(client, occupations):
    unrelated = client.get(reverse("guides:career_compare"), {"a": "web-developers", "b": "registered-nurses"})
    by_title = client.get(reverse("guides:career_compare"), {"a": "web developers", "b": "sre"})

    for response in (unrelated, by_title):
        assertContains(response, "Technologies they share")  # positive control: a comparison is shown
        assertContains(response, '<meta name="robots" content="noindex, follow">')
        assert response["X-Robots-Tag"] == "noindex, follow"


# --- Combined filters and sorts over more careers --------------------------------------------------------------


def occupation(title, *, education="", wage=None, growth=None, openings=None, interest=""):
    """An occupation with only the figures a test names (pay and growth bands derived, as the import does)."""
    number = Occupation.objects.count()
    found = Occupation(
        code=f"11-{number:04d}.00",
        title=title,
        slug=slugify(title),
        entry_education=education,
        median_wage=wage,
        employment_change_percent=None if growth is None else Decimal(growth),
        annual_openings=None if openings is None else Decimal(openings),
        interest_code=interest,
        investigative=Decimal("4.00") if "I" in interest else None,
    )
    found.derive_bands()
    found.save()
    return found


@pytest.fixture
def more_occupations(occupations):
    """The three imported careers (all bachelor's degree; pay 80k-100k or 100k+; growth faster or much faster)
    and four more with other education, pay and growth, one of them with no figures at all."""
    occupation("Statisticians", education="master", wage=104_110, growth="7.0", openings="3.1")
    occupation("Dental Assistants", education="postsecondary", wage=46_540, growth="6.6", openings="56.4")
    occupation("Cashiers", education="none", wage=30_000, growth="-1.5", openings="558.4")
    occupation("Astronomers", education="doctoral")
    return occupations


def facet_counts(response) -> dict[str, dict[str, tuple[int, bool]]]:
    """{facet: {value: (the count a learner reads beside it, whether it is ticked)}} as the filter list shows."""
    counts = {}
    pattern = r'name="(\w+)" value="([^"]+)"( checked)?>\s*<span>[^<]* <small>\((\d+)\)</small>'
    for name, value, checked, count in re.findall(pattern, response.content.decode()):
        counts.setdefault(name, {})[value] = (int(count), bool(checked))
    return counts


def test_education_and_pay_ticked_together_match_either_education_and_the_pay(client, more_occupations):
    response = client.get(EXPLORER, {"education": ["bachelor", "master"], "pay": "100k-plus"})

    assert titles(response) == ["Computer Systems Engineers/Architects", "Statisticians"]
    counts = facet_counts(response)
    # Each facet is counted with the other's filter only: ticking another value there would add these.
    assert counts["education"] == {"bachelor": (1, True), "master": (1, True)}
    assert counts["pay"] == {"80k-100k": (2, False), "100k-plus": (2, True)}
    assert counts["growth"] == {"faster": (1, False), "much-faster": (1, False)}  # both filters apply
    assertContains(response, '<h2 class="results-count">2 careers</h2>')


def test_growth_ticked_twice_with_a_pay_band_counts_each_facet_without_its_own_filter(client, more_occupations):
    response = client.get(EXPLORER, {"growth": ["faster", "declining"], "pay": ["80k-100k", "under-40k"]})

    assert titles(response) == ["Cashiers", "Registered Nurses", "Web Developers"]
    counts = facet_counts(response)
    assert counts["growth"] == {"declining": (1, True), "faster": (2, True)}  # much faster pays over $100,000
    assert counts["pay"] == {
        "under-40k": (1, True),
        "40k-60k": (1, False),
        "80k-100k": (2, True),
        "100k-plus": (1, False),
    }
    assert counts["education"] == {"none": (1, False), "bachelor": (2, False)}


def test_a_ticked_value_that_matches_nothing_with_the_others_shows_zero(client, more_occupations):
    response = client.get(EXPLORER, {"education": "doctoral", "pay": "80k-100k"})

    assert titles(response) == []
    assert facet_counts(response)["education"] == {"bachelor": (2, False), "doctoral": (0, True)}
    assertContains(response, "No career matches with these filters")


def test_sort_by_growth_puts_the_fastest_first_and_unknown_figures_last(client, more_occupations):
    assert titles(client.get(EXPLORER, {"sort": "growth"})) == [
        "Computer Systems Engineers/Architects",  # +8.2 %
        "Web Developers",  # +7.5 %
        "Statisticians",  # +7.0 %
        "Dental Assistants",  # +6.6 %
        "Registered Nurses",  # +5.8 %
        "Cashiers",  # -1.5 %
        "Astronomers",  # not published
    ]


def test_sort_by_openings_puts_the_most_first_and_unknown_figures_last(client, more_occupations):
    assert titles(client.get(EXPLORER, {"sort": "openings"})) == [
        "Cashiers",  # 558,400
        "Registered Nurses",  # 189,100
        "Dental Assistants",  # 56,400
        "Computer Systems Engineers/Architects",  # 31,300
        "Web Developers",  # 5,400
        "Statisticians",  # 3,100
        "Astronomers",  # not published
    ]


def test_sort_by_pay_puts_unknown_figures_last(client, more_occupations):
    assert titles(client.get(EXPLORER, {"sort": "pay"}))[-2:] == ["Cashiers", "Astronomers"]


def test_sort_by_name_replaces_the_best_match_order_of_a_search(client, occupations):
    Occupation.objects.create(
        code="45-2093.00", title="Zookeepers", slug="zookeepers", search_document="|zookeepers|engineer|"
    )

    assert titles(client.get(EXPLORER, {"q": "engineer"}))[0] == "Zookeepers"  # positive control: exact title
    assert titles(client.get(EXPLORER, {"q": "engineer", "sort": "name"})) == [
        "Computer Systems Engineers/Architects",
        "Web Developers",
        "Zookeepers",
    ]


def test_without_a_search_careers_are_listed_by_name(client, more_occupations):
    listed = titles(client.get(EXPLORER))

    assert listed == sorted(listed)
    assert len(listed) == 7


# --- Query counts that do not grow ------------------------------------------------------------------------------


def add_tools_and_related(occupation, count):
    """`count` more technologies for `occupation` (two in three taught by a catalog topic with an item) and
    `count` more related careers (one in three with a written guide); other careers given the same count share
    these technologies and related careers."""
    for number in range(count):
        topic = None
        if number % 3:
            topic = TopicFactory(name=f"Tool {number}")
            CourseFactory(title=f"Learning Tool {number}", topics=[topic], price=number % 2, duration_hours=3)
        technology, _ = Technology.objects.get_or_create(name=f"Tool {number}", defaults={"topic": topic})
        OccupationTechnology.objects.create(
            occupation=occupation, technology=technology, hot=number % 2 == 0, in_demand=number % 4 == 0
        )
        other, _ = Occupation.objects.get_or_create(
            code=f"13-{number:04d}.00", defaults={"title": f"Related {number}", "slug": f"related-{number}"}
        )
        RelatedOccupation.objects.get_or_create(
            occupation=occupation, related=other, defaults={"tier": "Supplemental", "position": number + 10}
        )
        if number % 3 == 0 and not Career.objects.filter(occupation=other).exists():
            CareerFactory(occupation=other)


@pytest.mark.parametrize("count", [2, 30])
def test_a_guide_tied_to_an_occupation_runs_as_many_queries_however_many_tools_and_related(
    client, career, occupations, count, django_assert_num_queries
):
    career.occupation = occupations["15-1254.00"]
    career.save()
    add_tools_and_related(occupations["15-1254.00"], count)

    # career; sections, their topics and picks; related; technologies; the tools' ranking (then cached); its items
    with django_assert_num_queries(8 + HEAVY_BLOCK):
        response = client.get("/careers/back-end-engineer/")
    assertContains(response, "Learning Tool 1")  # positive control: the tools' items are listed
    assertContains(response, "Related 0")


@pytest.mark.parametrize("count", [2, 30])
def test_compare_runs_as_many_queries_however_many_tools_the_careers_have(
    client, occupations, count, django_assert_num_queries
):
    add_tools_and_related(occupations["15-1299.08"], count)  # B: the gap grows
    add_tools_and_related(occupations["15-1254.00"], count // 2)  # A: shares half of them

    # a and b (a guide by that slug, else the occupation), both technology lists, the gap's ranking, its items,
    # whether the pair is linked from a profile
    with django_assert_num_queries(8 + HEAVY_BLOCK):
        response = client.get(
            reverse("guides:career_compare"), {"a": "web-developers", "b": occupations["15-1299.08"].slug}
        )
    assertContains(response, f"Learning Tool {count - 1}")  # positive control: the gap's items are listed


@pytest.mark.parametrize("count", [3, 40])
def test_an_interest_page_runs_as_many_queries_however_many_careers_it_lists(
    client, occupations, count, django_assert_num_queries
):
    for number in range(count):
        found = occupation(f"Investigator {number}", interest="IS", wage=50_000 + number, growth="2.0")
        if number % 3 == 0:
            CareerFactory(occupation=found)

    with django_assert_num_queries(2):  # count, the page with each career's guide
        response = client.get(reverse("guides:interest_detail", kwargs={"code": "investigative"}))
    assertContains(response, f"Investigator {count - 1}")
    assertContains(response, '<span class="badge">Guide</span>')


# --- Compare: the gap's catalog items and what they add up to ---------------------------------------------------


def gap_section(response) -> str:
    html = response.content.decode()
    return html[html.index('id="learn-title"') :]


def test_compare_gap_items_link_to_their_catalog_pages(client, occupations):
    kubernetes = TopicFactory(name="Kubernetes")
    CourseFactory(title="Kubernetes in Action", slug="kubernetes-in-action", topics=[kubernetes], price=0)
    CourseFactory(title="Kubernetes Patterns", slug="kubernetes-patterns", kind="book", topics=[kubernetes])
    CourseFactory(title="Kubernetes Draft", slug="kubernetes-draft", topics=[kubernetes], published=False)
    Technology.objects.map_to_topics()

    response = client.get(
        reverse("guides:career_compare"), {"a": "web-developers", "b": occupations["15-1299.08"].slug}
    )

    learn = gap_section(response)
    assert sorted(re.findall(r'<li class="pick"><a href="([^"]+)">', learn)) == [
        "/courses/kubernetes-in-action/",
        "/courses/kubernetes-patterns/",
    ]
    assert f'<a href="{kubernetes.get_absolute_url()}">Kubernetes' in learn  # the topic they were chosen for
    for path in ("/courses/kubernetes-in-action/", "/courses/kubernetes-patterns/"):
        assertContains(client.get(path), "<h1")  # each is a real catalog page


def test_compare_totals_add_up_all_items_and_the_free_ones_apart(client, occupations):
    kubernetes = TopicFactory(name="Kubernetes")
    for title, price, hours in [
        ("Kubernetes in Action", 0, 12),
        ("Kubernetes Basics", 0, 5),
        ("Kubernetes Up and Running", Decimal("39.99"), None),  # a book: no hours
        ("Kubernetes Patterns", None, 8),  # no listed price
    ]:
        CourseFactory(title=title, topics=[kubernetes], price=price, duration_hours=hours)
    Technology.objects.map_to_topics()

    response = client.get(
        reverse("guides:career_compare"), {"a": "web-developers", "b": occupations["15-1299.08"].slug}
    )

    learn = gap_section(response)
    assert learn.count('<li class="pick">') == 4
    assert "All together: 4 items · at least 25 hours · 2 free, 1 paid at USD 39.99." in learn
    assert "Free only: 2 items · about 17 hours · free." in learn


def test_compare_says_when_none_of_the_gap_items_is_free(client, occupations):
    kubernetes = TopicFactory(name="Kubernetes")
    CourseFactory(title="Kubernetes in Action", topics=[kubernetes], price=Decimal("49"), duration_hours=12)
    CourseFactory(title="Kubernetes Patterns", topics=[kubernetes], price=None, duration_hours=None)
    Technology.objects.map_to_topics()

    response = client.get(
        reverse("guides:career_compare"), {"a": "web-developers", "b": occupations["15-1299.08"].slug}
    )

    learn = gap_section(response)
    assert "All together: 2 items · at least 12 hours · 1 paid at USD 49." in learn
    assert "Free only: none of them is free." in learn


# --- Learn the tools: topic pages and catalog searches ----------------------------------------------------------


def test_a_tool_without_a_catalog_topic_links_to_a_catalog_search_for_its_name(client, occupations):
    python = TopicFactory(name="Python")
    Technology.objects.create(name="Microsoft Visual Basic for Applications VBA").occupation_links.create(
        occupation=occupations["29-1141.00"]
    )
    Technology.objects.map_to_topics()

    nurses = client.get("/careers/registered-nurses/")
    developers = client.get("/careers/web-developers/")

    assertContains(nurses, '<a href="/courses/?q=Epic%20Systems" rel="nofollow">Epic Systems')
    assertContains(
        nurses,
        '<a href="/courses/?q=Microsoft%20Visual%20Basic%20for%20Applications%20VBA" rel="nofollow">'
        "Microsoft Visual Basic for Applications VBA",
    )
    assertContains(developers, f'<a href="{python.get_absolute_url()}">Python')  # a mapped one: its topic page
    assertNotContains(developers, "/courses/?q=Python")


def test_the_catalog_search_a_tool_links_to_finds_its_items(client, occupations):
    CourseFactory(title="Epic Systems for Nurses", description="Charting in Epic Systems.")

    html = client.get("/careers/registered-nurses/").content.decode()
    [search] = re.findall(r'<a href="(/courses/\?q=[^"]+)" rel="nofollow">Epic Systems', html)

    assertContains(client.get(search), "Epic Systems for Nurses")


def test_compare_shows_the_most_asked_for_24_tools_and_folds_the_rest(client, occupations):
    """Two careers with dozens of tools in common: a phone reader sees the first 24 of each list, in demand
    first, and opens the rest on request, instead of scrolling through every one."""
    add_tools_and_related(occupations["15-1299.08"], 30)
    add_tools_and_related(occupations["15-1254.00"], 30)  # the same 30 tools: all shared

    response = client.get(
        reverse("guides:career_compare"), {"a": "web-developers", "b": occupations["15-1299.08"].slug}
    )

    shared = response.content.decode().split('id="shared-title"', 1)[1].split("</section>", 1)[0]
    shown, folded = shared.split('<details class="tech-more">', 1)
    in_common = len(response.context["comparison"].shared)  # the 30, and what the fixture's careers shared
    assert in_common > 30
    assert f"All {in_common} technologies" in folded
    assert shown.count("<li>") == 24
    assert folded.count("<li>") == in_common - 24
    assert "Tool 0<" in shown  # in demand and hot: among the first shown
