"""The partner side of the site: the tracked redirect, the disclosure page and the conversion postback."""

import hashlib
import hmac
import json
import logging
import uuid

from django import forms
from django.db import DatabaseError, IntegrityError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST, require_safe
from django_ratelimit.decorators import ratelimit

from courses import tracking
from courses.models import Click, Conversion, Partner

logger = logging.getLogger(__name__)
MAX_POSTBACK_BYTES = 10_000


@require_safe
def go(request, token):
    """Send the learner to the offer's stored destination with our commission tag, and count the click.

    Nothing in the request can choose the destination: only the token, which names a stored offer.
    HEAD requests are answered but never counted; bots and prefetches are recorded as bots.
    """
    try:
        offer = tracking.offer_for_token(token)  # the path converter allows at most 100 characters
    except DatabaseError:
        return private(render(request, "courses/offer_gone.html", {"unavailable": True}, status=503))
    if offer is None:
        return private(render(request, "courses/offer_gone.html", {}, status=404))
    click_id = uuid.uuid4()
    destination = offer.partner.tagged_url(offer.url, tag=offer.commission_tag, click_id=str(click_id))
    live = offer.active and offer.partner.active and offer.course.published
    if not live or not offer.partner.allows(destination):
        # A way back to the course, unless it is unpublished: then not even its title is shown (a draft). A
        # retired course's page lists its alternatives.
        course = offer.course if offer.course.published or offer.course.retired_at else None
        return private(render(request, "courses/offer_gone.html", {"course": course}, status=410))
    if request.method == "GET":
        tracking.record_click(offer, request, click_id)
    return private(HttpResponseRedirect(destination))


def private(response, *, referrer_policy="strict-origin-when-cross-origin"):
    """Kept out of every cache and search engine: partner redirects and partners' private reports."""
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = referrer_policy
    return response


@require_GET
def disclosure(request):
    return render(request, "courses/disclosure.html")


class PostbackForm(forms.Form):
    click_id = forms.UUIDField()
    order_id = forms.CharField(max_length=100)
    amount = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2)
    commission = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2)
    currency = forms.RegexField(regex=r"^[A-Za-z]{3}$")


@csrf_exempt  # partners' servers sign their requests instead; the only view without CSRF protection
@require_POST
@ratelimit(key="ip", rate="300/m", block=True)  # far above any partner's sales; stops signature guessing
def postback(request, slug):
    """A partner reports a sale: JSON {click_id, order_id, amount, commission, currency}, signed with
    X-Signature = hex HMAC-SHA256 of the raw body under the partner's postback secret.
    """
    partner = get_object_or_404(Partner, slug=slug)
    body = _postback_body(request)
    if body is None:
        return JsonResponse({"error": "body too large", "limit_bytes": MAX_POSTBACK_BYTES}, status=413)
    expected = hmac.new(partner.postback_secret.encode(), body, hashlib.sha256).hexdigest()
    given = request.headers.get("X-Signature", "").strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected.encode(), given):
        return JsonResponse({"error": "bad or missing signature"}, status=403)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "body is not JSON"}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"error": "body must be a JSON object"}, status=400)
    form = PostbackForm({name: str(value) for name, value in data.items() if value is not None})
    if not form.is_valid():
        errors = {field: [str(message) for message in messages] for field, messages in form.errors.items()}
        return JsonResponse({"error": "invalid fields", "fields": errors}, status=400)
    fields = form.cleaned_data

    existing = Conversion.objects.filter(partner=partner, order_id=fields["order_id"]).first()
    if existing:
        return JsonResponse({"status": "duplicate", "order_id": existing.order_id})
    click = Click.objects.filter(click_id=fields["click_id"], offer__partner=partner).first()
    if click is None:
        return JsonResponse({"error": "unknown click_id for this partner"}, status=422)
    try:
        Conversion.objects.create(
            partner=partner,
            click=click,
            click_uuid=click.click_id,
            order_id=fields["order_id"],
            amount=fields["amount"],
            commission=fields["commission"],
            currency=fields["currency"].upper(),
        )
    except IntegrityError:  # the same order posted twice at once: the other request recorded it
        return JsonResponse({"status": "duplicate", "order_id": fields["order_id"]})
    return JsonResponse({"status": "recorded", "order_id": fields["order_id"]}, status=201)


def _postback_body(request) -> bytes | None:
    """The raw body, or None when it is over MAX_POSTBACK_BYTES. Checked before the signature, which would
    otherwise be computed over a cut body and refuse a partner's genuine request as forged; and read from
    the stream rather than `request.body`, which answers Django's HTML 400 past DATA_UPLOAD_MAX_MEMORY_SIZE.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_POSTBACK_BYTES:
        return None  # refused unread
    body = request.read(MAX_POSTBACK_BYTES + 1)
    return None if len(body) > MAX_POSTBACK_BYTES else body
