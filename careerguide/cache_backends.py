"""Django's Redis cache, made to fail open: with Redis away for a moment, the site is slower, not down."""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


# After a failed call this process leaves Redis alone for a while: a page makes several cache calls, and with a
# Redis that stops answering each would wait for its socket timeout.
RETRY_AFTER = 5.0


def _forgiving(method_name, fallback):
    def method(self, *args, **kwargs):
        version_token = _never_expires(method_name, args, kwargs)
        if time.monotonic() >= self._skip_until or version_token:
            try:
                return getattr(super(ForgivingRedisCache, self), method_name)(*args, **kwargs)
            except RedisError as error:
                self._skip_until = time.monotonic() + RETRY_AFTER
                if version_token:
                    raise  # never dropped silently: cache_versions.replace records it and retries
                logger.warning("cache unavailable (%s), skipped for %g s: %s", method_name, RETRY_AFTER, error)
        return fallback(*args, **kwargs) if callable(fallback) else fallback

    method.__name__ = method_name
    return method


class ReusingRedisCacheClient(RedisCacheClient):
    """Django builds a new redis-py client object for every cache call, about half the time of a cached page
    (profiled, bench/README.md pages.py). One client per connection pool is enough: clients are thread-safe.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        if id(pool) not in self._clients:
            self._clients[id(pool)] = self._client(connection_pool=pool)
        return self._clients[id(pool)]


def _never_expires(method_name, args, kwargs) -> bool:
    """A set without expiry: a version token (careerguide/cache_versions.py), which retires a whole family of
    entries. It is always attempted, even while other calls are skipped, and its failure is raised to the
    caller: a lost one would leave stale pages.
    """
    return method_name == "set" and kwargs.get("timeout", args[2] if len(args) > 2 else DEFAULT_TIMEOUT) is None


class ForgivingRedisCache(RedisCache):
    """Reads miss and writes are skipped while Redis cannot be reached; everything is computed afresh.

    A miss is always safe here: every cached thing (pages, searches, offers, versions) can be rebuilt from the
    database. Rate limits count nothing meanwhile, which is the lesser evil next to refusing every sign-in.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._skip_until = 0.0  # time.monotonic() until which calls are skipped after a failure

    get = _forgiving("get", lambda key, default=None, version=None: default)
    get_many = _forgiving("get_many", {})
    has_key = _forgiving("has_key", False)
    set = _forgiving("set", None)
    add = _forgiving("add", True)  # as if added: callers then read it back, miss, and compute
    set_many = _forgiving("set_many", [])
    touch = _forgiving("touch", False)
    delete = _forgiving("delete", False)
    delete_many = _forgiving("delete_many", None)
    incr = _forgiving("incr", 1)
    clear = _forgiving("clear", None)
