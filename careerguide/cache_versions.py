"""Version tokens that retire a whole family of cache entries at once (pages, catalog searches).

Entries are stored under keys that include their family's current token; replacing the token makes every
old entry unreachable, and the cache drops them in time. A token is random rather than a counter: if the
cache ever loses it, a fresh one cannot collide with entries written under an old one.
"""

import uuid

from django.core.cache import cache


def current(key: str) -> str:
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        version = cache.get(key)
    return version


def replace(key: str) -> None:
    cache.set(key, uuid.uuid4().hex, timeout=None)
