"""Django's PostgreSQL backend, made so that a database that stops answering costs a request a second, not the worker.

A PostgreSQL that refuses connections fails fast by itself. One that stops answering with the connection still
open (a hung server, a stuck proxy or relay, a lost route behind a NAT that still answers) does not: psycopg
waits for the reply without end, and each gunicorn sync worker stayed stuck until gunicorn killed it after 30 s,
so cached pages queued behind them too (issue 13). What bounds each wait:

- connecting: libpq's connect_timeout (settings; psycopg enforces at least 2 s);
- a peer that stops acknowledging: TCP keepalives and tcp_user_timeout (settings);
- a slow statement: the server's statement_timeout, set on connections opened while serving a request;
- a peer that acknowledges but never answers (the kernel of a frozen relay ACKs everything, so neither of the
  two above fires): a deadline of our own, below. psycopg 3.3 has no read timeout: its waits take a `timeout`
  only for notifies and cancellation, and connect_timeout covers the connection only.

The deadline is a SIGALRM timer (signal.setitimer) around every call that waits on the server: connecting, the
health check, each execute, commit and rollback. Its handler raises inside psycopg's wait, which checks for
signals while it polls the socket; the connection is then mid-reply and unusable, so it is closed and Django
opens a new one next time. Signals reach the main thread only: gunicorn's sync workers serve there; requests
served in other threads (runserver) keep the first three bounds only.

The deadline applies only while Django serves a request (request_started to request_finished): imports,
generate_catalog and migrations run statements of minutes, and must never be cut. For the same reason the
server's statement_timeout is set only on connections opened during a request.

After a wait cut by the deadline, this process leaves the database alone for `retry_after` seconds or up
to half as long again (a circuit breaker, as careerguide/cache_backends.py does for Redis): every call
fails at once with OperationalError. The rest of the request then does not wait again (a click is spooled
at once, see courses/tracking.py), nor do the next requests of this worker. A server that answers with an
error (a refused connection, a cancelled statement) does not open the breaker: it answers fast by itself.
"""

import logging
import random
import signal
import threading
import time
from contextlib import contextmanager

from django.core.signals import request_finished, request_started
from django.db import OperationalError, connections
from django.db.backends.postgresql import base

logger = logging.getLogger(__name__)

# How much sooner than our deadline the server cancels a statement: a slow query gets PostgreSQL's own
# error, which keeps the connection, and only a silent server is cut by the client.
STATEMENT_TIMEOUT_SHARE = 0.8
OUR_OPTIONS = ("query_timeout", "retry_after", "heavy_query_timeout")  # read here, not libpq parameters

_serving = threading.local()
_unavailable_until: dict[str, float] = {}  # per database alias, time.monotonic() until which calls fail at once
_armed = False  # True while a deadline is set; SIGALRM is delivered to the main thread only


class DeadlineExpired(Exception):
    """Raised by the SIGALRM handler inside a bounded wait. Not a KeyboardInterrupt: psycopg would then try to
    cancel the query on the server and wait up to 5 s more for an answer that will not come.
    """


def serving_request() -> bool:
    return getattr(_serving, "request", False)


def _request_started(**kwargs) -> None:
    _serving.request = True


def _request_finished(**kwargs) -> None:
    _serving.request = False


# Connected when the backend is first imported: settings.DATABASES names it, and careerguide/wsgi.py imports it
# before the first request, so that request is bounded too.
request_started.connect(_request_started, dispatch_uid="careerguide.database.request_started")
request_finished.connect(_request_finished, dispatch_uid="careerguide.database.request_finished")


def forget_failures() -> None:
    """Let every database be tried again at once (the breaker closed), as when `retry_after` has passed."""
    _unavailable_until.clear()


