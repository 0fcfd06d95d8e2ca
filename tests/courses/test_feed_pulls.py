"""Feeds pulled from a partner's address: against HTTP servers these tests start, what a pull imports, what it
refuses, what it retires and what comes back (courses/feed_pulls.py)."""

import gzip
import json
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from courses import feed_pulls, search_engine, services
from courses.models import Click, Course, Feed, FeedPull, Offer, SearchChange
from guides.plans import create_plan
from tests.factories import (
    CareerFactory,
    ClickFactory,
    GuideSectionFactory,
    OfferFactory,
    PartnerFactory,
    PartnerManagerFactory,
)
from tests.feed_server import FeedServer, jsonl, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(settings, tmp_path):
    settings.FEED_ALLOW_PRIVATE_ADDRESSES = True  # the test's server is on 127.0.0.1
    settings.FEED_DOWNLOAD_DIR = tmp_path / "feed-downloads"
    settings.FEED_READ_TIMEOUT_SECONDS = 0.5
    feed_server = FeedServer()
    yield feed_server
    feed_server.close()


@pytest.fixture
def feed(server):
    return Feed.objects.create(name="Learn Example", source="learn-example", url=server.url)


def published_ids(feed):
    return set(Course.objects.filter(source=feed.source, published=True).values_list("external_id", flat=True))


def pull(feed) -> FeedPull:
    feed.refresh_from_db()
    return feed_pulls.pull_feed(feed)


# -- one pull ----------------------------------------------------------------------------------------------------


def test_a_pull_imports_the_feed_and_remembers_its_etag(server, feed):
    server.respond(jsonl(rows(3)), headers={"ETag": '"v1"', "Last-Modified": "Fri, 04 Dec 2026 10:00:00 GMT"})

    result = pull(feed)

    assert (result.status, result.http_status, result.created, result.rejected) == ("imported", 200, 3, 0)
    assert published_ids(feed) == {"item-0", "item-1", "item-2"}
    feed.refresh_from_db()
    assert (feed.etag, feed.last_modified) == ('"v1"', "Fri, 04 Dec 2026 10:00:00 GMT")
    assert feed.next_pull_at == result.started_at + timedelta(minutes=feed.every_minutes)
    assert "3 created" in feed.last_result
    assert Course.objects.filter(source=feed.source, feed_confirmed_at=result.started_at).count() == 3
    assert not list(feed_pulls.settings.FEED_DOWNLOAD_DIR.iterdir())  # the download is not kept


def test_a_feed_not_modified_since_the_last_pull_writes_nothing(server, feed):
    server.respond(jsonl(rows(3)), headers={"ETag": '"v1"'})
    pull(feed)
    before = list(Course.objects.values_list("pk", "updated_at", "feed_confirmed_at"))
    changes = SearchChange.objects.count()

    result = pull(feed)

    assert result.status == "not_modified"
    assert result.http_status == 304
    assert server.requests[-1]["If-None-Match"] == '"v1"'
    assert list(Course.objects.values_list("pk", "updated_at", "feed_confirmed_at")) == before
    assert SearchChange.objects.count() == changes


def test_a_gzipped_feed_is_unpacked_whether_the_server_says_so_or_not(server, feed):
    server.respond(gzip.compress(jsonl(rows(2))), headers={"Content-Encoding": "gzip"})
    assert pull(feed).created == 2
    server.respond(gzip.compress(jsonl(rows(2, start=2))), headers={"Content-Type": "application/gzip"})
    assert pull(feed).created == 2
    assert server.requests[0]["Accept-Encoding"] == "gzip"


def test_a_gzip_file_of_several_members_is_read_to_its_end(server, feed):
    server.respond(gzip.compress(jsonl(rows(2))) + gzip.compress(jsonl(rows(3, start=2))))  # as `cat a.gz b.gz`
    assert pull(feed).created == 5


def test_the_credentials_come_from_the_workers_environment_and_are_never_stored(server, feed, monkeypatch):
    monkeypatch.setenv("FEED_AUTH_LEARN_EXAMPLE", "Bearer s3cret")
    feed.credentials_env = "FEED_AUTH_LEARN_EXAMPLE"
    feed.save()
    server.respond(jsonl(rows(1)))

    pull(feed)

    assert server.requests[-1]["Authorization"] == "Bearer s3cret"
    stored = json.dumps(list(Feed.objects.values()), default=str) + json.dumps(
        list(FeedPull.objects.values()), default=str
    )
    assert "s3cret" not in stored


