"""Django's Redis cache, made to fail open: with Redis away for a moment, the site is slower, not down."""

import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _forgiving(method_name, fallback):
    def method(self, *args, **kwargs):
        try:
            return getattr(super(ForgivingRedisCache, self), method_name)(*args, **kwargs)
        except RedisError as error:
            logger.warning("cache unavailable (%s): %s", method_name, error)
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


class ForgivingRedisCache(RedisCache):
    """Reads miss and writes are skipped while Redis cannot be reached; everything is computed afresh.

    A miss is always safe here: every cached thing (pages, searches, offers, versions) can be rebuilt from the
    database. Rate limits count nothing meanwhile, which is the lesser evil next to refusing every sign-in.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

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
