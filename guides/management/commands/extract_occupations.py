import csv
import gzip
import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from guides import onet
from guides.services import onet_release

DEFAULT_OUTPUT = Path(__file__).resolve().parents[2] / "demo" / "occupations"
ATTRIBUTION = """\
# Occupation data of the demo

Made by `manage.py extract_occupations` from the published files; `manage.py load_demo` imports them with
`import_occupations`, which reads these files as it reads the originals (same names and formats, gzip-compressed,
only the columns the site uses). Facts and figures only: O*NET's occupation descriptions are left out.

- This site includes information from the O*NET {release} Database by the U.S. Department of Labor, Employment
  and Training Administration (USDOL/ETA). Used under the CC BY 4.0 license
  (https://creativecommons.org/licenses/by/4.0/). O*NET® is a trademark of USDOL/ETA. careerguide selected
  columns (no occupation descriptions) and combined the figures with BLS projections.
- Employment projections {projection} and median annual wages ({wage_year}): U.S. Bureau of Labor Statistics,
  Employment Projections program, occupation table 1.2 (https://www.bls.gov/emp/). Public domain; cited.
"""


class Command(BaseCommand):
    help = "Write the compact O*NET and BLS extract that load_demo imports (guides/demo/occupations/)."

    def add_arguments(self, parser):
        parser.add_argument("--onet", type=Path, required=True, help="Directory of the O*NET database text files.")
        parser.add_argument("--bls", type=Path, required=True, help="BLS projections occupation table (CSV).")
        parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)

    def handle(self, *, output: Path, **options):
        onet_dir, bls = options["onet"], options["bls"]
        try:
            release, columns = onet.read_bls_header(bls)
            sources = {kind: onet.onet_path(onet_dir, kind) for kind in onet.ONET_FILES}
        except onet.FormatError as error:
            raise CommandError(str(error)) from None
        output.mkdir(parents=True, exist_ok=True)
        for kind, source in sources.items():
            _extract(source, output / f"{onet.ONET_FILES[kind]}.gz", onet.ONET_COLUMNS[kind], delimiter="\t")
        _extract(bls, output / f"{bls.name}.gz", list(columns.values()), delimiter=",")
        version = onet_release(onet_dir)
        (output / "Read Me.txt").write_text(f"O*NET {version} Database (extract)\n")
        (output / "README.md").write_text(
            ATTRIBUTION.format(release=version, projection=release.projection, wage_year=release.wage_year)
        )
        self.stdout.write(f"Wrote the extract to {output}")


def _extract(source: Path, target: Path, columns: list[str], *, delimiter: str) -> None:
    """`source` with only `columns`, gzip-compressed without a name or time, so a re-run writes the same bytes."""
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    with (
        source.open(newline="", encoding="utf-8-sig") as text,
        target.open("wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as compressed,
    ):
        out = io.TextIOWrapper(compressed, encoding="utf-8", newline="")
        reader = csv.reader(text, delimiter=delimiter, quoting=quoting)
        writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator="\r\n", escapechar="\\")
        header = next(reader)
        wanted = [header.index(column) for column in columns]
        writer.writerow(columns)
        for fields in reader:
            writer.writerow([fields[index] if index < len(fields) else "" for index in wanted])
        out.flush()
        out.detach()
