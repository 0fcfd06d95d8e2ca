from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from guides.onet import FormatError
from guides.services import import_occupations


class Command(BaseCommand):
    help = (
        "Import O*NET occupations (the database's text files) and BLS employment projections (the occupation "
        "table as CSV). Safe to run again: only differences are written."
    )

    def add_arguments(self, parser):
        parser.add_argument("--onet", type=Path, required=True, help="Directory of the O*NET database text files.")
        parser.add_argument("--bls", type=Path, required=True, help="BLS projections occupation table (CSV).")

    def handle(self, *, onet, bls, **options):
        if not onet.is_dir():
            raise CommandError(f"No such directory: {onet}")
        if not bls.is_file():
            raise CommandError(f"No such file: {bls}")

        def report_rejected(rejected):
            where = f"{rejected.file} line {rejected.line}" if rejected.line else rejected.file
            self.stderr.write(f"{where}: rejected: {rejected.reason}")

        try:
            result = import_occupations(onet_dir=onet, bls_file=bls, on_rejected=report_rejected)
        except FormatError as error:
            raise CommandError(str(error)) from None
        for table, count in result.counts.items():
            parts = [f"{count[name]} {name}" for name in ("created", "updated", "deleted", "unchanged", "kept")]
            self.stdout.write(f"{table}: " + (", ".join(part for part in parts if not part.startswith("0 ")) or "none"))
        self.stdout.write(f"{result.rejected} line(s) rejected" if result.rejected else "No line rejected.")
        self.stdout.write("Changed." if result.changed() else "Nothing changed.")
