"""Version tokens that retire a whole family of cache entries at once (pages, catalog searches).

Entries are stored under keys that include their family's current token; replacing the token makes every
old entry unreachable, and the cache drops them in time. A token is random rather than a counter: if the
cache ever loses it (a Redis restart, an eviction), a fresh one cannot collide with entries written under an
old one.

A replacement must never be lost, or entries showing an unpublished course would outlive the unpublish:
- it is written when the change is saved and again once the transaction commits, because until the commit
  other requests still read the old rows and may store them under the token written first;
- if the cache cannot take it (Redis away at that moment), a marker file says so. Every process on the host
  looks for markers at most every RETRY_SECONDS, retries the replacement, and meanwhile reads and stores
  nothing of that family: it computes afresh, as with no cache at all. The marker goes once a retry succeeds.
"""

import hashlib
import logging
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

RETRY_SECONDS = 2.0

# The token this process read last for each version key: nearly always still the current one.
_last_seen: dict[str, str] = {}
# Version keys whose replacement failed and has not been written since, as this process last looked.
_unsettled: set[str] = set()
_next_look = 0.0  # time.monotonic() of this process's next look for markers


def current(key: str) -> str:
    if _is_unsettled(key):
        return _throwaway_token()
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        version = cache.get(key)
    if version is None:  # the cache is away: nothing stored under this token will ever be read back
        return _throwaway_token()
    _last_seen[key] = version
    return version


def current_entry(key: str, entry_key: Callable[[str], str]) -> tuple[str, object]:
    """The current token of `key`, and the entry stored under `entry_key(token)` (None if there is none yet:
    compute it and store it under that key).

    One cache round trip instead of two when the token is the one this process saw last: both are read in
    one MGET, and the entry is used only if the token read with it is that same one, so an entry of an old
    version is never returned.
    """
    if _is_unsettled(key):
        return _throwaway_token(), None
    guess = _last_seen.get(key)
    if guess is not None:
        found = cache.get_many([key, entry_key(guess)])
        if found.get(key) == guess:
            return guess, found.get(entry_key(guess))
    version = current(key)
    return version, cache.get(entry_key(version))


def replace(key: str) -> None:
    """Retire every entry of `key`'s family, now and (inside a transaction) again when it commits."""
    _write_new_token(key)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _write_new_token(key))


def _write_new_token(key: str) -> bool:
    try:
        cache.set(key, uuid.uuid4().hex, timeout=None)  # the cache backend raises if this cannot be written
    except Exception as error:
        logger.error("cache version %s not replaced (%s): retried until it is", key, error)
        _unsettled.add(key)
        _write_marker(key)
        return False
    _unsettled.discard(key)
    try:
        _marker(key).unlink(missing_ok=True)
    except OSError:  # a read-only folder must not turn an editor's save into an error; the retry is harmless
        logger.exception("could not remove the marker of %s", key)
    return True


def _is_unsettled(key: str) -> bool:
    global _next_look
    now = time.monotonic()
    if now >= _next_look:
        _next_look = now + RETRY_SECONDS
        _unsettled.update(_marked_keys())
        for unsettled in list(_unsettled):
            _write_new_token(unsettled)
    return key in _unsettled


def _throwaway_token() -> str:
    """A token no entry was ever stored under: the caller computes afresh, and what it stores is never read."""
    return f"unsettled-{uuid.uuid4().hex}"


def _markers_dir() -> Path:
    return Path(settings.CACHE_VERSION_MARKERS_DIR)


def _marker(key: str) -> Path:
    return _markers_dir() / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.pending"


def _write_marker(key: str) -> None:
    try:
        _markers_dir().mkdir(parents=True, exist_ok=True)
        _marker(key).write_text(key)
    except OSError:  # this process still retries from memory
        logger.exception("could not record the pending replacement of %s", key)


def _marked_keys() -> set[str]:
    try:
        entries = list(os.scandir(_markers_dir()))
    except FileNotFoundError:
        return set()
    keys = set()
    for entry in entries:
        if entry.name.endswith(".pending"):
            try:
                keys.add(Path(entry.path).read_text())
            except OSError:
                continue  # removed by another process's successful retry
    return keys
