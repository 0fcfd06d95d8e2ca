"""Version tokens that retire a whole family of cache entries at once (pages, catalog searches).

Entries are stored under keys that include their family's current token; replacing the token makes every
old entry unreachable, and the cache drops them in time. A token is random rather than a counter: if the
cache ever loses it, a fresh one cannot collide with entries written under an old one.
"""

import uuid
from collections.abc import Callable

from django.core.cache import cache

# The token this process read last for each version key: nearly always still the current one.
_last_seen: dict[str, str] = {}


def current(key: str) -> str:
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        version = cache.get(key)
    _last_seen[key] = version
    return version


def current_entry(key: str, entry_key: Callable[[str], str]) -> tuple[str, object]:
    """The current token of `key`, and the entry stored under `entry_key(token)` (None if there is none yet:
    compute it and store it under that key).

    One cache round trip instead of two when the token is the one this process saw last: both are read in
    one MGET, and the entry is used only if the token read with it is that same one, so an entry of an old
    version is never returned.
    """
    guess = _last_seen.get(key)
    if guess is not None:
        found = cache.get_many([key, entry_key(guess)])
        if found.get(key) == guess:
            return guess, found.get(entry_key(guess))
    version = current(key)
    return version, cache.get(entry_key(version))


def replace(key: str) -> None:
    cache.set(key, uuid.uuid4().hex, timeout=None)
