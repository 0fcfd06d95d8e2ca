"""A PostgreSQL that stops answering without refusing: learners still get an answer, and no click is lost.

The database is reached through a relay in the test that can freeze: it stops reading and forwarding while
keeping every socket open, so the kernel still accepts connections and acknowledges what is sent (as with a
hung server or a stuck proxy): TCP keepalives and tcp_user_timeout never fire. Before each test the
connection is reopened through the relay. A watchdog thaws the relay after WATCHDOG seconds, so a request
that waits for the database ends anyway, and the test fails on the watchdog. No timings are asserted: the
time a learner waits is measured by bench/clicks.py.
"""

import os
import socket
import threading
from contextlib import contextmanager, suppress
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.signals import request_finished, request_started
from django.db import OperationalError, connection

from careerguide.database import base as bounded_database
from courses.models import Click
from tests.factories import CourseFactory, OfferFactory, PartnerFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: it freezes a network connection to the server, which SQLite does not have",
    ),
    pytest.mark.django_db(transaction=True),  # the connection is reopened, and autocommit is production's mode
]
WATCHDOG = 10.0
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36"


class FreezingRelay:
    """A threaded TCP relay to PostgreSQL; freeze() stops it reading and forwarding, with every socket kept."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.thawed = threading.Event()
        self.thawed.set()
        self.sockets: list[socket.socket] = []
        # Any free port, unless TEST_RELAY_PORT names one (machines where tests may only listen on given ports).
        self.listener = socket.create_server(("127.0.0.1", int(os.environ.get("TEST_RELAY_PORT", 0))))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self.thawed.clear()

    def thaw(self) -> None:
        self.thawed.set()

    def close(self) -> None:
        self.thaw()
        for sock in [self.listener, *self.sockets]:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in accept() or recv() on it
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            for source, target in [(client, server), (server, client)]:
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while self.thawed.wait() and (data := source.recv(65536)):
                self.thawed.wait()  # what was read as it froze is held back too
                target.sendall(data)
        except OSError:
            pass
        finally:
            target.close()


@pytest.fixture
def relay(monkeypatch):
    """Django's connection reopened through a FreezingRelay to the test database; the bounds' state reset."""
    settings_dict = connection.settings_dict
    relay = FreezingRelay((settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432)))
    connection.close()
    monkeypatch.setitem(settings_dict, "HOST", "127.0.0.1")
    monkeypatch.setitem(settings_dict, "PORT", str(relay.port))
    bounded_database.forget_failures()
    yield relay
    relay.thaw()
    connection.close()
    monkeypatch.undo()
    relay.close()
    bounded_database.forget_failures()


@contextmanager
def watchdog(relay):
    """Yields an Event set if the block was still waiting after WATCHDOG seconds (then the relay is thawed)."""
    fired = threading.Event()
    timer = threading.Timer(WATCHDOG, lambda: (fired.set(), relay.thaw()))
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


def go(client, offer):
    return client.get(offer.get_absolute_url(), headers={"User-Agent": BROWSER})


def click_id(response) -> str:
    return parse_qs(urlsplit(response["Location"]).query)["sub"][0]


def test_a_learner_gets_cached_pages_while_the_database_is_frozen(client, relay):
    cached, other = CourseFactory(title="Cached Course"), CourseFactory(title="Other Course")
    assert client.get(cached.get_absolute_url()).status_code == 200  # now in the page cache
    client.raise_request_exception = False
    relay.freeze()

    with watchdog(relay) as fired:
        client.get(other.get_absolute_url())  # this worker first meets the frozen database
        response = client.get(cached.get_absolute_url())

    assert not fired.is_set(), "a request waited for the frozen database until the watchdog thawed it"
    assert response.status_code == 200
    assert b"Cached Course" in response.content


def test_an_uncached_page_answers_the_error_page_while_the_database_is_frozen(client, relay):
    course = CourseFactory(title="Uncached Course")
    assert client.get("/healthz").status_code == 200  # the connection through the relay is open
    client.raise_request_exception = False
    relay.freeze()

    with watchdog(relay) as fired:
        response = client.get(course.get_absolute_url())

    assert not fired.is_set(), "the request waited for the frozen database until the watchdog thawed it"
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


def test_go_redirects_and_spools_while_the_database_is_frozen_then_nothing_is_lost(client, relay, click_spool):
    partner = PartnerFactory(allowed_hosts="learn.example.com", tag_parameters="sub={click_id}")
    offer = OfferFactory(partner=partner, url="https://learn.example.com/course")
    sent = [click_id(go(client, offer))]  # the offer is read once, and its copy cached
    relay.freeze()

    with watchdog(relay) as fired:
        frozen_answers = [go(client, offer)]  # meets the silent connection
        bounded_database.forget_failures()  # as when the breaker's pause has passed, the database still frozen
        frozen_answers.append(go(client, offer))  # opens a new connection into the frozen relay
        frozen_answers.append(go(client, offer))  # the breaker is open: no wait at all

    assert not fired.is_set(), "a click waited for the frozen database until the watchdog thawed it"
    assert [answer.status_code for answer in frozen_answers] == [302, 302, 302]
    sent += [click_id(answer) for answer in frozen_answers]
    assert sum(len(path.read_text().splitlines()) for path in click_spool.glob("*.jsonl")) == 3

    relay.thaw()
    bounded_database.forget_failures()
    sent.append(click_id(go(client, offer)))  # reaches the database and replays the spool

    assert sorted(str(uuid) for uuid in Click.objects.values_list("click_id", flat=True)) == sorted(sent)
    assert list(click_spool.glob("*.jsonl")) == []


@contextmanager
def serving_a_request():
    request_started.send(sender=None, environ={})
    try:
        yield
    finally:
        request_finished.send(sender=None)


def test_only_web_requests_are_cut_short_never_a_long_command(monkeypatch):
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "query_timeout", 0.2)
    bounded_database.forget_failures()

    with connection.cursor() as cursor:  # a command, an import, a migration: no request is being served
        cursor.execute("SELECT pg_sleep(0.5)")
        with serving_a_request(), pytest.raises(OperationalError, match="did not answer"):
            cursor.execute("SELECT pg_sleep(0.5)")

    bounded_database.forget_failures()
    connection.close()


def test_known_heavy_statements_may_take_longer_within_a_request(monkeypatch):
    """A broad search's facet counts or a guide's ranking at 150,000 items take over a second; they are cached
    afterwards, so they get the longer heavy_query_timeout, and every other statement keeps the short one.
    """
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "query_timeout", 0.2)
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "heavy_query_timeout", 2)
    bounded_database.forget_failures()
    connection.close()

    with serving_a_request():
        with bounded_database.heavy_queries(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.5)")  # longer than the query timeout: allowed here
        with connection.cursor() as cursor, pytest.raises(OperationalError):
            cursor.execute("SELECT pg_sleep(0.5)")  # and cut again after

    bounded_database.forget_failures()
    connection.close()
