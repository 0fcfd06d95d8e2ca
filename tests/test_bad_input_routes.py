"""Every route with a path parameter or a date, fed malformed values: a clear 4xx (or a redirect), never a 5xx.

The routes are read from the URL configuration, so a route added later is covered without editing this file.
Run on PostgreSQL too: it refuses NUL characters in text that SQLite stores, so a NUL that reaches a query is
a 500 there alone.
"""

import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from tests.factories import (
    CareerFactory,
    ClickFactory,
    ConversionFactory,
    CourseFactory,
    OfferFactory,
    PartnerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Already percent-encoded, as they would arrive in a path.
ODD_SEGMENTS = [
    "%00",
    "a%00b",
    quote("\x00" * 3),
    "x" * 3000,
    "%E2%98%83",
    "%F0%9F%A7%91%E2%80%8D%F0%9F%92%BB",
    "%EF%BB%BF%E2%80%AE",
    quote("' OR 1=1 --"),
    "%ZZ",
    "-1",
    "0",
    "99999999999999999999999999",
    "1e999",
    "..",
    quote("<script>"),
]
PARAMETER = re.compile(r"<[^>]+>|\(\?P<\w+>[^)]*\)|\([^)]*\)")
REPORT_DATES = [
    {"start": "0001-01-01", "end": "0001-01-31"},
    {"start": "9999-12-01", "end": "9999-12-31"},
    {"start": "0001-01-01", "end": "9999-12-31"},
    {"start": "9999-12-31"},
    {"end": "0001-01-01"},
    {"start": "10000-01-01", "end": "10000-01-31"},
    {"start": "-2025-01-01", "end": "-2025-01-31"},
    {"start": "99999999999-01-01"},
    {"start": "2025-02-30", "end": "2025-13-01"},
    {"start": "0000-00-00", "end": "0000-00-00"},
    {"start": "\x00", "end": "2025-01-01\x00"},
    {"start": "2025-03-01", "end": "2025-03-31", "period": "\x00"},
    {"partner": "\x00"},
    {"partner": "x" * 5000},
    {"start": "1" * 5000},
]
CHANGELIST_DATES = [
    {"created_at__year": "0"},
    {"created_at__year": "10000"},
    {"created_at__year": "-1"},
    {"created_at__year": "9999", "created_at__month": "12"},
    {"created_at__year": "9999", "created_at__month": "12", "created_at__day": "31"},
    {"created_at__year": "2025", "created_at__month": "13"},
    {"created_at__year": "2025", "created_at__month": "2", "created_at__day": "30"},
    {"created_at__year": "\x00"},
    {"created_at__year": "1" * 500},
    {"created_at__gte": "\x00"},
    {"created_at__lt": "10000-01-01"},
]


def routes_with_parameters() -> list[str]:
    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif PARAMETER.search(route):
                yield route.replace("/^", "/").removeprefix("^").removesuffix("$")

    return sorted(set(walk(get_resolver().url_patterns)))


def odd_paths(route: str) -> list[str]:
    """For each parameter in turn every odd value, every other parameter a plausible "1"."""
    count = len(PARAMETER.findall(route))
    paths = []
    for position in range(count):
        for segment in ODD_SEGMENTS:
            values = iter([segment if index == position else "1" for index in range(count)])
            paths.append("/" + PARAMETER.sub(lambda _match, values=values: next(values), route))
    return paths


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True, password=None))
    return client


@pytest.fixture
def content():
    """One of everything, so that plausible ids reach real rows."""
    CareerFactory(slug="1")
    ConversionFactory(click=ClickFactory(offer=OfferFactory(course=CourseFactory(slug="1"))))


@pytest.mark.usefixtures("content")
@pytest.mark.parametrize("route", routes_with_parameters())
def test_odd_path_parameters_never_cause_a_server_error(route, client, superuser_client):
    anonymous = Client()
    for path in odd_paths(route):
        for who, requester in [("anonymous", anonymous), ("superuser", superuser_client)]:
            response = requester.get(path)
            assert response.status_code < 500, (who, path[:80], response.status_code)


def test_every_route_with_a_parameter_is_covered():
    """A guard on the walk itself: the routes this issue was about are among those tried."""
    routes = routes_with_parameters()
    for expected in ["go/<token:token>/", "partners/report/<token:token>/", "careers/<slug:slug>/preview/"]:
        assert any(route.endswith(expected) for route in routes), expected
    assert any("history/([^/]+)/" in route for route in routes)  # django-simple-history's history form


@pytest.mark.parametrize("query", REPORT_DATES, ids=lambda query: repr(query)[:60])
def test_dates_at_the_edges_of_the_calendar_get_an_explained_default_range(client, superuser_client, query):
    client = Client()
    partner = PartnerFactory()
    for requester, url in [
        (client, partner.get_report_url()),
        (superuser_client, reverse("admin:courses_partner_report")),
    ]:
        for extra in [{}, {"format": "csv"}]:
            response = requester.get(url, query | extra)
            assert response.status_code in (200, 400), (url, query, response.status_code)
        page = requester.get(url, query)
        if page.status_code == 200 and (requester is superuser_client or "partner" not in query):
            assert page.context["form"].errors, query  # the reader is told why the range is not theirs


@pytest.mark.parametrize("query", CHANGELIST_DATES, ids=lambda query: repr(query)[:60])
@pytest.mark.parametrize("model", ["click", "conversion"])
def test_admin_date_drilldown_at_the_edges_of_the_calendar_is_answered(superuser_client, model, query):
    ConversionFactory()

    response = superuser_client.get(reverse(f"admin:courses_{model}_changelist"), query)

    assert response.status_code in (200, 302, 400), (query, response.status_code)
