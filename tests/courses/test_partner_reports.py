"""Partner reports: the figures a partner manager reads, who may read them, and the CSV matching the screen."""

import csv
import io
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from courses.models import Conversion
from courses.reports import ReportRange, build_report, default_range, safe_csv_cell
from tests.factories import ClickFactory, ConversionFactory, CourseFactory, OfferFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db
MARCH = {"start": "2025-03-01", "end": "2025-03-31"}
ADMIN_REPORT = "admin:courses_partner_report"


def at(day, hour=12, minute=0, second=0):
    return datetime(2025, 3, day, hour, minute, second, tzinfo=UTC)


def convert(click=None, *, partner=None, when, commission="5.00", currency="USD"):
    """A conversion reported at `when` (created_at is auto_now_add, so it is set after saving)."""
    if click is None:
        conversion = ConversionFactory(click=None, partner=partner, click_uuid=uuid.uuid4())
    else:
        conversion = ConversionFactory(click=click)
    Conversion.objects.filter(pk=conversion.pk).update(
        created_at=when, commission=Decimal(commission), currency=currency
    )
    return conversion


@pytest.fixture
def learnly():
    return PartnerFactory(name="Learnly", slug="learnly")


@pytest.fixture
def skillshop():
    return PartnerFactory(name="Skillshop", slug="skillshop")


@pytest.fixture
def march(learnly, skillshop):
    """Learnly in March: 7 raw clicks, 4 counted, 1 bot, 1 repeat, 1 over the limit, 3 conversions (one an
    orphan); Skillshop: 2 clicks, both counted, 2 sales.
    """
    python = OfferFactory(partner=learnly, course=CourseFactory(title="Python Basics"))
    sql = OfferFactory(partner=learnly, course=CourseFactory(title="SQL for Analysts"))
    kotlin = OfferFactory(partner=skillshop, course=CourseFactory(title="Kotlin for Spies"))

    first = ClickFactory(offer=python, created_at=at(3, 10), visitor_hash="v1", referrer_path="/guides/backend/")
    ClickFactory(
        offer=python,
        created_at=at(3, 10, 20),
        visitor_hash="v1",
        referrer_path="/guides/backend/",
        excluded_reason="repeat",
    )
    ClickFactory(offer=python, created_at=at(3, 13), visitor_hash="bot", referrer_path="/courses/", is_bot=True)
    later = ClickFactory(offer=python, created_at=at(10, 9), visitor_hash="v2", referrer_path="/courses/")
    sold = ClickFactory(offer=sql, created_at=at(10, 11), visitor_hash="v3", referrer_path="/courses/")
    ClickFactory(
        offer=sql, created_at=at(10, 11, 5), visitor_hash="v9", referrer_path="/courses/", excluded_reason="over_limit"
    )
    ClickFactory(offer=sql, created_at=at(31, 23, 30), visitor_hash="v4", referrer_path="")
    # Outside March: one second before it starts, and the first instant after it ends.
    ClickFactory(offer=python, created_at=datetime(2025, 2, 28, 23, 59, 59, tzinfo=UTC), referrer_path="/x/")
    ClickFactory(offer=python, created_at=datetime(2025, 4, 1, tzinfo=UTC), referrer_path="/x/")

    convert(first, when=at(4), commission="5.00")
    convert(sold, when=at(10, 15), commission="7.50")
    convert(partner=learnly, when=at(10, 16), commission="2.50")  # orphan: its click was never recorded
    convert(later, when=datetime(2025, 4, 2, tzinfo=UTC), commission="99.00")  # reported after March

    for visitor in ("k1", "k2"):
        ClickFactory(offer=kotlin, created_at=at(5), visitor_hash=visitor, referrer_path="/guides/android/")
    kotlin_click = kotlin.clicks.first()
    convert(kotlin_click, when=at(5, 18), commission="4.00", currency="EUR")
    convert(kotlin_click, when=at(5, 19), commission="1.00", currency="USD")


@pytest.fixture
def partner_manager_client(client):
    manager = UserFactory(is_staff=True)
    manager.groups.add(Group.objects.get(name="Partner managers"))
    client.force_login(manager)
    return client


def report_for(response):
    return {section.slug: section.rows for section in response.context["report"].sections}


def csv_blocks(response) -> list[list[list[str]]]:
    blocks, block = [], []
    for row in csv.reader(io.StringIO(response.content.decode())):
        if row:
            block.append(row)
        else:
            blocks.append(block)
            block = []
    return blocks


# -- the figures --------------------------------------------------------------------------------------


