"""The catalog's background jobs and their periods (careerguide.jobs runs them on the task queue)."""

from collections import Counter

from careerguide.jobs import Every, job
from courses import feed_pulls, search_index
from courses.links import check_offers
from courses.models import Offer
from courses.tracking import ClickSpool

DAY = 24 * 60

SCHEDULES = [
    # Each feed has its own period (Feed.every_minutes); this job pulls those whose time has come.
    Every("Pull the catalog feeds that are due", "courses.jobs.pull_feeds", minutes=1),
    Every("Record spooled partner clicks", "courses.jobs.replay_clicks", minutes=1),
    Every("Check partner links", "courses.jobs.check_links", minutes=DAY),
    Every("Check the search index against the database", "courses.jobs.check_search_index", minutes=60),
]


@job
def replay_clicks() -> str:
    """Clicks spooled to disk while the database was away are recorded (as `manage.py replay_clicks`)."""
    return f"Recorded {ClickSpool().replay()} spooled click(s)."


@job
def check_links() -> str:
    """Every live offer's link is checked; one that fails several checks in a row is deactivated (as
    `manage.py check_links`)."""
    results = check_offers(Offer.objects.live().select_related("course", "partner").order_by("pk"))
    counts = Counter(str(result.outcome) for result in results)
    outcomes = ", ".join(f"{count} {name}" for name, count in sorted(counts.items()))
    return f"Checked {len(results)} link(s)" + (f": {outcomes}." if outcomes else ".")


@job
def check_search_index() -> str:
    """This host's search index applies every pending change; if it then still disagrees with the database on how
    many items are published, it is built again. Change-log entries older than a week are forgotten."""
    search_index.live().catch_up()  # applies what the change log holds
    status = search_index.status()
    rebuilt = ""
    if status["changes_behind"] == 0 and status["documents_in_index"] != status["published_in_database"]:
        rebuilt = f"rebuilt ({status['documents_in_index']} documents for {status['published_in_database']} items): "
        search_index.build()  # beside the live one, then switched to: searches keep answering
    pruned = search_index.prune_changes()
    return f"Search index {rebuilt or 'current: '}{status['published_in_database']} items; {pruned} old changes pruned."


@job
def pull_feeds() -> str:
    """Every catalog feed that is due is pulled and applied (as `manage.py pull_feeds`); each pull's record is in
    the admin under Feeds. The sitemap and every cached page follow, as after any catalog change."""
    outcomes = feed_pulls.pull_due_feeds()
    if not outcomes:
        return "No feed was due."
    return "Pulled feeds: " + ", ".join(f"{count} {status}" for status, count in sorted(outcomes.items())) + "."
