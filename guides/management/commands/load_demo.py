import tomllib
from pathlib import Path

from django.core.management.base import BaseCommand

from courses.services import load_demo_catalog
from guides.models import Occupation
from guides.services import import_occupations, load_guide

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
OCCUPATIONS_DIR = DEMO_DIR / "occupations"  # written by `manage.py extract_occupations`


class Command(BaseCommand):
    help = (
        "Load the demo catalog, the O*NET and BLS occupations and the Back End Engineer guide. "
        "Safe to run again: it only adds what is missing."
    )

    def handle(self, **options):
        topics_created, totals = load_demo_catalog()
        self.stdout.write(
            f"Demo catalog: {topics_created} topic(s) added; {totals['created']} created, {totals['updated']} updated, "
            f"{totals['unchanged']} unchanged, {totals['rejected']} rejected"
        )
        # Only into an empty table: an editor's import of a newer release is never rolled back to the demo's.
        if not Occupation.objects.exists():
            result = import_occupations(
                onet_dir=OCCUPATIONS_DIR,
                bls_file=OCCUPATIONS_DIR / "occupation-table-1.2.csv.gz",
                on_rejected=lambda rejected: self.stderr.write(
                    f"{rejected.file} line {rejected.line}: {rejected.reason}"
                ),
            )
            self.stdout.write(f"Demo occupations: {result.counts['occupations']['created']} added")
        for path in sorted(DEMO_DIR.glob("*.toml")):
            with path.open("rb") as file:
                career, created = load_guide(data=tomllib.load(file))
            self.stdout.write(f"{career.name}: {created} section(s) added, guide at {career.get_absolute_url()}")