def test_only_feed_auth_variables_can_be_sent(server, feed, monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "the-site-key")
    feed.credentials_env = "DJANGO_SECRET_KEY"
    with pytest.raises(ValidationError, match="FEED_AUTH_"):
        feed.full_clean()
    feed.save()  # as if written past the form
    server.respond(jsonl(rows(1)))

    pull(feed)

    assert "Authorization" not in server.requests[-1]


def test_bad_rows_are_counted_and_the_rest_imports(server, feed):
    server.respond(jsonl(rows(2)) + b"{broken json\n" + jsonl([{"external_id": "no-title", "kind": "course"}]))
    result = pull(feed)
    assert (result.status, result.created, result.rejected) == ("imported", 2, 2)


# -- failures: nothing retired, the error kept, tried again later ------------------------------------------------


@pytest.mark.parametrize(
    ("respond", "error"),
    [
        ({"status": 500}, "HTTP 500"),
        ({"behaviour": "stall"}, "stopped sending"),
        ({"behaviour": "truncate"}, "broke off"),
        ({"headers": {"Content-Encoding": "gzip"}, "gzip_cut": True}, "gzip"),
    ],
    ids=["server error", "timeout", "truncated body", "truncated gzip"],
)
def test_a_failed_pull_retires_nothing_imports_nothing_and_is_retried_with_backoff(server, feed, respond, error):
    server.respond(jsonl(rows(5)), headers={"ETag": '"v1"'})
    pull(feed)
    smaller = jsonl(rows(2, start=100))  # were it applied: 2 new items, and the 5 above retired
    if respond.pop("gzip_cut", False):
        smaller = gzip.compress(smaller)[:-12]
    server.respond(smaller, **respond)

    first = pull(feed)

    assert first.status == "failed"
    assert error in first.error
    assert published_ids(feed) == {f"item-{n}" for n in range(5)}
    feed.refresh_from_db()
    assert feed.etag == '"v1"'
    assert feed.consecutive_failures == 1
    assert error in feed.last_result
    assert feed.next_pull_at == pytest.approx(first.finished_at + timedelta(minutes=5), abs=timedelta(seconds=1))

    second = pull(feed)
    feed.refresh_from_db()
    assert second.status == "failed"
    assert feed.consecutive_failures == 2
    assert feed.next_pull_at == pytest.approx(second.finished_at + timedelta(minutes=10), abs=timedelta(seconds=1))

    server.respond(jsonl(rows(5)), headers={"ETag": '"v2"'})
    assert pull(feed).status == "imported"
    feed.refresh_from_db()
    assert feed.consecutive_failures == 0


def test_a_feed_bigger_than_the_cap_fails(server, feed, settings):
    settings.FEED_MAX_BYTES = 1000
    server.respond(gzip.compress(jsonl(rows(50))), headers={"Content-Encoding": "gzip"})  # small packed, big unpacked
    result = pull(feed)
    assert result.status == "failed"
    assert "larger than 1,000 bytes" in result.error
    assert not Course.objects.exists()


def test_a_feed_on_a_private_address_is_refused_unless_allowed(server, feed, settings):
    settings.FEED_ALLOW_PRIVATE_ADDRESSES = False
    server.respond(jsonl(rows(1)))
    result = pull(feed)
    assert result.status == "failed"
    assert "private or local address" in result.error
    assert not server.requests


# -- full feeds retire what they drop ----------------------------------------------------------------------------


@pytest.fixture
def guide_and_plan(feed):
    """A guide section picking item-0, and a learner's plan made from it."""

    def make():
        picked = Course.objects.get(source=feed.source, external_id="item-0")
        section = GuideSectionFactory(career=CareerFactory(slug="back-end-engineer", name="Back End Engineer"))
        section.picks.add(picked)
        return section.career, create_plan(career=section.career)

    return make