def _on_alarm(signum, frame) -> None:
    global _armed
    if _armed:  # a signal already on its way when the deadline was disarmed is ignored
        _armed = False
        raise DeadlineExpired


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._heavy = False
        # First in the list, so outermost: a wrapper a test adds runs inside the deadline.
        self.execute_wrappers.insert(0, self._bounded_execute)

    # -- settings --------------------------------------------------------------------------------------

    @property
    def query_timeout(self) -> float:
        """Seconds a web request waits for one call (0: no deadline); longer inside heavy_queries()."""
        if getattr(self, "_heavy", False):
            return float(self.settings_dict["OPTIONS"].get("heavy_query_timeout", 0)) or self._normal_timeout
        return self._normal_timeout

    @property
    def _normal_timeout(self) -> float:
        return float(self.settings_dict["OPTIONS"].get("query_timeout", 0))

    @contextmanager
    def heavy_queries(self):
        """Statements known to be slow and cached afterwards (the catalog's facet counts over a broad search, a
        guide's recommendation ranking) get `heavy_query_timeout` instead of the query timeout, on the server
        and here. A silent server still costs such a request that long at most, once per worker: then the
        breaker opens.
        """
        if self._heavy or self.query_timeout <= 0 or not serving_request() or self.connection is None:
            yield
            return
        heavy = self.settings_dict["OPTIONS"].get("heavy_query_timeout", 0)
        with self.cursor() as cursor:
            cursor.execute("SET statement_timeout = %s", [int(heavy * STATEMENT_TIMEOUT_SHARE * 1000)])
        self._heavy = True
        try:
            yield
        finally:
            self._heavy = False
            if self.connection is not None:  # not cut by the deadline meanwhile
                with self.cursor() as cursor:
                    cursor.execute(
                        "SET statement_timeout = %s", [int(self.query_timeout * STATEMENT_TIMEOUT_SHARE * 1000)]
                    )

    @property
    def retry_after(self) -> float:
        return float(self.settings_dict["OPTIONS"].get("retry_after", 0))

    def get_connection_params(self):
        params = super().get_connection_params()
        for name in OUR_OPTIONS:
            params.pop(name, None)
        if serving_request() and self.query_timeout > 0:
            statement_ms = max(1, int(self.query_timeout * STATEMENT_TIMEOUT_SHARE * 1000))
            params["options"] = f"{params.get('options', '')} -c statement_timeout={statement_ms}".strip()
        return params

    # -- the bounded calls -----------------------------------------------------------------------------

    def connect(self):
        with self._deadline("connecting"):
            super().connect()

    def is_usable(self):
        try:
            with self._deadline("health check"):
                return super().is_usable()
        except OperationalError:
            return False

    def _commit(self):
        with self._deadline("commit"):
            return super()._commit()

    def _rollback(self):
        with self._deadline("rollback"):
            return super()._rollback()

    def _bounded_execute(self, execute, sql, params, many, context):
        with self._deadline("query"):
            return execute(sql, params, many, context)

    @contextmanager
    def _deadline(self, what: str):
        global _armed
        if (
            _armed  # inside another bounded call (a query while connecting): its deadline holds
            or self.query_timeout <= 0
            or not serving_request()
            or threading.current_thread() is not threading.main_thread()
        ):
            yield
            return
        if time.monotonic() < _unavailable_until.get(self.alias, 0.0):
            raise OperationalError(f"database {self.alias!r} skipped: it did not answer a moment ago")
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        _armed = True
        signal.setitimer(signal.ITIMER_REAL, self.query_timeout)
        try:
            try:
                yield
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                _armed = False
                signal.signal(signal.SIGALRM, previous)
        except DeadlineExpired:
            # Workers that met the silence together would otherwise try again together, every one of them holding
            # a request for the whole deadline while learners queue; spread out, the others keep serving.
            pause = self.retry_after * random.uniform(1.0, 1.5)
            _unavailable_until[self.alias] = time.monotonic() + pause
            logger.warning(
                "database %r did not answer (%s) within %g s: connection closed, calls skipped for %.1f s",
                self.alias, what, self.query_timeout, pause,
            )  # fmt: skip
            self._discard()
            raise OperationalError(
                f"database {self.alias!r} did not answer ({what}) within {self.query_timeout:g} s"
            ) from None

    def _discard(self) -> None:
        """Close a connection left waiting for a reply: it cannot be used again."""
        if self.connection is None:
            return
        try:
            self.close()  # psycopg only sends Terminate, without waiting; in a transaction, Django rolls back
        except Exception:  # already broken: forget it all the same
            logger.debug("closing the abandoned connection failed", exc_info=True)
            self.connection = None


@contextmanager
def heavy_queries(using: str = "default"):
    """DatabaseWrapper.heavy_queries for `using`, or nothing on another backend (SQLite has no deadline)."""
    connection = connections[using]
    if not isinstance(connection, DatabaseWrapper):
        yield
        return
    connection.ensure_connection()
    with connection.heavy_queries():
        yield
