from django.core.management.base import BaseCommand, CommandError

from courses.feed_pulls import pull_feed
from courses.models import Feed


class Command(BaseCommand):
    help = (
        "Pull catalog feeds now (the worker pulls each on its own schedule): the ones due, or those named. "
        "Safe to run beside the worker: a feed being pulled already is skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("sources", nargs="*", help="Feeds by source; default: every active feed that is due.")
        parser.add_argument("--force", action="store_true", help="Download in full, ignoring ETag and Last-Modified.")

    def handle(self, *, sources, force, **options):
        feeds = Feed.objects.filter(source__in=sources) if sources else Feed.objects.due()
        missing = set(sources) - {feed.source for feed in feeds}
        if missing:
            raise CommandError(f"No feed with the source {', '.join(sorted(missing))}")
        failed = False
        for feed in feeds.order_by("pk"):
            pull = pull_feed(feed, conditional=not force)
            if pull is None:
                self.stdout.write(f"{feed.source}: skipped, another process is pulling it")
                continue
            failed |= pull.status == pull.Status.FAILED
            self.stdout.write(f"{feed.source}: {pull.summary()}")
        if not feeds:
            self.stdout.write("No feed is due.")
        if failed:
            raise CommandError("A feed failed; its record is in the admin under Feeds.")
