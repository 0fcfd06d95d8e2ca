"""Reading and validating catalog feeds (JSON Lines or CSV); see docs/feed-format.md.

Nothing here touches the database: `read_feed()` yields, line by line, either a clean `FeedRow`
or a `RejectedRow` saying why, so a bad row never stops the rest of the file.
"""

import csv
import io
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from courses.models.partners import destination_problem
from courses.text import strip_invisible

KINDS = {"course", "book"}
LEVELS = {"beginner", "intermediate", "advanced", "unknown"}
LIST_SEPARATOR = "|"  # CSV only; JSON Lines uses real lists
NUL_MARK = "\ue000"  # stands in for a NUL byte so csv can read on and the row can be rejected
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f" + NUL_MARK + "]")
_url_validator = URLValidator(schemes=["http", "https"])


@dataclass
class FeedRow:
    line: int
    external_id: str
    kind: str
    title: str
    url: str
    provider: str = ""
    authors: list[str] = field(default_factory=list)
    description: str = ""
    topics: list[str] = field(default_factory=list)
    level: str = "unknown"
    language: str = "en"
    price: Decimal | None = None
    currency: str = "USD"
    certificate: bool = False
    duration_hours: Decimal | None = None
    isbn: str = ""
    rating: Decimal | None = None
    rating_count: int = 0
    partner: str = ""  # a partner's slug: the row also carries that partner's offer for the item
    offer_url: str = ""
    commission_tag: str = ""


@dataclass
class RejectedRow:
    line: int
    reason: str
    external_id: str = ""  # when the row named one: a full feed still lists that item, so it is not retired


@dataclass
class DeletedRow:
    """A delta feed's `{"external_id": …, "deleted": true}`: the item leaves the catalog (it is retired)."""

    line: int
    external_id: str


class RowError(ValueError):
    pass


def read_feed(stream, *, format: str, deletes: bool = False) -> Iterator[FeedRow | RejectedRow | DeletedRow]:
    """Every row of a binary stream, validated; a row that fails says which line and why. With `deletes` (a delta
    feed), a row marked `"deleted": true` needs only its external_id and deletes that item."""
    records = _jsonl_records(stream) if format == "jsonl" else _csv_records(stream)
    for line, record in records:
        if isinstance(record, RejectedRow):
            yield record
            continue
        named = record.get("external_id")
        named = named.strip()[:200] if isinstance(named, str) and not CONTROL_CHARS.search(named) else ""
        try:
            if _marked_deleted(record):
                if not deletes:
                    raise RowError("deleted: only a delta feed deletes items")
                if not named:
                    raise RowError("external_id: is required")
                yield DeletedRow(line, named)
                continue
            yield parse_record(record, line=line, from_csv=format == "csv")
        except RowError as error:
            yield RejectedRow(line, str(error), external_id=named)


def _marked_deleted(record: dict) -> bool:
    value = record.get("deleted")
    return value is True or (isinstance(value, str) and value.strip().lower() in {"true", "1", "yes"})


def _jsonl_records(stream):
    for line, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        if b"\x00" in raw:
            yield line, RejectedRow(line, "contains NUL bytes")
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            yield line, RejectedRow(line, "is not valid UTF-8")
            continue
        except json.JSONDecodeError as error:
            yield line, RejectedRow(line, f"broken JSON ({error.msg} at column {error.colno})")
            continue
        if not isinstance(record, dict):
            yield line, RejectedRow(line, "is not a JSON object")
            continue
        yield line, record


def _csv_records(stream):
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
    reader = csv.DictReader(line.replace("\x00", NUL_MARK) for line in text)
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield reader.line_num, RejectedRow(reader.line_num, f"unreadable CSV ({error})")
            continue
        if None in record:  # more cells than header columns
            yield reader.line_num, RejectedRow(reader.line_num, "has more cells than the header has columns")
            continue
        yield reader.line_num, {key: value for key, value in record.items() if value not in ("", None)}


