"""Readers of the O*NET database text files and the BLS projections table, in their published formats.

They touch no database: each yields one parsed row per good line, or a Rejected with the line number and the
reason, so the importer can report bad lines and load the rest. Columns are found by their header names, so
a file with only the columns we read (the committed demo extract) reads the same way, and a file may be
gzip-compressed (`.txt.gz`, `.csv.gz`). O*NET's prose columns (descriptions) are never read.
"""

import csv
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from guides.models import Education, RelatedOccupation

ONET_FILES = {
    "occupations": "Occupation Data.txt",
    "titles": "Alternate Titles.txt",
    "job_zones": "Job Zones.txt",
    "interests": "Interests.txt",
    "related": "Related Occupations.txt",
    "technology": "Technology Skills.txt",
}
ONET_COLUMNS = {
    "occupations": ["O*NET-SOC Code", "Title"],
    "titles": ["O*NET-SOC Code", "Alternate Title"],
    "job_zones": ["O*NET-SOC Code", "Job Zone"],
    "interests": ["O*NET-SOC Code", "Element ID", "Scale ID", "Data Value"],
    "related": ["O*NET-SOC Code", "Related O*NET-SOC Code", "Relatedness Tier", "Index"],
    "technology": ["O*NET-SOC Code", "Example", "Commodity Title", "Hot Technology", "In Demand"],
}
CODE = re.compile(r"^\d{2}-\d{4}\.\d{2}$")
SOC = re.compile(r"^\d{2}-\d{4}$")
# Interests.txt: the six OI scores (1 to 7), then the three high-point codes (IH: 1 to 6 name an interest, 0 none).
INTEREST_SCORES = {"1.B.1.a": "R", "1.B.1.b": "I", "1.B.1.c": "A", "1.B.1.d": "S", "1.B.1.e": "E", "1.B.1.f": "C"}
HIGH_POINTS = {"1.B.1.g": 0, "1.B.1.h": 1, "1.B.1.i": 2}
RIASEC = "RIASEC"
MISSING = {"—", "-", "–", "", "n/a"}  # noqa: RUF001 (BLS writes an em dash; some converters a hyphen or en dash)
EDUCATION = {label: value for value, label in Education.choices}
MAX_LINE = 10_000  # characters; a longer line is a broken file, not a title


class FormatError(Exception):
    """A file that is not the format it should be (missing, or without the columns we read)."""


@dataclass(frozen=True)
class Rejected:
    file: str
    line: int
    reason: str


def onet_path(directory: Path, kind: str) -> Path:
    name = ONET_FILES[kind]
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise FormatError(f"{directory}: no {name!r}")


def _open_text(path: Path):
    binary = gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")  # noqa: SIM115 (closed with the wrapper)
    # O*NET's files are UTF-8 (plain ASCII so far); a BOM from a spreadsheet export is tolerated.
    # Undecodable bytes become U+FFFD, and their line is rejected, rather than ending the read.
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="")


def _rows(path: Path, columns: list[str], *, delimiter: str) -> Iterator[tuple[int, dict | Rejected]]:
    """(line number, {column: value}) per data line, or a Rejected; streaming, one line at a time."""
    with _open_text(path) as text:
        reader = csv.reader(text, delimiter=delimiter, quoting=csv.QUOTE_NONE if delimiter == "\t" else 0)
        try:
            header = next(reader)
        except (StopIteration, UnicodeDecodeError, csv.Error) as error:
            raise FormatError(f"{path.name}: no header row ({error or 'empty file'})") from None
        missing = [column for column in columns if column not in header]
        if missing:
            raise FormatError(f"{path.name}: the header has no {', '.join(map(repr, missing))} column")
        index = {column: header.index(column) for column in columns}
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield reader.line_num, Rejected(path.name, reader.line_num, f"unreadable line ({error})")
                continue
            line = reader.line_num
            if not fields or fields == [""]:
                continue
            if any(len(field) > MAX_LINE or "\x00" in field or "\ufffd" in field for field in fields):
                yield line, Rejected(path.name, line, "not UTF-8, a NUL byte or an over-long value")
            elif len(fields) < len(header):
                yield line, Rejected(path.name, line, f"{len(fields)} fields, expected {len(header)}")
            else:
                yield line, {column: fields[position].strip() for column, position in index.items()}


