"""Recording partner-link clicks so that none is lost, none is counted twice and no raw IP is kept.

A click is one INSERT. If the database is away, the click goes to an append-only spool file instead
and the learner is redirected all the same; the spool is replayed into the database by the next click
that finds the database back (or by `manage.py replay_clicks`). Every click carries a UUID that is
unique in the database, so replaying a spool twice, or a spool that was half replayed, doubles nothing.

The offer a token names is read from the database, and a copy is cached on each read, so a learner can be
redirected while the database is away.
"""

import fcntl
import hashlib
import json
import logging
import os
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.utils import timezone

from courses import counting
from courses.models import Click, Offer

logger = logging.getLogger(__name__)

OFFER_CACHE_TIMEOUT = 24 * 3600
STALE_CLAIM_SECONDS = 60
REPLAY_BATCH = 500  # spooled clicks per statement


# -- the offer behind a token ---------------------------------------------------------------------------


# What the redirect and its 410 page read, nothing more: a course row is mostly its search document, sent and
# parsed on every click otherwise.
REDIRECT_FIELDS = (
    "token", "url", "commission_tag", "active",
    "partner__active", "partner__allowed_hosts", "partner__link_template", "partner__tag_parameters",
    "course__published", "course__title", "course__slug",
)  # fmt: skip


def _offer_key(token: str) -> str:
    return f"courses:offer:{hashlib.sha256(token.encode()).hexdigest()[:32]}"


def offer_for_token(token: str) -> Offer | None:
    """The offer with its partner and course, read from the database; the copy cached by the last read only
    while the database is unavailable. Raises DatabaseError when the database is away and nothing is cached.

    The database comes first so that an ended offer (offer or partner inactive, course unpublished) answers
    410 the moment it is committed, even if forgetting the cached copy failed (Redis away during the save):
    one query on the unique token's index. The copy is rewritten on every read, so it is as fresh as the
    last click that reached the database.
    """
    key = _offer_key(token)
    try:
        # [:1], not first(): the token is unique, and ordering by id costs CPU for nothing (~15 % of the lookup).
        found = Offer.objects.select_related("partner", "course").only(*REDIRECT_FIELDS).filter(token=token)[:1]
        offer = next(iter(found), None)
    except DatabaseError:
        cached = cache.get(key)
        if not cached:  # (False: a "no such offer" entry written before the database came first)
            raise
        return cached
    if offer is None:
        cache.delete(key)  # no entry for tokens that name nothing: anyone can make up tokens
    else:
        cache.set(key, offer, OFFER_CACHE_TIMEOUT)
    return offer


def forget_offers(tokens) -> None:
    cache.delete_many([_offer_key(token) for token in tokens])


def forget_changed_offers(sender, instance, **kwargs) -> None:
    """Signal receiver: drop cached offers when an offer, its partner or its course changes."""
    if isinstance(instance, Offer):
        forget_offers([instance.token])
    elif instance.pk:
        forget_offers(instance.offers.values_list("token", flat=True))


# -- who clicked ---------------------------------------------------------------------------------------


def referrer_path(request) -> str:
    """The path of the page on this site the learner came from; nothing for other sites."""
    referer = request.headers.get("Referer", "")
    try:
        parts = urlsplit(referer)
    except ValueError:
        return ""
    if parts.netloc != request.get_host():
        return ""
    return parts.path[:300]


# -- recording -----------------------------------------------------------------------------------------


def record_click(offer: Offer, request, click_id: uuid.UUID) -> None:
    fields = {
        "offer_id": offer.pk,
        "click_id": str(click_id),
        "created_at": timezone.now().isoformat(),
        "referrer_path": referrer_path(request),
        "visitor_hash": counting.visitor_hash(request, day=timezone.now().date()),
        "is_bot": counting.is_bot(request),
    }
    # Classified now, so that a spooled click keeps its class (courses/counting.py).
    fields["excluded_reason"] = "" if fields["is_bot"] else counting.excluded_reason(request, offer.pk)
    try:
        Click.objects.create(**fields)
    except DatabaseError:
        logger.warning("database unavailable: click %s spooled", click_id)
        ClickSpool().append(fields)
        return
    spool = ClickSpool()
    if spool.pending():
        try:
            spool.replay()
        except Exception:  # the learner's redirect must not fail for an old click; the spool stays for later
            logger.exception("replaying the click spool failed")


