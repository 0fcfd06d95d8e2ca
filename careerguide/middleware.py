"""Site-wide request handling: a request id for every log line, and the headers Django does not set itself."""

import ipaddress
import re
import uuid

from django.conf import settings

from careerguide.logging import request_id_var

INCOMING_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Features this site never uses, switched off for it and anything it might embed. Only names Chromium knows:
# an unknown one (web-share, interest-cohort) is a console error on every page.
PERMISSIONS_POLICY = ", ".join(
    [
        "accelerometer=()", "camera=()", "geolocation=()", "gyroscope=()", "magnetometer=()",
        "microphone=()", "payment=()", "usb=()",
    ]
)  # fmt: skip


def client_ip(request) -> str:
    """The learner's address, for rate limits and the daily visitor hash only; never stored.

    Behind our proxy (DJANGO_BEHIND_PROXY) it is the last X-Forwarded-For entry, the one the proxy added:
    earlier entries come from the client and can say anything. Never raises: junk gives "0.0.0.0".
    """
    candidates = [request.META.get("REMOTE_ADDR", "")]
    if settings.BEHIND_PROXY:
        candidates.insert(0, request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip())
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return "0.0.0.0"


class RequestIdMiddleware:
    """Gives each request an id (the proxy's X-Request-ID if it sent a sane one), shown in every log line
    written while handling it and returned in the X-Request-ID header, which the access log records.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if INCOMING_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        # Not reset on the way out: Django logs 4xx/5xx answers after the middleware has returned.
        request_id_var.set(request.id)
        response = self.get_response(request)
        response["X-Request-ID"] = request.id
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
