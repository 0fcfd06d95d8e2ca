"""Which partner-link clicks a partner pays for: people's, once per visit, at a person's pace.

Every GET of /go/<token>/ is redirected and recorded; each click is classified when it is recorded (one INSERT
stays one INSERT, the spool keeps the classification, and reports stay plain aggregates):

- a bot (`Click.is_bot`): its User-Agent is a crawler's, a link previewer's, an HTTP library's or a monitor's,
  or the browser says it is only prefetching;
- otherwise `Click.excluded_reason`: "over_limit" when its client sent more than CLIENT_LIMIT clicks within
  CLIENT_WINDOW, "repeat" when the same visitor clicked the same offer within REPEAT_WINDOW, else "" (counted).

Classified at record time rather than by SQL at report time: the rate limit needs to know which clicks came
from one client within an hour, which the stored rows could only tell through window functions over every
report's range; a cache counter does it for the price of two Redis calls.

Who is a "client" and a "visitor": the client's address alone (an IPv6 address by its /64 network, which one
household or phone gets whole), never its User-Agent, which anyone can change on every request. Rotating the
User-Agent therefore makes neither a new visitor nor a new click. The cost: people sharing one address (an
office, a school, a carrier's NAT) count as one visitor, and together at most CLIENT_LIMIT clicks an hour;
partners pay for what we can vouch for.

Counters live in the shared cache (Redis in production) and, as a fallback, in each process's memory: with
Redis away the shared cache fails open (an add says "added", an incr says 1), so without the local layer every
click would count. With it, a flood is still cut down per process (a few workers: a few counted clicks).
"""

import functools
import hashlib
import hmac
import ipaddress
import re

from crawlerdetect import CrawlerDetect
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

from careerguide.middleware import client_ip
from courses.models import Click

# 30 minutes, the usual length of a web visit (analytics sessions end after 30 idle minutes): a learner who
# clicks, looks at the partner's page, comes back and clicks again is one referral, and the partner's cookie
# from the first click still carries the sale.
REPEAT_WINDOW = 30 * 60
# A person reading guides follows a handful of partner links in an hour; 60 leaves room for a dozen learners
# behind one address (an office, a classroom) while one machine can no longer add 1,000 clicks in 3.5 s.
CLIENT_LIMIT = 60
CLIENT_WINDOW = 60 * 60
AGENT_CHARS = 500  # longer User-Agents are cut: the library's patterns are anchored near the start or are words

# Real agents CrawlerDetect 0.4.2 does not know (checked against the list in tests/courses/test_click_counting.py):
# no agent at all, a bare "Mozilla/5.0", JavaScript runtimes' fetch(), PowerShell, Java's own HTTP client,
# Postman's rival, Microsoft Office's link probes, and the agents of monitoring tools that are not in its list.
SUPPLEMENTARY_AGENTS = re.compile(
    r"^\s*-?\s*$|^Mozilla/[\d.]+$|^node$|^Deno/|^Bun/|^insomnia/|PowerShell/|^Java-http-client/|ms-office|"
    r"^Datadog Agent/|^Blackbox Exporter/|^Prometheus/",
    re.IGNORECASE,
)
_detector = CrawlerDetect()
# Each process's fallback when the shared cache is away, bounded like any memory cache.
_local = LocMemCache("courses-click-counting", {"OPTIONS": {"MAX_ENTRIES": 20_000}})


# -- bots ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def is_bot_agent(user_agent: str) -> bool:
    """Whether this User-Agent is a machine's. Memoized: one new agent costs about a millisecond of regex
    (bench/click_counting.py); the agents people use are few, so almost every click is a lookup.
    """
    user_agent = user_agent[:AGENT_CHARS]
    return bool(SUPPLEMENTARY_AGENTS.search(user_agent)) or _detector.is_crawler(user_agent)


def is_prefetch(request) -> bool:
    """The browser fetches the link ahead of a click that may never come (Chromium's Sec-Purpose, Firefox's
    X-Moz, the older Purpose, Safari's X-Purpose for its Top Sites previews).
    """
    purpose = " ".join(
        request.headers.get(name, "") for name in ("Sec-Purpose", "Purpose", "X-Moz", "X-Purpose")
    ).lower()
    return any(word in purpose for word in ("prefetch", "prerender", "preview"))


def is_bot(request) -> bool:
    return is_prefetch(request) or is_bot_agent(request.headers.get("User-Agent", "")[:AGENT_CHARS])


# -- visitors ------------------------------------------------------------------------------------------


def client_network(request) -> str:
    """The client's address, an IPv6 one by its /64: a host picks any address in its /64 at will."""
    address = ipaddress.ip_address(client_ip(request))
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def visitor_hash(request, *, day) -> str:
    """HMAC of the client's address under a key derived for the day: the same visitor hashes the same within a
    day (unique visitors), cannot be followed from one day to the next, and cannot be reversed to an address
    without the secret key.
    """
    day_key = hmac.new(settings.SECRET_KEY.encode(), f"visitor:{day.isoformat()}".encode(), hashlib.sha256).digest()
    return hmac.new(day_key, client_network(request).encode(), hashlib.sha256).hexdigest()


def excluded_reason(request, offer_id: int) -> str:
    """Why a person's click is not counted ("over_limit", "repeat"), or "" when it is. Call once per click:
    it counts the click.
    """
    # Keyed by a keyed hash, so the cache holds no address either; not the daily visitor hash, so that a
    # window does not restart at midnight.
    client = hmac.new(settings.SECRET_KEY.encode(), f"click-client:{client_network(request)}".encode(), "sha256")
    client = client.hexdigest()[:32]
    if _count(f"courses:clicks:client:{client}", CLIENT_WINDOW) > CLIENT_LIMIT:
        return Click.Excluded.OVER_LIMIT
    if not _first(f"courses:clicks:seen:{client}:{offer_id}", REPEAT_WINDOW):
        return Click.Excluded.REPEAT
    return ""


def _first(key: str, timeout: int) -> bool:
    """Whether nothing marked `key` within `timeout`; marks it."""
    return _local.add(key, 1, timeout) and cache.add(key, 1, timeout)


def _count(key: str, timeout: int) -> int:
    """Adds one to the count under `key`, which starts afresh `timeout` seconds after its first; the count."""
    return max(_incr(_local, key, timeout), _incr(cache, key, timeout))


def _incr(store, key: str, timeout: int) -> int:
    store.add(key, 0, timeout)
    try:
        return store.incr(key)
    except ValueError:  # expired between the add and the incr
        return 1


def forget_counts() -> None:
    """Empty this process's counters (tests; the shared cache is cleared on its own)."""
    _local.clear()
    is_bot_agent.cache_clear()
