"""Link health: whether each offer's destination still answers, written by `manage.py check_links`.

Network checks run in threads; every database read and write stays in the calling thread, because Django
database connections belong to one thread each.
"""

import http.client
import socket
import ssl
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import partial

from django.db import transaction
from django.utils import timezone

from courses.models.partners import BROKEN_AFTER_FAILURES, Offer
from courses.tracking import forget_offers

USER_AGENT = "careerguide-linkcheck/1.0 (+https://careerguide.example/disclosure/)"
MAX_REDIRECTS = 5
# Enough to see that a page is being served; the rest of it is the partner's bandwidth, not ours to spend.
GET_READ_LIMIT = 4096
# The statuses HTTP defines for "not this method" (RFC 9110 15.5.6, 15.6.2). A 403 or 429 says nothing about
# the method: a GET would most likely be refused the same way, at twice the traffic to a partner that may be
# rate-limiting us already.
METHOD_REFUSED = {405, 501}
GONE = {404, 410}


@dataclass(frozen=True)
class LinkCheck:
    status: int | None  # the final HTTP status, after redirects; None when there was no answer
    error: str = ""  # why there was no answer

    def __str__(self):
        return f"HTTP {self.status}" if self.status is not None else self.error

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 400

    @property
    def failed(self) -> bool:
        """Dead for a learner: gone, a server error, or no answer at all. Other 4xx answers (401, 403, 429, …)
        usually mean the partner is turning robots away while people still get through, so they are neither.
        """
        return self.status is None or self.status in GONE or self.status >= 500


class Outcome(StrEnum):
    OK = "ok"
    INCONCLUSIVE = "inconclusive"  # answered, but neither alive nor dead: not counted either way
    FAILING = "failing"
    DEACTIVATED = "deactivated"


@dataclass(frozen=True)
class OfferCheck:
    offer: Offer
    check: LinkCheck
    outcome: Outcome


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        # Python 3.11 turns a redirected HEAD into a GET, which would download every moved page in full.
        if new is not None and req.get_method() == "HEAD":
            new.method = "HEAD"
        return new


def check_url(url: str, *, timeout: float) -> LinkCheck:
    """Ask for `url` with HEAD, falling back to GET if HEAD is refused. Never raises for network trouble.

    `timeout` applies to connecting and to each read, not to the whole exchange.
    """
    check = _request(url, "HEAD", timeout)
    if check.status in METHOD_REFUSED:
        check = _request(url, "GET", timeout)
    return check


def _request(url: str, method: str, timeout: float) -> LinkCheck:
    # A fresh opener per request: it picks up proxy settings from the environment at call time.
    opener = urllib.request.build_opener(_RedirectHandler)
    request = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT})
    try:
        with opener.open(request, timeout=timeout) as response:
            if method == "GET":
                response.read(GET_READ_LIMIT)  # a page that stalls after its headers is dead for a learner too
            return LinkCheck(status=response.status)
    except urllib.error.HTTPError as error:
        error.close()
        if 300 <= error.code < 400:
            # urllib gave up on the redirect: a loop, too many hops, or a Location we cannot follow.
            return LinkCheck(status=None, error=f"gave up following redirects at HTTP {error.code}")
        return LinkCheck(status=error.code)
    except (OSError, http.client.HTTPException, ValueError) as error:
        return LinkCheck(status=None, error=_describe(error, timeout))


def _describe(error: Exception, timeout: float) -> str:
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, socket.gaierror):
        return f"host not found ({reason.strerror})"
    if isinstance(reason, ssl.SSLError):
        return f"TLS error: {reason}"
    return getattr(reason, "strerror", None) or str(reason) or type(reason).__name__


def check_offers(offers, *, timeout: float = 10, workers: int = 16, now: datetime | None = None) -> list[OfferCheck]:
    """Check each offer's destination concurrently and record the result on the offer; an offer that fails
    BROKEN_AFTER_FAILURES checks in a row is deactivated. Returns one OfferCheck per offer, in order.
    """
    now = now or timezone.now()
    offers = list(offers)
    with ThreadPoolExecutor(max_workers=workers) as executor:
        # Threads get URLs only, never model instances, so nothing in them can touch the database.
        checks = list(executor.map(partial(check_url, timeout=timeout), [offer.url for offer in offers]))

    results = [
        OfferCheck(offer, check, _record(offer, check, now)) for offer, check in zip(offers, checks, strict=True)
    ]
    with transaction.atomic():
        Offer.objects.bulk_update(offers, ["last_checked_at", "last_status", "last_error", "consecutive_failures"])
        # Only ever written to switch an offer off, so an editor's change during the run is not undone.
        deactivated = [result.offer.pk for result in results if result.outcome == Outcome.DEACTIVATED]
        Offer.objects.filter(pk__in=deactivated).update(active=False)
    # The redirect caches offers; an update() sends no signal, so tell it here.
    forget_offers([result.offer.token for result in results if result.outcome == Outcome.DEACTIVATED])
    return results


def _record(offer: Offer, check: LinkCheck, now: datetime) -> Outcome:
    offer.last_checked_at = now
    offer.last_status = check.status
    offer.last_error = check.error[: Offer._meta.get_field("last_error").max_length]
    if check.ok:
        offer.consecutive_failures = 0
        return Outcome.OK
    if not check.failed:
        return Outcome.INCONCLUSIVE
    offer.consecutive_failures += 1
    if offer.consecutive_failures >= BROKEN_AFTER_FAILURES:
        offer.active = False
        return Outcome.DEACTIVATED
    return Outcome.FAILING
