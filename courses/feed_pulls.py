"""Pulling a catalog feed from its address and applying it: the worker's `courses.jobs.pull_feeds` and
`manage.py pull_feeds` (docs/feed-format.md, "Feeds pulled on a schedule").

A pull is all or nothing where it matters. The body is downloaded whole to a file first (a conditional GET, gzip,
bounded in size and time, checked against its declared length), so a failed, cut-off or oversized download
imports nothing and retires nothing. The importer then applies it batch by batch (an interrupted pull keeps its
committed batches; the next pull finishes the job and never imports a row twice). Only after the complete import
of a full feed are the source's items it no longer lists retired, unless that would retire more than the feed's
`max_shrink_percent` of its live items: then the pull is held until a partner manager confirms it in the admin.
The ETag and Last-Modified are kept only after a pull that imported, so a retry after a failure downloads again.
"""

import http.client
import ipaddress
import logging
import socket
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from careerguide.jobs import one_at_a_time
from courses import search_index
from courses.feed import read_feed
from courses.models import Course, Feed, FeedPull
from courses.models.partners import destination_problem
from courses.services import import_catalog, retire_courses

logger = logging.getLogger("courses.feeds")

USER_AGENT = "careerguide-feeds/1.0 (+https://careerguide.example/disclosure/)"
CHUNK_BYTES = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"


class FeedError(Exception):
    def __init__(self, message: str, *, http_status: int | None = None):
        super().__init__(message)
        self.http_status = http_status


@dataclass
class Download:
    path: Path | None  # None: not modified since the last pull
    http_status: int
    bytes_read: int
    etag: str = ""
    last_modified: str = ""


def refuse_private_address(url: str) -> None:
    """A feed's host must be on the public internet: a partner manager must not make the worker fetch from the
    site's own network (its database, its cache, a cloud's metadata address). Checked for every redirect too."""
    problem = destination_problem(url)
    if problem:
        raise FeedError(f"the address {problem}")
    if settings.FEED_ALLOW_PRIVATE_ADDRESSES:
        return
    parts = urlsplit(url)
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except ValueError:
        raise FeedError("the address has an invalid port") from None
    except (socket.gaierror, UnicodeError) as error:
        raise FeedError(f"the host {parts.hostname} does not resolve ({error})") from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise FeedError(f"the host {parts.hostname} is on a private or local address")


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 5

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        refuse_private_address(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_CheckedRedirects)