@pytest.mark.usefixtures("march")
def test_partner_manager_reads_clicks_visitors_conversions_and_rate_per_day(partner_manager_client):
    response = partner_manager_client.get(reverse(ADMIN_REPORT), MARCH)

    assert response.status_code == 200
    # Partner, day, raw, counted, bots, repeats, over limit, unique visitors, conversions, commission, rate.
    assert report_for(response)["by-period"] == [
        ("Learnly", "2025-03-03", 3, 1, 1, 1, 0, 1, 0, None, Decimal("0.0")),
        ("Learnly", "2025-03-04", 0, 0, 0, 0, 0, 0, 1, "5.00 USD", None),
        ("Learnly", "2025-03-10", 3, 2, 0, 0, 1, 2, 2, "10.00 USD", Decimal("100.0")),
        ("Learnly", "2025-03-31", 1, 1, 0, 0, 0, 1, 0, None, Decimal("0.0")),
        ("Skillshop", "2025-03-05", 2, 2, 0, 0, 0, 2, 2, "4.00 EUR + 1.00 USD", Decimal("100.0")),
    ]
    assertContains(response, '<td data-label="Commission">4.00 EUR + 1.00 USD</td>', html=True)


@pytest.mark.usefixtures("march")
def test_weeks_start_on_monday_and_months_count_each_visitor_once(partner_manager_client):
    weeks = report_for(partner_manager_client.get(reverse(ADMIN_REPORT), MARCH | {"period": "week"}))
    months = report_for(partner_manager_client.get(reverse(ADMIN_REPORT), MARCH | {"period": "month"}))

    assert weeks["by-period"][:3] == [
        ("Learnly", "2025-03-03", 3, 1, 1, 1, 0, 1, 1, "5.00 USD", Decimal("100.0")),
        ("Learnly", "2025-03-10", 3, 2, 0, 0, 1, 2, 2, "10.00 USD", Decimal("100.0")),
        ("Learnly", "2025-03-31", 1, 1, 0, 0, 0, 1, 0, None, Decimal("0.0")),
    ]
    assert months["by-period"] == [
        ("Learnly", "2025-03", 7, 4, 1, 1, 1, 4, 3, "15.00 USD", Decimal("75.0")),
        ("Skillshop", "2025-03", 2, 2, 0, 0, 0, 2, 2, "4.00 EUR + 1.00 USD", Decimal("100.0")),
    ]


@pytest.mark.usefixtures("march")
def test_courses_and_referring_pages_are_ranked_by_counted_then_raw_clicks(partner_manager_client):
    report = report_for(partner_manager_client.get(reverse(ADMIN_REPORT), MARCH))

    assert report["by-course"] == [
        ("Python Basics", 4, 2, 1, "5.00 USD"),
        ("SQL for Analysts", 3, 2, 1, "7.50 USD"),
        ("Kotlin for Spies", 2, 2, 2, "4.00 EUR + 1.00 USD"),
    ]
    assert report["by-page"] == [
        ("/courses/", 4, 2),
        ("/guides/android/", 2, 2),
        ("/guides/backend/", 2, 1),
        ("(no referring page)", 1, 1),
    ]


@pytest.mark.usefixtures("march")
def test_reconciliation_counts_orphan_conversions(partner_manager_client):
    report = report_for(partner_manager_client.get(reverse(ADMIN_REPORT), MARCH))

    assert report["reconciliation"] == [
        ("Learnly", 4, 3, 2, 1),
        ("Skillshop", 2, 2, 2, 0),
        ("All partners", 6, 5, 4, 1),
    ]


@pytest.mark.usefixtures("march")
def test_admin_report_can_show_one_partner(partner_manager_client, skillshop):
    report = report_for(partner_manager_client.get(reverse(ADMIN_REPORT), MARCH | {"partner": "skillshop"}))

    assert report["reconciliation"] == [("Whole range", 2, 2, 2, 0)]
    assert [row[0] for row in report["by-course"]] == ["Kotlin for Spies"]


def test_range_ends_at_midnight_in_the_site_time_zone(settings, learnly):
    offer = OfferFactory(partner=learnly)
    ClickFactory(offer=offer, created_at=datetime(2025, 3, 31, 21, 30, tzinfo=UTC))  # 23:30 in Berlin
    ClickFactory(offer=offer, created_at=datetime(2025, 3, 31, 22, 30, tzinfo=UTC))  # 1 April in Berlin
    settings.TIME_ZONE = "Europe/Berlin"

    report = build_report(report_range=ReportRange(date(2025, 3, 1), date(2025, 3, 31), "day"), partner=learnly)

    assert report.section("by-period").rows == [("2025-03-31", 1, 1, 0, 0, 0, 1, 0, None, Decimal("0.0"))]