def _onet_rows(directory: Path, kind: str):
    path = onet_path(directory, kind)
    for line, row in _rows(path, ONET_COLUMNS[kind], delimiter="\t"):
        if isinstance(row, Rejected):
            yield row
        elif not CODE.match(row["O*NET-SOC Code"]):
            yield Rejected(path.name, line, f"bad O*NET-SOC code {row['O*NET-SOC Code'][:40]!r}")
        else:
            yield line, path.name, row


def read_occupations(directory: Path):
    """(code, title) per occupation."""
    for item in _onet_rows(directory, "occupations"):
        if isinstance(item, Rejected):
            yield item
            continue
        line, name, row = item
        if not row["Title"] or len(row["Title"]) > 150:
            yield Rejected(name, line, "no title, or longer than 150 characters")
        else:
            yield row["O*NET-SOC Code"], row["Title"]


def read_alternate_titles(directory: Path):
    """(code, alternate title, line number)."""
    for item in _onet_rows(directory, "titles"):
        if isinstance(item, Rejected):
            yield item
            continue
        line, name, row = item
        title = row["Alternate Title"]
        if not title or len(title) > 250:
            yield Rejected(name, line, "no alternate title, or longer than 250 characters")
        else:
            yield row["O*NET-SOC Code"], title, line


def read_job_zones(directory: Path):
    """(code, job zone 1 to 5)."""
    for item in _onet_rows(directory, "job_zones"):
        if isinstance(item, Rejected):
            yield item
            continue
        line, name, row = item
        if row["Job Zone"] not in {"1", "2", "3", "4", "5"}:
            yield Rejected(name, line, f"job zone {row['Job Zone'][:20]!r} is not 1 to 5")
        else:
            yield row["O*NET-SOC Code"], int(row["Job Zone"])


def read_interests(directory: Path):
    """(code, interest letter, score) for the six scores and (code, position, letter) for the high-point
    codes, told apart by their first item: "score" or "high-point". Other elements are skipped.
    """
    for item in _onet_rows(directory, "interests"):
        if isinstance(item, Rejected):
            yield item
            continue
        line, name, row = item
        element, scale, value = row["Element ID"], row["Scale ID"], _decimal(row["Data Value"])
        if element in INTEREST_SCORES and scale == "OI":
            if value is None or not 1 <= value <= 7:
                yield Rejected(name, line, f"interest score {row['Data Value'][:20]!r} is not 1 to 7")
            else:
                yield "score", row["O*NET-SOC Code"], INTEREST_SCORES[element], value
        elif element in HIGH_POINTS and scale == "IH":
            if value is None or value != value.to_integral_value() or not 0 <= value <= 6:
                yield Rejected(name, line, f"high-point code {row['Data Value'][:20]!r} is not 0 to 6")
            elif value:
                yield "high-point", row["O*NET-SOC Code"], HIGH_POINTS[element], RIASEC[int(value) - 1]


def read_related(directory: Path):
    """(code, related code, tier, index, line number)."""
    tiers = set(RelatedOccupation.Tier.values)
    for item in _onet_rows(directory, "related"):
        if isinstance(item, Rejected):
            yield item
            continue
        line, name, row = item
        related, tier, index = row["Related O*NET-SOC Code"], row["Relatedness Tier"], row["Index"]
        if not CODE.match(related):
            yield Rejected(name, line, f"bad related O*NET-SOC code {related[:40]!r}")
        elif tier not in tiers:
            yield Rejected(name, line, f"unknown relatedness tier {tier[:40]!r}")
        elif not index.isdigit() or not 1 <= int(index) <= 32767:
            yield Rejected(name, line, f"index {index[:20]!r} is not a positive whole number")
        else:
            yield row["O*NET-SOC Code"], related, tier, int(index), line


def read_technology(directory: Path):
    """(code, technology, commodity title, hot, in demand, line number)."""
    flags = {"Y": True, "N": False}
    for item in _onet_rows(directory, "technology"):
        if isinstance(item, Rejected):
            yield item
            continue
        line, name, row = item
        example, hot, demand = row["Example"], row["Hot Technology"], row["In Demand"]
        if not example or len(example) > 200:
            yield Rejected(name, line, "no technology name, or longer than 200 characters")
        elif hot not in flags or demand not in flags:
            yield Rejected(name, line, "Hot Technology and In Demand must be Y or N")
        else:
            yield row["O*NET-SOC Code"], example, row["Commodity Title"][:200], flags[hot], flags[demand], line


