import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from guides.plans import remove_stale_plans


class Command(BaseCommand):
    help = "Delete learning plans nobody has changed for DAYS days (default 365): the issue's 12 months."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=365)

    def handle(self, *, days, **options):
        if days < 30:
            raise CommandError("--days must be at least 30: a plan is only stale after months without changes.")
        removed = remove_stale_plans(untouched_for=dt.timedelta(days=days))
        self.stdout.write(f"Removed {removed} learning plan{'' if removed == 1 else 's'} untouched for {days} days.")
