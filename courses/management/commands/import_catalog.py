import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.feed import read_feed
from courses.services import import_catalog


class Command(BaseCommand):
    help = "Import courses and books from a JSON Lines or CSV feed (docs/feed-format.md). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=["jsonl", "csv"], help="Default: from the file name's ending.")
        parser.add_argument("--source", default="feed", help="Names the feed; ids are unique within it.")
        parser.add_argument("--dry-run", action="store_true", help="Check and count everything, then roll back.")
        parser.add_argument("--delta", action="store_true", help="A delta feed: rows marked deleted retire items.")

    def handle(self, *, path, format, source, dry_run, delta, **options):
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        format = format or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
        size = path.stat().st_size or 1
        show_progress = self.stderr.isatty()

        with path.open("rb") as stream:

            def report_rejected(row):
                self.stderr.write(f"line {row.line}: rejected: {row.reason}")

            def report_progress(totals):
                if show_progress:
                    done = sum(totals.values())
                    percent = min(100, stream.tell() * 100 // size)
                    bar = "#" * (percent // 4)
                    sys.stderr.write(f"\r[{bar:<25}] {percent:3d}%  {done:,} rows")
                    sys.stderr.flush()

            totals = import_catalog(
                rows=read_feed(stream, format=format, deletes=delta),
                source=source,
                dry_run=dry_run,
                on_rejected=report_rejected,
                on_batch=report_progress,
            )
        if show_progress:
            sys.stderr.write("\n")
        prefix = "Dry run (nothing saved): " if dry_run else ""
        self.stdout.write(
            f"{prefix}{totals['created']} created, {totals['updated']} updated, "
            f"{totals['unchanged']} unchanged, {totals['rejected']} rejected"
            + "".join(f", {totals[name]} {name}" for name in ("returned", "deleted") if totals[name])
        )
