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

    The peer's address, unless the peer is one of settings.TRUSTED_PROXIES: then the right-most X-Forwarded-For
    entry that is not a trusted proxy. Each proxy appends the address it was reached from, so everything left of
    that entry was written by the client and can say anything. A proxy that appended something unreadable gives
    its own address (the nearest hop we know), never an address the client chose. Never raises: a peer that is
    no address gives "0.0.0.0".
    """
    address = _ip_address(request.META.get("REMOTE_ADDR", ""))
    if address is None:
        return "0.0.0.0"
    trusted = _networks(tuple(settings.TRUSTED_PROXIES))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    while _is_trusted(address, trusted) and forwarded:
        hop = _ip_address(forwarded.pop())
        if hop is None:
            break
        address = hop
    return str(address)


def _ip_address(text: str):
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    return getattr(address, "ipv4_mapped", None) or address


def _is_trusted(address, networks) -> bool:
    return any(address in network for network in networks)


@functools.lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy) for proxy in proxies)  # settings.py has checked each one


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