def test_an_item_dropped_from_a_full_feed_is_retired_everywhere_and_returns_when_listed_again(
    server, feed, guide_and_plan, client
):
    server.respond(jsonl(rows(10, topics=["Python"])))
    pull(feed)
    gone = Course.objects.get(source=feed.source, external_id="item-0")
    offer = OfferFactory(course=gone, partner=PartnerFactory(allowed_hosts="learn.example.com"))
    ClickFactory(offer=offer)
    gone.seo_title = "An editor's title"
    gone.save()  # a version in its history
    career, plan = guide_and_plan()
    assert gone.pk in search_engine.ranked_ids("Feed course number 0")

    server.respond(jsonl(rows(9, start=1, topics=["Python"])))
    result = pull(feed)

    assert (result.status, result.retired) == ("imported", 1)
    gone.refresh_from_db()
    assert not gone.published
    assert gone.retired_at is not None
    page = client.get(gone.get_absolute_url())
    assert page.status_code == 410
    assert "no longer offered" in page.text
    assert "Instead, you could take" in page.text
    assert Course.objects.get(external_id="item-1").title in page.text  # an alternative
    assert gone.pk not in search_engine.ranked_ids("Feed course number 0")
    guide = client.get(career.get_absolute_url()).text
    assert "no longer offered" in guide
    assert f'href="{gone.get_absolute_url()}"' in guide
    assert "No longer offered" in client.get(plan.get_absolute_url()).text
    offer.refresh_from_db()
    assert not offer.active
    assert offer.paused_by_retirement
    assert client.get(offer.get_absolute_url()).status_code == 410  # its partner link says the offer ended

    server.respond(jsonl(rows(10, topics=["Python"])))
    back = pull(feed)

    assert (back.returned, back.retired) == (1, 0)
    returned = Course.objects.get(pk=gone.pk)
    assert returned.published
    assert returned.retired_at is None
    assert returned.slug == gone.slug
    assert client.get(returned.get_absolute_url()).status_code == 200
    assert gone.pk in search_engine.ranked_ids("Feed course number 0")
    offer.refresh_from_db()
    assert offer.active
    assert not offer.paused_by_retirement
    assert Click.objects.filter(offer=offer).count() == 1
    assert returned.history.first().seo_title == "An editor's title"


def test_retirement_leaves_an_item_an_editor_unpublished_and_an_offer_a_manager_switched_off(server, feed):
    server.respond(jsonl(rows(10)))
    pull(feed)
    Course.objects.filter(external_id="item-0").update(published=False)  # the editor's decision
    switched_off = OfferFactory(course=Course.objects.get(external_id="item-1"), active=False)

    server.respond(jsonl(rows(8, start=2)))
    assert pull(feed).retired == 1
    server.respond(jsonl(rows(10)))
    assert pull(feed).returned == 1

    assert not Course.objects.get(external_id="item-0").published
    switched_off.refresh_from_db()
    assert not switched_off.active


def test_a_rejected_row_that_names_its_item_does_not_retire_it(server, feed):
    server.respond(jsonl(rows(10)))
    pull(feed)
    broken = {"external_id": "item-0", "kind": "course", "title": "", "url": "https://learn.example.com/0"}
    server.respond(jsonl([broken, *rows(9, start=1)]))
    result = pull(feed)
    assert (result.rejected, result.retired) == (1, 0)
    assert "item-0" in published_ids(feed)


def test_a_shrunk_full_feed_is_held_until_a_partner_manager_confirms_it(server, feed, client):
    server.respond(jsonl(rows(10)))
    pull(feed)
    server.respond(jsonl(rows(7)))  # 3 of 10 gone: more than the 20 % a feed may shrink by unconfirmed

    held = pull(feed)

    assert (held.status, held.to_retire, held.live_before, held.retired) == ("held", 3, 10, 0)
    assert len(published_ids(feed)) == 10
    manager = PartnerManagerFactory()
    client.force_login(manager)
    changelist = reverse("admin:courses_feedpull_changelist")
    assert "3 of 10 live items wait to be retired" in client.get(changelist).text
    response = client.post(changelist, {"action": "confirm_retirement", "_selected_action": [held.pk]}, follow=True)

    assert "1 held pull(s) confirmed: 3 item(s) retired." in response.text
    assert published_ids(feed) == {f"item-{n}" for n in range(7)}
    held.refresh_from_db()
    assert (held.status, held.retired, held.confirmed_by) == ("confirmed", 3, manager)
    response = client.post(changelist, {"action": "confirm_retirement", "_selected_action": [held.pk]}, follow=True)
    assert "None of the selected pulls is held." in response.text  # a double submit retires nothing twice


def test_an_editor_cannot_confirm_a_held_pull(server, feed, editor_client):
    server.respond(jsonl(rows(10)))
    pull(feed)
    server.respond(b"")
    held = pull(feed)
    assert held.status == "held"  # an empty feed would retire everything
    response = editor_client.post(
        reverse("admin:courses_feedpull_changelist"), {"action": "confirm_retirement", "_selected_action": [held.pk]}
    )
    assert response.status_code == 403
    assert len(published_ids(feed)) == 10