def download_feed(feed: Feed, *, conditional: bool = True) -> Download:
    """The feed's body, decompressed, in a file of its own under FEED_DOWNLOAD_DIR (the caller deletes it); or a
    Download without a path when the server says it has not changed. Raises FeedError for anything else."""
    refuse_private_address(feed.url)
    request = urllib.request.Request(feed.url, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"})
    if conditional and feed.etag:
        request.add_header("If-None-Match", feed.etag)
    if conditional and feed.last_modified:
        request.add_header("If-Modified-Since", feed.last_modified)
    if feed.authorization():
        request.add_unredirected_header("Authorization", feed.authorization())  # never sent on to another host
    deadline = time.monotonic() + settings.FEED_TOTAL_TIMEOUT_SECONDS
    try:
        response = _opener.open(request, timeout=settings.FEED_READ_TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 304:
            return Download(path=None, http_status=304, bytes_read=0)
        raise FeedError(f"HTTP {error.code}", http_status=error.code) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise FeedError(f"no answer: {getattr(error, 'reason', error)}") from None
    with response:
        if response.status != 200:
            raise FeedError(f"HTTP {response.status}: expected 200", http_status=response.status)
        settings.FEED_DOWNLOAD_DIR.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.FEED_DOWNLOAD_DIR, suffix=".feed", delete=False) as target:
            try:
                bytes_read = _copy_body(response, target, deadline)
            except BaseException:
                Path(target.name).unlink(missing_ok=True)
                raise
        return Download(
            path=Path(target.name),
            http_status=200,
            bytes_read=bytes_read,
            etag=(response.headers.get("ETag") or "")[:500],
            last_modified=(response.headers.get("Last-Modified") or "")[:100],
        )


def _copy_body(response, target, deadline: float) -> int:
    """Copy the body into `target`, gunzipping it if it is gzip (by header or by its first bytes); returns the
    bytes read from the network. Raises FeedError when it is cut off, too big or too slow."""
    declared = response.headers.get("Content-Length")
    gunzip = None
    bytes_read = written = 0
    limit = settings.FEED_MAX_BYTES
    try:
        while chunk := response.read(CHUNK_BYTES):
            if bytes_read == 0 and (
                response.headers.get("Content-Encoding", "").lower() == "gzip" or chunk.startswith(GZIP_MAGIC)
            ):
                gunzip = zlib.decompressobj(wbits=31)
            bytes_read += len(chunk)
            while chunk:
                data, chunk = _gunzip(gunzip, chunk, limit - written + 1) if gunzip else (chunk, b"")
                if gunzip is not None and gunzip.eof and chunk:  # gzip members one after another (RFC 1952)
                    gunzip = zlib.decompressobj(wbits=31)
                written += len(data)
                if written > limit:
                    raise FeedError(f"larger than {limit:,} bytes{' unpacked' if gunzip else ''}")
                target.write(data)
            if time.monotonic() > deadline:
                raise FeedError(f"took longer than {settings.FEED_TOTAL_TIMEOUT_SECONDS:g} s to download")
    except TimeoutError:
        raise FeedError(f"the server stopped sending for {settings.FEED_READ_TIMEOUT_SECONDS:g} s") from None
    except (OSError, EOFError, http.client.HTTPException) as error:  # IncompleteRead: a broken chunked body
        raise FeedError(f"the download broke off ({error.__class__.__name__})") from None
    except zlib.error:
        raise FeedError("the gzip data is corrupt") from None
    if declared is not None and declared.isdigit() and bytes_read != int(declared):
        raise FeedError(f"the download broke off: {bytes_read:,} of {int(declared):,} bytes")
    if gunzip is not None and not gunzip.eof:
        raise FeedError("the gzip data ends before its end: the download was cut off")
    return bytes_read


def _gunzip(gunzip, chunk: bytes, max_length: int) -> tuple[bytes, bytes]:
    """(what `chunk` unpacks to, up to max_length + what is left of it: a next gzip member's start)."""
    data = gunzip.decompress(chunk, max_length)
    if gunzip.unconsumed_tail:  # stopped at max_length, which is past the cap: the caller refuses it
        return data, b""
    return data, gunzip.unused_data


def live_items(feed: Feed):
    return Course.objects.published().filter(source=feed.source)  # a retired item is never published


def pull_feed(feed: Feed, *, conditional: bool = True) -> FeedPull | None:
    """Pull one feed now and record the pull; never raises for a feed's own failures (they are recorded).
    None when another process is pulling this feed already."""
    with one_at_a_time(f"courses.feed:{feed.source}") as held:
        if not held:
            return None
        _forget_old_downloads()
        feed.refresh_from_db()  # what the other process's pull left (ETag, schedule)
        return _pull(feed, conditional=conditional)


def _forget_old_downloads() -> None:
    """Downloads a killed worker left behind; a live pull's file is never this old."""
    too_old = time.time() - 2 * settings.FEED_TOTAL_TIMEOUT_SECONDS - 3600
    for path in settings.FEED_DOWNLOAD_DIR.glob("*.feed"):
        try:
            if path.stat().st_mtime < too_old:
                path.unlink()
        except OSError:
            pass


def _pull(feed: Feed, *, conditional: bool) -> FeedPull:
    started = timezone.now()
    # A pull still "running" was cut short (its worker died): it retired nothing, and this pull redoes its work.
    feed.pulls.filter(status=FeedPull.Status.RUNNING).update(
        status=FeedPull.Status.FAILED, finished_at=started, error="the worker stopped before the pull ended"
    )
    pull = FeedPull.objects.create(feed=feed, started_at=started, live_before=live_items(feed).count())
    try:
        download = download_feed(feed, conditional=conditional)
    except FeedError as error:
        return _failed(feed, pull, str(error), http_status=error.http_status)
    pull.http_status, pull.bytes_read = download.http_status, download.bytes_read
    if download.path is None:
        pull.status = FeedPull.Status.NOT_MODIFIED
        return _finished(feed, pull)
    try:
        with download.path.open("rb") as stream:
            totals = import_catalog(
                rows=read_feed(stream, format=feed.format, deletes=feed.mode == Feed.Mode.DELTA),
                source=feed.source,
                confirmed_at=started,
            )
    except Exception as error:  # the database went away mid-import: committed batches stay, nothing is retired
        logger.exception("Importing feed %s failed", feed.source)
        return _failed(feed, pull, f"the import stopped: {error.__class__.__name__}")
    finally:
        download.path.unlink(missing_ok=True)
    for name in ("created", "updated", "unchanged", "rejected", "returned", "deleted"):
        setattr(pull, name, totals[name])
    pull.status = FeedPull.Status.IMPORTED
    if feed.mode == Feed.Mode.FULL:
        _retire_or_hold(feed, pull)
    feed.etag, feed.last_modified = download.etag, download.last_modified
    return _finished(feed, pull)


def _retire_or_hold(feed: Feed, pull: FeedPull) -> None:
    dropped = live_items(feed).unconfirmed_since(pull.started_at)
    pull.to_retire = dropped.count()
    if pull.to_retire * 100 > pull.live_before * feed.max_shrink_percent:
        feed.pulls.filter(status=FeedPull.Status.HELD).update(status=FeedPull.Status.SUPERSEDED)
        pull.status = FeedPull.Status.HELD
        logger.warning("Feed %s held: it would retire %s of %s items", feed.source, pull.to_retire, pull.live_before)
    elif pull.to_retire:
        pull.retired = retire_courses(dropped)
        search_index.live().catch_up()  # gone from this host's search now, not at learners' next searches


def confirm_held_pull(pull: FeedPull, user) -> int:
    """A partner manager confirms a held pull: the items the feed no longer listed are retired. Returns how many;
    0 when the pull is no longer held (confirmed twice, or a later pull replaced it)."""
    with transaction.atomic():
        held = FeedPull.objects.select_for_update().filter(pk=pull.pk, status=FeedPull.Status.HELD).first()
        if held is None:
            return 0
        held.status, held.confirmed_by, held.confirmed_at = FeedPull.Status.CONFIRMED, user, timezone.now()
        held.retired = retire_courses(live_items(held.feed).unconfirmed_since(held.started_at))
        held.save()
    Feed.objects.filter(pk=held.feed_id).update(last_result=held.summary()[:500])
    return held.retired


def _failed(feed: Feed, pull: FeedPull, error: str, *, http_status: int | None = None) -> FeedPull:
    logger.warning("Feed %s failed: %s", feed.source, error)
    pull.status, pull.error, pull.http_status = FeedPull.Status.FAILED, error[:500], http_status or pull.http_status
    return _finished(feed, pull)


def _finished(feed: Feed, pull: FeedPull) -> FeedPull:
    now = timezone.now()
    pull.finished_at = now
    pull.save()
    feed.last_pull_at, feed.last_result = now, pull.summary()[:500]
    if pull.status == FeedPull.Status.FAILED:
        feed.consecutive_failures += 1
        feed.next_pull_at = now + feed.retry_delay()
    else:
        feed.consecutive_failures = 0
        feed.last_success_at = now
        feed.next_pull_at = pull.started_at + timedelta(minutes=feed.every_minutes)
    feed.save(
        update_fields=[
            "etag", "last_modified", "last_pull_at", "last_result", "consecutive_failures", "last_success_at",
            "next_pull_at",
        ]
    )  # fmt: skip
    return pull


def pull_due_feeds() -> Counter:
    """Every active feed whose time has come, one after another; counts of the pulls' outcomes."""
    outcomes = Counter()
    for feed in Feed.objects.due().order_by("next_pull_at", "pk"):
        pull = pull_feed(feed)
        outcomes[pull.status if pull else "already being pulled"] += 1
    return outcomes
