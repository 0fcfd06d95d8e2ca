"""Whoever reads the logs must not be able to open a partner's report or replay a partner link: token path
segments never reach a log line, in gunicorn's access log or in Django's own request warnings and errors."""

import datetime as dt
import io
import json
import logging
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from careerguide.logging import JsonFormatter, redact_tokens
from tests import through_gunicorn
from tests.factories import OfferFactory, PartnerFactory

pytestmark = pytest.mark.django_db
REPORT_TOKEN = "Zr9kQh3pVt1sWx0yLm5nBc7dFg2hJk4lPq8rSt6uVw0"  # token_urlsafe(32) shape


@pytest.fixture
def console():
    """What the app's console handler (settings.LOGGING) writes, as text."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_a_404_on_a_report_link_logs_the_path_without_its_token(client, console):
    response = client.get(f"/partners/report/{REPORT_TOKEN}/")

    assert response.status_code == 404
    assert "Not Found: /partners/report/" in console.getvalue()  # positive control: the line was written
    assert REPORT_TOKEN not in console.getvalue()


def test_a_500_on_a_partner_link_logs_neither_path_nor_exception_with_its_token(client, console, monkeypatch):
    offer = OfferFactory(partner=PartnerFactory(allowed_hosts="learn.example.com"))

    def broken(token):
        raise RuntimeError(f"no offer at /go/{token}/")

    monkeypatch.setattr("courses.tracking.offer_for_token", broken)
    client.raise_request_exception = False

    response = client.get(f"/go/{offer.token}/")

    assert response.status_code == 500
    assert "Internal Server Error: /go/" in console.getvalue()
    assert "RuntimeError: no offer at /go/" in console.getvalue()
    assert offer.token not in console.getvalue()


def test_json_log_lines_carry_no_token_in_message_or_exception():
    try:
        raise ValueError(f"bad /partners/report/{REPORT_TOKEN}/")
    except ValueError as error:
        record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s", None, None)
        record.args = (f"/partners/report/{REPORT_TOKEN}/",)
        record.exc_info = (type(error), error, error.__traceback__)

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "Not Found: /partners/report/[redacted]/"
    assert "ValueError: bad /partners/report/[redacted]/" in line["exception"]
    assert REPORT_TOKEN not in json.dumps(line)


def gunicorn_access_line(tmp_path, path, headers=()):
    """The access-log line gunicorn writes for one request through the app, with careerguide/gunicorn.conf.py."""
    cfg = through_gunicorn.gunicorn_config(accesslog=str(tmp_path / "access.log"))
    request, response, environ = through_gunicorn.parse(cfg, "127.0.0.1", path, headers)
    through_gunicorn.answer(environ, response)
    logger = cfg.logger_class(cfg)
    logger.access(response, request, environ, dt.timedelta(milliseconds=3))
    for handler in logger.access_log.handlers:
        handler.flush()
    return json.loads((tmp_path / "access.log").read_text().splitlines()[-1])


def test_the_access_log_keeps_no_report_token(tmp_path, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    PartnerFactory(report_token=REPORT_TOKEN)

    line = gunicorn_access_line(tmp_path, f"/partners/report/{REPORT_TOKEN}/?start=2026-01-01")

    assert line["status"] == 200  # the partner saw the report
    assert line["path"] == "/partners/report/[redacted]/"
    assert REPORT_TOKEN not in json.dumps(line)


def test_the_access_log_keeps_no_partner_link_token_even_in_other_fields(tmp_path, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    offer = OfferFactory(partner=PartnerFactory(allowed_hosts="learn.example.com"))

    line = gunicorn_access_line(
        tmp_path, f"/go/{offer.token}/", headers=[("User-Agent", f"Mozilla/5.0 (from /go/{offer.token}/)")]
    )

    assert line["status"] == 302
    assert line["path"] == "/go/[redacted]/"
    assert offer.token not in json.dumps(line)


def token_routes(resolver=None, prefix=""):
    """Every URL route with a token in its path, as (route text, URL name)."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from token_routes(pattern, route)
        elif isinstance(pattern, URLPattern) and "token>" in route:
            yield route


def test_every_route_with_a_token_is_redacted():
    routes = list(token_routes())
    assert "partners/report/<token:token>/" in routes  # positive control: the walk finds token routes
    assert "plans/shared/<plan_token:token>/" in routes

    for route in routes:
        path = "/" + re.sub(r"<(\w+:)?token>", REPORT_TOKEN, route)
        assert REPORT_TOKEN not in redact_tokens(f"Not Found: {path}"), route


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/go/abc123/", "/go/[redacted]/"),
        ("/go/abc123", "/go/[redacted]"),
        ("/plans/abc123/print/", "/plans/[redacted]/print/"),  # learners' plan links
        ("/plans/shared/abc123/", "/plans/shared/[redacted]/"),  # and their read-only shared links
        ("/plans/abc123/items/7/status/", "/plans/[redacted]/items/7/status/"),
        ("/partners/report/abc123/?format=csv", "/partners/report/[redacted]/?format=csv"),
        ("/go/abc123?x=1 more", "/go/[redacted] more"),
        ("GET /GO/abc123/ HTTP/1.1", "GET /GO/[redacted]/ HTTP/1.1"),
        ("https://cg.example/go/abc123/ and /go/def456/", "https://cg.example/go/[redacted]/ and /go/[redacted]/"),
        ("/courses/django-basics/", "/courses/django-basics/"),  # other paths untouched
        ("/partners/learnly/postback/", "/partners/learnly/postback/"),
    ],
)  # fmt: skip
def test_redact_tokens_hides_the_segment_after_each_token_route(text, expected):
    assert redact_tokens(text) == expected
