import io
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from courses.models import Offer
from courses.models.partners import BROKEN_AFTER_FAILURES
from tests.factories import OfferFactory, PartnerFactory

pytestmark = pytest.mark.django_db

DELAYS = {"/slow": 1.5, "/hang": 3}
REDIRECTS = {"/moved": "/ok", "/loop": "/loop"}


class PartnerPages(BaseHTTPRequestHandler):
    def do_HEAD(self):
        self.answer()

    def do_GET(self):
        self.answer()

    def answer(self):
        self.server.requests.append((self.command, self.path))
        time.sleep(DELAYS.get(self.path, 0))
        refused = self.command == "HEAD" and self.path == "/no-head"
        status = 405 if refused else self.server.statuses.get(self.path, 404)
        self.send_response(status)
        if self.path in REDIRECTS:
            self.send_header("Location", REDIRECTS[self.path])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass


class PartnerSite(ThreadingHTTPServer):
    """A partner's web server on a free local port, logging each request as (method, path)."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), PartnerPages)
        self.requests = []
        self.statuses = {
            "/ok": 200, "/gone": 404, "/error": 500, "/slow": 200, "/hang": 200, "/no-head": 200,
            "/flaky": 500, "/forbidden": 403, "/moved": 301, "/loop": 302,
        }  # fmt: skip

    def url(self, path):
        return f"http://127.0.0.1:{self.server_port}{path}"

    def handle_error(self, request, client_address):
        pass  # the checker hangs up on /hang on purpose; the broken pipe that follows is expected


@pytest.fixture
def site():
    server = PartnerSite()
    # A short poll interval: shutdown() waits for the next poll, half a second by default, in every test.
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def partner():
    return PartnerFactory(allowed_hosts="127.0.0.1")


def check_links(**options):
    options.setdefault("timeout", 2)
    output = io.StringIO()
    call_command("check_links", stdout=output, **options)
    return output.getvalue()


def test_dead_offer_is_deactivated_on_the_third_failed_check_not_before(site, partner):
    offer = OfferFactory(partner=partner, url=site.url("/gone"))

    for failures in (1, 2):
        check_links()
        offer.refresh_from_db()
        assert (offer.active, offer.consecutive_failures, offer.last_status) == (True, failures, 404)
        assert offer.last_checked_at is not None

    check_links()
    offer.refresh_from_db()
    assert not offer.active
    assert offer.consecutive_failures == 3
    assert list(Offer.objects.broken()) == [offer]  # what the admin's "Broken links" filter shows


def test_a_success_between_failures_starts_the_count_again(site, partner):
    offer = OfferFactory(partner=partner, url=site.url("/flaky"))
    check_links()
    check_links()
    site.statuses["/flaky"] = 200
    check_links()
    offer.refresh_from_db()
    assert (offer.active, offer.consecutive_failures, offer.last_status) == (True, 0, 200)

    site.statuses["/flaky"] = 500
    check_links()
    offer.refresh_from_db()
    assert (offer.active, offer.consecutive_failures, offer.last_status) == (True, 1, 500)


def test_slow_but_alive_offer_stays_active(site, partner):
    offer = OfferFactory(
        partner=partner, url=site.url("/slow"), consecutive_failures=BROKEN_AFTER_FAILURES - 1
    )  # one more failure would switch it off

    check_links(timeout=5)

    offer.refresh_from_db()
    assert (offer.active, offer.consecutive_failures, offer.last_status) == (True, 0, 200)


def test_offer_that_answers_too_late_counts_as_a_failure(site, partner):
    offer = OfferFactory(partner=partner, url=site.url("/hang"))

    check_links(timeout=0.5)

    offer.refresh_from_db()
    assert (offer.active, offer.consecutive_failures, offer.last_status) == (True, 1, None)
    assert offer.last_error == "no answer within 0.5 s"


def test_offer_whose_server_refuses_head_is_checked_with_get(site, partner):
    offer = OfferFactory(partner=partner, url=site.url("/no-head"))

    check_links()

    offer.refresh_from_db()
    assert (offer.active, offer.consecutive_failures, offer.last_status) == (True, 0, 200)
    assert site.requests == [("HEAD", "/no-head"), ("GET", "/no-head")]


@pytest.mark.parametrize(("path", "status"), [("/gone", 404), ("/error", 500), ("/loop", None)])
def test_missing_page_server_error_and_redirect_loop_count_as_failures(site, partner, path, status):
    offer = OfferFactory(partner=partner, url=site.url(path))

    check_links()

    offer.refresh_from_db()
    assert (offer.consecutive_failures, offer.last_status) == (1, status)


def test_offer_that_moved_is_healthy(site, partner):
    offer = OfferFactory(partner=partner, url=site.url("/moved"))

    check_links()

    offer.refresh_from_db()
    assert (offer.active, offer.consecutive_failures, offer.last_status) == (True, 0, 200)
    assert site.requests == [("HEAD", "/moved"), ("HEAD", "/ok")]


def test_forbidden_answer_is_recorded_but_not_counted_either_way(site, partner):
    offer = OfferFactory(partner=partner, url=site.url("/forbidden"), consecutive_failures=1)

    output = check_links()

    offer.refresh_from_db()
    assert (offer.active, offer.consecutive_failures, offer.last_status) == (True, 1, 403)
    assert "inconclusive" in output


def test_unreachable_port_counts_as_a_failure(partner):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused, and the port stays ours
        offer = OfferFactory(partner=partner, url=f"http://127.0.0.1:{closed.getsockname()[1]}/")

        check_links()

    offer.refresh_from_db()
    assert (offer.active, offer.consecutive_failures, offer.last_status) == (True, 1, None)
    assert offer.last_error == "Connection refused"


def test_partner_option_checks_only_that_partners_offers(site, partner):
    ours = OfferFactory(partner=partner, url=site.url("/ok"))
    other_partner = PartnerFactory(slug="other", allowed_hosts="127.0.0.1")
    theirs = OfferFactory(partner=other_partner, url=site.url("/gone"))

    output = check_links(partner=partner.slug)

    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.last_checked_at is not None
    assert theirs.last_checked_at is None
    assert "Checked 1 link: 1 ok" in output


def test_unknown_partner_is_an_error():
    with pytest.raises(CommandError, match="No partner with the slug “nobody”"):
        check_links(partner="nobody")


def test_offers_learners_cannot_reach_are_not_checked(site, partner):
    live = OfferFactory(partner=partner, url=site.url("/ok"))
    switched_off = OfferFactory(partner=partner, url=site.url("/gone"), active=False)
    of_inactive_partner = OfferFactory(
        partner=PartnerFactory(allowed_hosts="127.0.0.1", active=False), url=site.url("/error")
    )

    check_links()

    for offer in (live, switched_off, of_inactive_partner):
        offer.refresh_from_db()
    assert live.last_checked_at is not None
    assert switched_off.last_checked_at is None
    assert of_inactive_partner.last_checked_at is None
    assert site.requests == [("HEAD", "/ok")]


def test_report_lists_each_problem_offer_and_a_summary(site, partner):
    healthy = OfferFactory(partner=partner, url=site.url("/ok"))
    dead = OfferFactory(partner=partner, url=site.url("/gone"), consecutive_failures=BROKEN_AFTER_FAILURES - 1)
    failing = OfferFactory(partner=partner, url=site.url("/error"))

    output = check_links()

    assert f"deactivated: {dead} <{dead.url}>: HTTP 404, failure 3 of 3\n" in output
    assert f"failing: {failing} <{failing.url}>: HTTP 500, failure 1 of 3\n" in output
    assert healthy.url not in output
    assert output.endswith("Checked 3 links: 1 ok, 1 failing, 1 deactivated, 0 inconclusive.\n")


def test_a_deactivated_offer_stops_redirecting_at_once(client, site, partner):
    offer = OfferFactory(partner=partner, url=site.url("/gone"))
    assert client.get(offer.get_absolute_url()).status_code == 302  # the redirect now caches the offer

    for _ in range(3):
        check_links()

    assert client.get(offer.get_absolute_url()).status_code == 410