# -- who may read them --------------------------------------------------------------------------------


def test_editor_gets_403_from_the_admin_report(editor_client):
    assert editor_client.get(reverse(ADMIN_REPORT)).status_code == 403
    assert editor_client.get(reverse(ADMIN_REPORT), {"format": "csv"}).status_code == 403


def test_anonymous_visitor_is_sent_to_the_admin_login(client):
    response = client.get(reverse(ADMIN_REPORT))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.usefixtures("march")
def test_superuser_sees_the_admin_report(admin_client):
    response = admin_client.get(reverse(ADMIN_REPORT), MARCH)

    assertContains(response, "<h1>Partner reports</h1>", html=True)
    assert [row[0] for row in report_for(response)["reconciliation"]] == ["Learnly", "Skillshop", "All partners"]


def test_partner_changelist_links_to_the_report_for_partner_managers(partner_manager_client):
    changelist = reverse("admin:courses_partner_changelist")

    assertContains(partner_manager_client.get(changelist), f'href="{reverse(ADMIN_REPORT)}"')


@pytest.mark.usefixtures("march")
def test_partner_token_page_shows_only_that_partners_figures(client, learnly):
    response = client.get(learnly.get_report_url(), MARCH)

    assertContains(response, "Python Basics")  # positive control
    assertContains(response, "/guides/backend/")
    assertNotContains(response, "Kotlin for Spies")
    assertNotContains(response, "/guides/android/")
    assertNotContains(response, "Skillshop")
    assert report_for(response)["reconciliation"] == [("Whole range", 4, 3, 2, 1)]


def test_partner_token_page_is_private(client, learnly):
    response = client.get(learnly.get_report_url())

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assertContains(response, '<meta name="robots" content="noindex">', html=True)


def test_unknown_token_is_404(client, learnly):
    response = client.get(reverse("courses:partner_report", args=["not-a-token"]))

    assert response.status_code == 404
    html = response.content.decode()
    assert "We could not find that page" in html  # the site's page, not a bare error
    assert "Learnly" not in html  # nothing of any partner's report


def test_rotated_token_retires_the_old_link(client, learnly):
    old_url = learnly.get_report_url()

    learnly.rotate_report_token()

    assert client.get(old_url).status_code == 404
    assertContains(client.get(learnly.get_report_url()), "Learnly: clicks and conversions")


# -- the CSV ------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("march")
@pytest.mark.parametrize("period", ["day", "month"])
def test_admin_csv_matches_the_screen(partner_manager_client, period):
    query = MARCH | {"period": period}
    page = partner_manager_client.get(reverse(ADMIN_REPORT), query)
    download = partner_manager_client.get(reverse(ADMIN_REPORT), query | {"format": "csv"})

    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"] == 'attachment; filename="partner-report-20250301-20250331.csv"'
    sections = page.context["report"].sections
    assert csv_blocks(download) == [
        [[section.title], list(section.columns), *section.text_rows()] for section in sections
    ]
    assert len(sections[0].rows) > 1  # the comparison covered real rows


@pytest.mark.usefixtures("march")
def test_partner_csv_matches_the_screen_and_keeps_to_the_partner(client, learnly):
    page = client.get(learnly.get_report_url(), MARCH)
    download = client.get(learnly.get_report_url(), MARCH | {"format": "csv"})

    assert download["Content-Disposition"] == 'attachment; filename="learnly-report-20250301-20250331.csv"'
    assert download["Referrer-Policy"] == "no-referrer"
    assert csv_blocks(download) == [
        [[section.title], list(section.columns), *section.text_rows()] for section in page.context["report"].sections
    ]
    assert b"Learnly" in download.content
    assert b"Skillshop" not in download.content
    assertContains(page, "?start=2025-03-01&amp;end=2025-03-31&amp;period=day&amp;format=csv")


def test_csv_cells_that_a_spreadsheet_would_run_are_defused(partner_manager_client, learnly):
    course = CourseFactory(title='=HYPERLINK("https://evil.example")')
    ClickFactory(offer=OfferFactory(partner=learnly, course=course), referrer_path="@SUM(A1)")

    download = partner_manager_client.get(reverse(ADMIN_REPORT), {"format": "csv"})

    cells = {cell for block in csv_blocks(download) for row in block for cell in row}
    assert '\'=HYPERLINK("https://evil.example")' in cells
    assert "'@SUM(A1)" in cells
    assert "Learnly" in cells  # ordinary text is left alone
    assert [safe_csv_cell(text) for text in ["-1", "+1", "/ok", "ok"]] == ["'-1", "'+1", "/ok", "ok"]