class ClickSpool:
    """Append-only JSON Lines files, one per process, under settings.CLICK_SPOOL_DIR."""

    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory or settings.CLICK_SPOOL_DIR)

    def append(self, fields: dict) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"clicks-{os.getpid()}.jsonl"
        line = (json.dumps(fields) + "\n").encode()
        while True:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                # A replay may have taken the file between our open and our lock: write to a new one then.
                try:
                    current = os.stat(path).st_ino
                except FileNotFoundError:
                    current = None
                if current == os.fstat(fd).st_ino:
                    os.write(fd, line)
                    os.fsync(fd)
                    return
            finally:
                os.close(fd)

    def pending(self) -> bool:
        try:
            return any(
                entry.name.endswith(".jsonl") or ".replaying-" in entry.name for entry in os.scandir(self.directory)
            )
        except FileNotFoundError:
            return False

    def replay(self) -> int:
        """Insert every spooled click not yet in the database. Returns how many were new. Safe to run
        concurrently and repeatedly: a file is claimed by renaming it, and click ids are unique.
        """
        if not self.pending():
            return 0
        inserted = 0
        for path in sorted(self.directory.glob("*.jsonl")):
            claimed = path.with_suffix(f".replaying-{os.getpid()}-{uuid.uuid4().hex[:8]}")
            try:
                path.rename(claimed)
                os.utime(claimed)  # marks the claim's time: see STALE_CLAIM_SECONDS
            except FileNotFoundError:
                continue  # another process claimed it
            inserted += self._replay_file(claimed)
        for stale in self.directory.glob("*.replaying-*"):
            # Left by a replay that failed half-way (the database went away again); a recent claim is
            # probably another process at work, so leave it to that process.
            try:
                if time.time() - stale.stat().st_mtime > STALE_CLAIM_SECONDS:
                    os.utime(stale)
                    inserted += self._replay_file(stale)
            except FileNotFoundError:
                continue
        return inserted

    @staticmethod
    def _parse(line: bytes, path: Path) -> Click | None:
        if not line.strip():
            return None
        try:
            return Click(**json.loads(line))
        except (ValueError, TypeError):  # a line torn by a full disk or a crash mid-write: keep it for a person
            logger.error("unreadable spooled click in %s: %r", path.name, line[:200])
            with (path.parent / "unreadable.txt").open("ab") as kept:
                kept.write(line.rstrip(b"\n") + b"\n")
            return None

    def _replay_file(self, path: Path) -> int:
        try:
            with path.open("rb") as stream:
                fcntl.flock(stream.fileno(), fcntl.LOCK_EX)  # wait for a writer that opened it before the rename
                clicks = [click for line in stream if (click := self._parse(line, path))]
            # In batches: in a web request each statement has a deadline (careerguide/database/base.py), and the
            # spool of a long outage named in one statement would be cancelled on every click that tries it.
            ids = [click.click_id for click in clicks]
            before = sum(
                Click.objects.filter(click_id__in=ids[start : start + REPLAY_BATCH]).count()
                for start in range(0, len(ids), REPLAY_BATCH)
            )
            Click.objects.bulk_create(clicks, ignore_conflicts=True, batch_size=REPLAY_BATCH)
        except FileNotFoundError:
            return 0
        except DatabaseError:
            logger.warning("database still unavailable: %s kept for the next replay", path.name)
            return 0
        path.unlink(missing_ok=True)
        return len(clicks) - before
