import tomllib
from pathlib import Path

from django.core.management.base import BaseCommand

from courses.services import load_demo_catalog
from guides.services import load_guide

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"


class Command(BaseCommand):
    help = "Load the demo catalog and the Back End Engineer guide. Safe to run again: it only adds what is missing."

    def handle(self, **options):
        topics_created, totals = load_demo_catalog()
        self.stdout.write(
            f"Demo catalog: {topics_created} topic(s) added; {totals['created']} created, {totals['updated']} updated, "
            f"{totals['unchanged']} unchanged, {totals['rejected']} rejected"
        )
        for path in sorted(DEMO_DIR.glob("*.toml")):
            with path.open("rb") as file:
                career, created = load_guide(data=tomllib.load(file))
            self.stdout.write(f"{career.name}: {created} section(s) added, guide at {career.get_absolute_url()}")