# -- delta feeds -------------------------------------------------------------------------------------------------


def test_a_delta_feed_creates_updates_and_deletes_and_retires_nothing_it_does_not_name(server, feed):
    server.respond(jsonl(rows(5)))
    pull(feed)
    feed.mode = Feed.Mode.DELTA
    feed.save()
    changed = {**rows(1, start=1)[0], "title": "Feed course number 1, second edition"}
    server.respond(jsonl([changed, {"external_id": "item-2", "deleted": True}, *rows(1, start=9)]))

    result = pull(feed)

    assert (result.created, result.updated, result.deleted, result.retired) == (1, 1, 1, 0)
    assert published_ids(feed) == {"item-0", "item-1", "item-3", "item-4", "item-9"}
    assert Course.objects.get(external_id="item-1").title.endswith("second edition")
    assert Course.objects.get(external_id="item-2").retired_at is not None


def test_a_full_feed_refuses_deleted_rows(server, feed):
    server.respond(jsonl([*rows(2), {"external_id": "item-0", "deleted": True}]))
    result = pull(feed)
    assert (result.created, result.rejected, result.deleted) == (2, 1, 0)


# -- workers -----------------------------------------------------------------------------------------------------


def test_a_pull_cut_short_by_a_dying_worker_is_redone_by_the_next_without_duplicates_or_retirements(
    server, feed, monkeypatch
):
    server.respond(jsonl(rows(10)))
    pull(feed)
    server.respond(jsonl(rows(2500)), headers={"ETag": '"v2"'})  # three batches of the importer
    real_write = services._BatchImporter.write
    batches = []

    def die_after_the_first_batch(self, rows, **kwargs):
        if batches:
            raise SystemExit("killed")  # as a worker's death: not an error the pull could record
        batches.append(1)
        return real_write(self, rows, **kwargs)

    monkeypatch.setattr(services._BatchImporter, "write", die_after_the_first_batch)
    with pytest.raises(SystemExit):
        pull(feed)
    monkeypatch.undo()
    cut_short = FeedPull.objects.latest()
    assert cut_short.status == "running"
    assert Course.objects.filter(source=feed.source).count() == 1000  # the first batch committed
    assert len(published_ids(feed)) == 1000
    assert Feed.objects.get().etag == ""

    redone = pull(feed)

    assert (redone.status, redone.created, redone.retired) == ("imported", 1500, 0)
    assert Course.objects.filter(source=feed.source).count() == 2500
    cut_short.refresh_from_db()
    assert cut_short.status == "failed"
    assert "stopped before the pull ended" in cut_short.error


def test_only_due_feeds_are_pulled_and_each_on_its_own_period(server, feed):
    server.respond(jsonl(rows(1)))
    hourly = Feed.objects.create(name="Hourly", source="hourly", url=server.url, every_minutes=60)
    Feed.objects.create(name="Off", source="off", url=server.url, active=False)

    assert feed_pulls.pull_due_feeds() == {"imported": 2}
    assert feed_pulls.pull_due_feeds() == {}
    hourly.refresh_from_db()
    feed.refresh_from_db()
    assert hourly.next_pull_at - hourly.last_pull_at < timedelta(minutes=61)
    assert feed.next_pull_at - feed.last_pull_at > timedelta(hours=23)
    Feed.objects.filter(pk=hourly.pk).update(next_pull_at=timezone.now())
    assert feed_pulls.pull_due_feeds() == {"imported": 1}


def test_a_feed_being_pulled_by_another_process_is_skipped(server, feed):
    from careerguide.jobs import one_at_a_time

    held, release = threading.Event(), threading.Event()

    def another_process():  # a thread has a database connection of its own, as another process would
        with one_at_a_time(f"courses.feed:{feed.source}"):
            held.set()
            release.wait(10)
        connections.close_all()

    other = threading.Thread(target=another_process)
    other.start()
    try:
        assert held.wait(10)
        assert feed_pulls.pull_feed(feed) is None
    finally:
        release.set()
        other.join()
    assert not FeedPull.objects.exists()


# -- freshness ---------------------------------------------------------------------------------------------------


