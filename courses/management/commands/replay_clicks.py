from django.core.management.base import BaseCommand

from courses.tracking import ClickSpool


class Command(BaseCommand):
    help = "Record the partner-link clicks spooled while the database was away. Safe to run any time, and twice."

    def handle(self, *args, **options):
        inserted = ClickSpool().replay()
        self.stdout.write(f"Recorded {inserted} spooled click(s).")