# -- bad input and cost -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"start": "abc"},
        {"end": "2025-13-45"},
        {"start": "2025-03-10", "end": "2025-03-01"},
        {"start": "2020-01-01", "end": "2025-01-01"},
        {"start": "2000-01-01"},
        {"period": "year"},
        {"partner": "no-such-partner"},
        {"start": "\x00", "period": "DAY"},
    ],
)
def test_bad_query_strings_fall_back_to_the_last_30_days(partner_manager_client, query):
    response = partner_manager_client.get(reverse(ADMIN_REPORT), query)

    assert response.status_code == 200
    assert response.context["report"].range == default_range()
    assert response.context["form"].errors


def test_end_before_start_is_explained(client, learnly):
    response = client.get(learnly.get_report_url(), {"start": "2025-03-10", "end": "2025-03-01"})

    assertContains(response, "The end date is before the start date")
    assert response.context["report"].range == default_range()


def test_report_queries_do_not_grow_with_clicks(partner_manager_client, learnly, django_assert_max_num_queries):
    def queries():
        with django_assert_max_num_queries(11) as captured:  # session and permissions 4, report 6, partner menu 1
            partner_manager_client.get(reverse(ADMIN_REPORT), {"period": "week"})
        return len(captured)

    offer = OfferFactory(partner=learnly)
    ClickFactory(offer=offer)
    few = queries()
    for course in CourseFactory.create_batch(5):
        other = OfferFactory(partner=learnly, course=course)
        ClickFactory.create_batch(5, offer=other, referrer_path=f"/guides/{course.slug}/")
        convert(other.clicks.first(), when=datetime.now(UTC))
    convert(partner=learnly, when=datetime.now(UTC))

    assert queries() == few


def test_partner_page_queries_do_not_grow_with_clicks(client, learnly, django_assert_max_num_queries):
    offer = OfferFactory(partner=learnly)
    ClickFactory.create_batch(3, offer=offer)
    with django_assert_max_num_queries(7):  # the partner, then the report's six
        client.get(learnly.get_report_url())
    ClickFactory.create_batch(30, offer=offer, is_bot=True)
    with django_assert_max_num_queries(7):
        client.get(learnly.get_report_url())


# -- how a partner reads its own report ------------------------------------------------------------------


@pytest.mark.usefixtures("march")
def test_a_partners_report_leads_with_the_ranges_totals(client, learnly):
    response = client.get(learnly.get_report_url(), MARCH)

    assert dict(response.context["report"].headline) == {
        "Counted clicks": "4",
        "Raw clicks": "7",
        "Unique visitors": "4",
        "Conversions": "3",
        "Commission": "15.00 USD",
        "Conversion rate": "75.0 %",
    }
    page = response.content.decode()
    assert page.index("Totals for the range") < page.index("clicks and conversions by day")


@pytest.mark.usefixtures("march")
def test_the_totals_add_up_to_the_table_by_period(client, learnly):
    report = client.get(learnly.get_report_url(), MARCH | {"period": "week"}).context["report"]

    rows = report.section("by-period").rows
    headline = dict(report.headline)
    assert sum(row[2] for row in rows) == int(headline["Counted clicks"])
    assert sum(row[1] for row in rows) == int(headline["Raw clicks"])
    assert sum(row[6] for row in rows) == int(headline["Unique visitors"])
    assert sum(row[7] for row in rows) == int(headline["Conversions"])


@pytest.mark.usefixtures("march")
def test_one_partners_report_has_no_partner_column_and_one_rate_definition(client, learnly):
    response = client.get(learnly.get_report_url(), MARCH)

    assertNotContains(response, '<th scope="col">Partner</th>', html=True)
    assertNotContains(response, "by partner")
    assertContains(response, "Conversions per 100 counted clicks", count=1)  # the rate, defined once
    assertNotContains(response, "Conversions per counted click")


@pytest.mark.usefixtures("march")
def test_on_a_phone_every_figure_carries_its_column_name(client, learnly):
    response = client.get(learnly.get_report_url(), MARCH)

    assertContains(response, '<td data-label="Counted clicks">1</td>', html=True)
    assertContains(response, '<th scope="row" data-label="Day">2025-03-03</th>', html=True)
