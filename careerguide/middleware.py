"""Site-wide request handling: a request id for every log line, and the headers Django does not set itself."""

import functools
import ipaddress
import re
import uuid

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

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


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware, with the policy from settings turned into header text once per process.

    django-csp builds the text anew for every response: a sixth of the work of a page served from the page
    cache (callgrind, bench/README.md). A response without a per-view policy (@csp_update, @csp_exempt and
    the like), to a request that used no nonce, gets exactly the settings' policy, so it gets that text
    built once. Every other response goes through django-csp unchanged.
    """

    PER_VIEW_ATTRIBUTES = tuple(
        f"_csp_{name}{suffix}" for name in ("config", "update", "replace", "exempt") for suffix in ("", "_ro")
    )

    def process_response(self, request, response):
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in self.PER_VIEW_ATTRIBUTES)
            or (settings.DEBUG and response.status_code in (404, 500))  # django-csp leaves debug pages alone
        ):
            return super().process_response(request, response)
        for header, policy, excluded_prefixes in _settings_policies():
            if policy and header not in response and not request.path_info.startswith(excluded_prefixes):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header is written would not be in it.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


@functools.cache
def _settings_policies() -> list[tuple[str, str, tuple[str, ...]]]:
    """(header, text, excluded path prefixes) of the enforced and the report-only policy in settings."""
    policies = []
    for header, setting, report_only in [
        (HEADER, "CONTENT_SECURITY_POLICY", False),
        (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", True),
    ]:
        excluded = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
        policies.append((header, build_policy(report_only=report_only), tuple(excluded)))
    return policies


@receiver(setting_changed)
def _forget_settings_policies(setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _settings_policies.cache_clear()
