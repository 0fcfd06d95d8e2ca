"""Security headers, health checks, rate limits and request ids, as a browser or an operator sees them."""

import json
import logging

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from careerguide.logging import JsonFormatter, RequestIdFilter, request_id_var
from tests.factories import OfferFactory, PartnerFactory

pytestmark = pytest.mark.django_db
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}


def pages():
    offer = OfferFactory(partner=PartnerFactory(allowed_hosts="learn.example.com"))
    return {
        "public page": reverse("courses:list"),
        "admin": reverse("admin:login"),
        "partner redirect": offer.get_absolute_url(),
    }


@pytest.mark.parametrize("page", ["public page", "admin", "partner redirect"])
def test_every_response_carries_the_security_headers(client, page):
    response = client.get(pages()[page], headers=BROWSER)

    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_a_changed_policy_in_settings_reaches_the_header(client, settings):
    assert "https://img.example" not in client.get(reverse("admin:login"))["Content-Security-Policy"]

    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "img-src": ["'self'", "https://img.example"]}
    }

    assert "img-src 'self' https://img.example" in client.get(reverse("admin:login"))["Content-Security-Policy"]


def test_a_view_with_its_own_policy_keeps_it(rf):
    from csp.decorators import csp_update
    from django.http import HttpResponse

    from careerguide.middleware import CSPMiddleware

    view = csp_update({"img-src": "https://img.example"})(lambda request: HttpResponse("ok"))
    response = CSPMiddleware(view)(rf.get("/"))

    assert "https://img.example" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_https_responses_get_hsts_and_secure_cookies_in_production(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = False
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True

    response = client.get(reverse("admin:login"), secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    csrf = response.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"]
    assert csrf["httponly"]
    assert csrf["samesite"] == "Lax"


def test_health_check_reports_the_database(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_health_check_answers_503_when_the_database_is_away(client):
    def database_down(execute, sql, params, many, context):
        raise OperationalError("connection refused (test)")

    with connection.execute_wrapper(database_down):
        response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
    assert "no-store" in response["Cache-Control"]


def test_admin_sign_in_is_rate_limited_per_client(client, one_rate_window):
    login = reverse("admin:login")
    answers = [client.post(login, {"username": "ada", "password": f"guess {n}"}).status_code for n in range(12)]

    assert answers[:10] == [200] * 10  # the form again, with its error
    assert answers[10:] == [429, 429]
    other_client = client.get(login, REMOTE_ADDR="192.0.2.99")
    assert other_client.status_code == 200


def test_postbacks_are_rate_limited_with_a_json_answer(client, one_rate_window):
    url = reverse("courses:postback", args=[PartnerFactory(slug="learnly").slug])
    answers = [client.post(url, b"{}", content_type="application/json").status_code for _ in range(301)]

    assert set(answers[:300]) == {403}  # unsigned
    assert answers[300] == 429
    limited = client.post(url, b"{}", content_type="application/json")
    assert limited.json()["error"].startswith("too many requests")
    assert limited["Retry-After"] == "60"


def test_each_response_names_its_request_id(client):
    fresh = client.get(reverse("healthz"))
    forwarded = client.get(reverse("healthz"), headers={"X-Request-ID": "proxy-id-12345"})
    junk = client.get(reverse("healthz"), headers={"X-Request-ID": "<script>"})

    assert len(fresh["X-Request-ID"]) == 32
    assert forwarded["X-Request-ID"] == "proxy-id-12345"
    assert junk["X-Request-ID"] not in ("<script>", fresh["X-Request-ID"])


def test_log_lines_are_json_with_the_request_id():
    record = logging.LogRecord("courses.tracking", logging.WARNING, __file__, 1, "click %s spooled", ("abc",), None)
    token = request_id_var.set("req-1234567")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)

    line = json.loads(JsonFormatter().format(record))

    assert line["request_id"] == "req-1234567"
    assert line["message"] == "click abc spooled"
    assert line["level"] == "WARNING"