def test_a_course_page_says_when_its_feed_last_listed_it_and_when_its_link_was_checked(server, feed, client):
    server.respond(jsonl(rows(1)))
    pull(feed)
    course = Course.objects.get()
    Course.objects.filter(pk=course.pk).update(feed_confirmed_at=timezone.now() - timedelta(days=3))
    OfferFactory(course=course, last_checked_at=timezone.now() - timedelta(days=2))
    OfferFactory(course=course, last_checked_at=timezone.now() - timedelta(days=5))  # "Also available from"

    page = client.get(course.get_absolute_url()).text

    assert "Listed by its provider\N{RIGHT SINGLE QUOTATION MARK}s catalog" in page
    assert "3\xa0days ago" in page
    assert "Link checked" in page
    assert "2\xa0days ago" in page
    assert "link checked" in page
    assert "5\xa0days ago" in page


def test_the_admin_lists_items_no_feed_has_listed_for_30_days(server, feed, client):
    server.respond(jsonl(rows(2)))
    pull(feed)
    Course.objects.filter(external_id="item-0").update(feed_confirmed_at=timezone.now() - timedelta(days=31))
    client.force_login(PartnerManagerFactory())

    listed = client.get(reverse("admin:courses_course_changelist"), {"freshness": "unconfirmed"}).text

    assert "Feed course number 0" in listed
    assert "Feed course number 1" not in listed


def test_offers_of_retired_items_are_paused_not_deleted(server, feed):
    server.respond(jsonl(rows(5)))
    pull(feed)
    offers = [OfferFactory(course=course) for course in Course.objects.all()]
    server.respond(jsonl(rows(4, start=1)))
    pull(feed)
    assert Offer.objects.count() == len(offers)
    assert list(Offer.objects.filter(active=False).values_list("course__external_id", flat=True)) == ["item-0"]


def test_the_worker_job_pulls_what_is_due(server, feed):
    from courses.jobs import pull_feeds

    server.respond(jsonl(rows(2)))
    assert pull_feeds() == "Pulled feeds: 1 imported."
    assert pull_feeds() == "No feed was due."


# -- cached pages during an import -------------------------------------------------------------------------------


def page_version():
    from careerguide import cache_versions, page_cache

    return cache_versions.current(page_cache.VERSION_KEY)


def test_a_pull_that_changes_nothing_leaves_cached_pages_warm(server, feed):
    server.respond(jsonl(rows(2500)))
    pull(feed)
    before = page_version()

    assert pull(feed).unchanged == 2500

    assert page_version() == before


def test_pages_are_replaced_at_most_every_few_seconds_during_an_import_and_at_its_end(server, feed, monkeypatch):
    replaced = []
    monkeypatch.setattr(services, "catalog_changed", lambda: replaced.append(time.monotonic()))
    clock = iter(range(0, 1000, 2))  # each batch takes 2 s
    monkeypatch.setattr(services.time, "monotonic", lambda: next(clock))
    server.respond(jsonl(rows(10_500)))  # 11 batches in 22 s

    assert pull(feed).created == 10_500

    assert 3 <= len(replaced) <= 5  # every 5 s or so, and once at the end; not after each of the 11 batches


def test_an_interrupted_import_still_replaces_the_pages_for_what_it_committed(server, feed, monkeypatch):
    server.respond(jsonl(rows(10)))
    pull(feed)
    before = page_version()
    real_write = services._BatchImporter.write
    monkeypatch.setattr(
        services._BatchImporter,
        "write",
        lambda self, rows, **kwargs: real_write(self, rows, **kwargs) if len(rows) == 1000 else sys.exit("killed"),
    )
    server.respond(jsonl(rows(1500, start=10)))

    with pytest.raises(SystemExit):
        pull(feed)

    assert Course.objects.count() == 1010
    assert page_version() != before


def test_a_guide_section_whose_only_pick_was_retired_is_filled_by_its_topics_and_still_names_the_pick(client):
    from courses.services import retire_courses
    from tests.factories import CourseFactory, TopicFactory

    topic = TopicFactory(name="PostgreSQL")
    picked = CourseFactory(title="The retired pick", topics=[topic])
    CourseFactory(title="A PostgreSQL course still offered", topics=[topic])
    section = GuideSectionFactory(career=CareerFactory(slug="dba", name="Database Administrator"))
    section.topics.add(topic)
    section.picks.add(picked)
    retire_courses(Course.objects.filter(pk=picked.pk))

    page = client.get(section.career.get_absolute_url()).text

    assert "A PostgreSQL course still offered" in page
    assert 'The retired pick <span class="muted">· no longer offered</span>' in page
    assert "1 item" in page  # the totals count what is offered
