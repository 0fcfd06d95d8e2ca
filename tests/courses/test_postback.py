"""Partners report sales back with a signed postback; nothing is counted twice or from a forged request."""

import hashlib
import hmac
import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from courses.models import Conversion
from tests.factories import ClickFactory, OfferFactory, PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def click():
    partner = PartnerFactory(name="Learnly", slug="learnly", postback_secret="s3cret")
    return ClickFactory(offer=OfferFactory(partner=partner))


def sale(click, **overrides):
    return {
        "click_id": str(click.click_id),
        "order_id": "A-1001",
        "amount": "49.99",
        "commission": "7.50",
        "currency": "usd",
    } | overrides


def post(body, *, slug="learnly", secret="s3cret", signature=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    if signature is None:
        signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    client = Client(enforce_csrf_checks=True)  # partners have no CSRF token; the signature is the check
    headers = {"X-Signature": signature} if signature else {}
    return client.post(reverse("courses:postback", args=[slug]), raw, content_type="application/json", headers=headers)


def test_a_signed_sale_is_recorded_against_its_click(click):
    response = post(sale(click))

    assert response.status_code == 201
    conversion = Conversion.objects.get()
    assert (conversion.click, str(conversion.amount), str(conversion.commission)) == (click, "49.99", "7.50")
    assert conversion.currency == "USD"


def test_the_same_order_again_answers_ok_and_counts_once(click):
    post(sale(click))

    again = post(sale(click, amount="60.00"))

    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert Conversion.objects.count() == 1
    assert str(Conversion.objects.get().amount) == "49.99"


@pytest.mark.parametrize(
    ("secret", "signature"),
    [("wrong", None), ("s3cret", ""), ("s3cret", "00" * 32), ("s3cret", "not hex at all"), ("s3cret", "é" * 64)],
    ids=["other secret", "missing", "zeros", "garbage", "not ascii"],
)
def test_a_bad_or_missing_signature_is_refused(click, secret, signature):
    response = post(sale(click), secret=secret, signature=signature)

    assert response.status_code == 403
    assert Conversion.objects.count() == 0


def test_a_body_changed_after_signing_is_refused(click):
    body = json.dumps(sale(click)).encode()
    signature = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()

    response = post(body.replace(b"7.50", b"750.00"), signature=signature)

    assert response.status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2, 3]",
        b"\xff\xfe",
        b"",
        json.dumps({"order_id": "A-1"}).encode(),
        json.dumps(
            {"click_id": "not-a-uuid", "order_id": "A", "amount": 1, "commission": 1, "currency": "USD"}
        ).encode(),
    ],
    ids=["broken json", "a list", "not utf-8", "empty", "missing fields", "bad click id"],
)
def test_a_malformed_body_gets_a_json_error(click, body):
    response = post(body)

    assert response.status_code == 400
    assert "error" in response.json()
    assert Conversion.objects.count() == 0


@pytest.mark.parametrize(
    "overrides",
    [{"amount": "-5"}, {"commission": "abc"}, {"currency": "DOLLARS"}, {"order_id": "x" * 101}],
)
def test_bad_values_name_the_field(click, overrides):
    response = post(sale(click, **overrides))

    assert response.status_code == 400
    assert set(response.json()["fields"]) == set(overrides)


def test_an_unknown_click_is_unprocessable(click):
    response = post(sale(click, click_id=str(uuid.uuid4())))

    assert response.status_code == 422
    assert Conversion.objects.count() == 0


def test_a_partner_cannot_claim_another_partners_click(click):
    other = PartnerFactory(name="Other", slug="other", postback_secret="other-secret")

    response = post(sale(click), slug="other", secret=other.postback_secret)

    assert response.status_code == 422


def test_unknown_partner_and_wrong_method_are_refused(click):
    assert post(sale(click), slug="nobody").status_code == 404
    assert Client().get(reverse("courses:postback", args=["learnly"])).status_code == 405


# -- bodies over the limit ----------------------------------------------------------------------------


def test_a_signed_body_over_the_limit_is_refused_as_too_large_not_as_forged(click):
    body = json.dumps(sale(click, note="x" * 20_000)).encode()

    response = post(body)

    assert response.status_code == 413
    assert response.json()["error"] == "body too large"
    assert response.json()["limit_bytes"] == 10_000
    assert Conversion.objects.count() == 0


def test_a_postback_of_several_megabytes_gets_a_json_answer(click):
    body = b'{"order_id": "' + b"x" * (3 * 1024 * 1024) + b'"}'

    response = post(body)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "body too large"


def test_a_body_just_at_the_limit_is_still_read(click):
    body = json.dumps(sale(click)).encode()
    body = body[:-1] + b" " * (10_000 - len(body)) + b"}"

    response = post(body)

    assert len(body) == 10_000
    assert response.status_code == 201