def parse_record(record: dict, *, line: int, from_csv: bool = False) -> FeedRow:
    """Validate one feed record; raise RowError naming the first bad field."""
    for key, value in record.items():
        if isinstance(value, str) and ("\x00" in value or NUL_MARK in value):
            raise RowError(f"{key}: contains NUL bytes")

    def text(name, *, required=False, max_length=None):
        value = record.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise RowError(f"{name}: is required")
            return ""
        if not isinstance(value, str):
            raise RowError(f"{name}: must be text, got {type(value).__name__}")
        value = strip_invisible(CONTROL_CHARS.sub("", value))
        if not value:
            if required:
                raise RowError(f"{name}: has no visible characters")
            return ""
        if max_length and len(value) > max_length:
            raise RowError(f"{name}: is longer than {max_length} characters")
        return value

    def text_list(name):
        value = record.get(name)
        if value is None:
            return []
        if from_csv and isinstance(value, str):
            value = value.split(LIST_SEPARATOR)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise RowError(f"{name}: must be a list of text")
        items = [strip_invisible(CONTROL_CHARS.sub("", item)) for item in value]
        return [item[:200] for item in items if item]

    def number(name, *, minimum=None, maximum=None):
        value = record.get(name)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float, str))
            or (isinstance(value, str) and not from_csv)
        ):
            raise RowError(f"{name}: must be a number")
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise RowError(f"{name}: must be a number") from None
        if not result.is_finite() or (isinstance(value, float) and not math.isfinite(value)):
            raise RowError(f"{name}: must be a finite number")
        if minimum is not None and result < minimum:
            raise RowError(f"{name}: must be at least {minimum}")
        if maximum is not None and result > maximum:
            raise RowError(f"{name}: must be at most {maximum}")
        return result

    def boolean(name):
        value = record.get(name)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if from_csv and isinstance(value, str) and value.strip().lower() in {"true", "1", "yes", "false", "0", "no"}:
            return value.strip().lower() in {"true", "1", "yes"}
        raise RowError(f"{name}: must be true or false")

    external_id = text("external_id", required=True, max_length=200)
    title = text("title", required=True, max_length=300)
    kind = text("kind", required=True).lower()
    if kind not in KINDS:
        raise RowError(f"kind: must be course or book, got {kind[:20]!r}")
    url = text("url", required=True, max_length=2000)
    try:
        _url_validator(url)
    except ValidationError:
        raise RowError("url: must be a full http:// or https:// address") from None
    level = (text("level") or "unknown").lower()
    if level not in LEVELS:
        raise RowError(f"level: must be one of {', '.join(sorted(LEVELS))}")
    language = (text("language") or "en").lower()
    if not re.fullmatch(r"[a-z]{2}", language):
        raise RowError("language: must be a two-letter ISO 639-1 code such as en")
    currency = (text("currency") or "USD").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise RowError("currency: must be a three-letter code such as USD")
    isbn = re.sub(r"[\s-]", "", text("isbn")).upper()
    if isbn and not re.fullmatch(r"\d{9}[\dX]|\d{13}", isbn):
        raise RowError("isbn: must have 10 or 13 digits")
    rating_count = number("rating_count", minimum=0)
    if rating_count is not None and rating_count != rating_count.to_integral_value():
        raise RowError("rating_count: must be a whole number")
    price = number("price", minimum=0, maximum=Decimal("99999999"))
    partner = text("partner", max_length=100).lower()
    offer_url = text("offer_url", max_length=1000)
    commission_tag = text("commission_tag", max_length=100)
    if (offer_url or commission_tag) and not partner:
        raise RowError("partner: is required with offer_url or commission_tag")
    if partner:
        offer_url = offer_url or url
        problem = destination_problem(offer_url)
        if problem:
            raise RowError(f"offer_url: {problem}")

    return FeedRow(
        line=line,
        external_id=external_id,
        kind=kind,
        title=title,
        url=url,
        provider=text("provider", max_length=200),
        authors=text_list("authors"),
        description=text("description", max_length=20_000),
        topics=text_list("topics")[:20],
        level=level,
        language=language,
        price=price.quantize(Decimal("0.01")) if price is not None else None,
        currency=currency,
        certificate=boolean("certificate"),
        duration_hours=_one_decimal(number("duration_hours", minimum=0, maximum=Decimal("99999"))),
        isbn=isbn,
        rating=_two_decimals(number("rating", minimum=0, maximum=5)),
        rating_count=int(rating_count or 0),
        partner=partner,
        offer_url=offer_url,
        commission_tag=commission_tag,
    )


def _one_decimal(value):
    return value.quantize(Decimal("0.1")) if value is not None else None


def _two_decimals(value):
    return value.quantize(Decimal("0.01")) if value is not None else None