@dataclass(frozen=True)
class Projection:
    soc: str
    line_item: bool
    employment_start: Decimal | None
    employment_end: Decimal | None
    change_percent: Decimal | None
    annual_openings: Decimal | None
    median_wage: int | None
    median_wage_top_coded: bool
    entry_education: str


@dataclass(frozen=True)
class BlsRelease:
    projection: str  # noqa: RUF003 ("2024–34", with the en dash BLS writes)
    wage_year: int | None


BLS_HEADERS = {
    "code": re.compile(r"^\d{4} National Employment Matrix code$"),
    "type": re.compile(r"^Occupation type$"),
    "start": re.compile(r"^Employment, (\d{4})$"),
    "percent": re.compile(r"^Employment change, percent, (\d{4})[–-](\d{2})$"),  # noqa: RUF001
    "openings": re.compile(r"^Occupational openings, .*annual average$"),
    "wage": re.compile(r"^Median annual wage, dollars, (\d{4})"),
    "education": re.compile(r"^Typical education needed for entry$"),
}


def read_bls_header(path: Path) -> tuple[BlsRelease, dict[str, str]]:
    """The release the table's headers name and {our name: its column}; end-year employment is the second
    "Employment, YYYY" column. Raises FormatError for a table without these columns.
    """
    with _open_text(path) as text:
        try:
            header = next(csv.reader(text))
        except (StopIteration, UnicodeDecodeError, csv.Error):
            raise FormatError(f"{path.name}: no header row") from None
    columns, matches = {}, {}
    for name, pattern in BLS_HEADERS.items():
        found = [(column, pattern.match(column)) for column in header if pattern.match(column)]
        if not found:
            raise FormatError(f"{path.name}: no column like {pattern.pattern!r} in the header")
        columns[name], matches[name] = found[0]
        if name == "start":
            if len(found) < 2:
                raise FormatError(f"{path.name}: expected two 'Employment, YYYY' columns")
            columns["end"] = found[1][0]
    start, end = matches["percent"].groups()
    return BlsRelease(projection=f"{start}–{end}", wage_year=int(matches["wage"].group(1))), columns  # noqa: RUF001


def read_bls(path: Path):
    """A Projection per occupation row of the table (summary rows included: a detailed O*NET code may fall
    back on its group), or a Rejected."""
    _, columns = read_bls_header(path)
    for line, row in _rows(path, list(columns.values()), delimiter=","):
        if isinstance(row, Rejected):
            yield row
            continue
        code = row[columns["code"]]
        if not SOC.match(code):
            yield Rejected(path.name, line, f"bad matrix code {code[:40]!r}")
            continue
        try:
            wage_text = row[columns["wage"]]
            top_coded = wage_text.startswith(">=")
            wage = _decimal(wage_text.removeprefix(">=").replace("$", "").replace(",", ""))
            education = row[columns["education"]]
            if education not in MISSING and education not in EDUCATION:
                raise ValueError(f"unknown entry education {education[:60]!r}")
            yield Projection(
                soc=code,
                line_item=row[columns["type"]] == "Line item",
                employment_start=_figure(row[columns["start"]]),
                employment_end=_figure(row[columns["end"]]),
                change_percent=_figure(row[columns["percent"]]),
                annual_openings=_figure(row[columns["openings"]]),
                median_wage=int(wage) if wage is not None else None,
                median_wage_top_coded=top_coded,
                entry_education=EDUCATION.get(education, ""),
            )
        except ValueError as error:
            yield Rejected(path.name, line, str(error))


def _decimal(text: str) -> Decimal | None:
    if text in MISSING:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _figure(text: str) -> Decimal | None:
    text = text.replace(",", "")
    value = _decimal(text)
    if value is None and text not in MISSING:
        raise ValueError(f"{text[:40]!r} is not a number")
    if value is not None and abs(value) >= 10**7:
        raise ValueError(f"{text[:40]!r} is out of range")
    return value
