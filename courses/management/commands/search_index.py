import time

from django.core.management.base import BaseCommand

from courses import search_index


class Command(BaseCommand):
    help = (
        "The catalog's search index on this host. `rebuild` builds a new one from the database beside the live one "
        "and switches to it atomically (searches keep answering meanwhile); `status` compares it with the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "status"])

    def handle(self, *, action, **options):
        if action == "rebuild":
            started = time.perf_counter()
            generation = search_index.build()
            pruned = search_index.prune_changes()
            self.stdout.write(
                f"Built {generation.name} in {time.perf_counter() - started:.1f} s; "
                f"{pruned} old change-log entries removed."
            )
        for key, value in search_index.status().items():
            self.stdout.write(f"{key}: {value}")
