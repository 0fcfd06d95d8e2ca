"""Partner report figures: clicks, visitors, conversions and commission for a date range.

Every figure is aggregated in the database, so a report costs the same few queries however many clicks
there are. Each section is a title, columns and rows; the HTML tables and the CSV are both written from
`Section.text_rows()`, which is what keeps the download identical to the screen.
"""

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django import forms
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from courses import counting
from courses.models import Click, Conversion, Partner

DEFAULT_DAYS = 30
MAX_DAYS = 366  # a year, leap day included
# The dates a report may name: far wider than any click, far enough from the calendar's ends (years 1 and 9999)
# that no date arithmetic or time-zone conversion overflows.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)
TOP_ROWS = 50  # per-course and per-page tables: enough to act on, small enough to read
PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
PERIOD_CHOICES = [("day", "Day"), ("week", "Week"), ("month", "Month")]
PERIOD_COLUMNS = {"day": "Day", "week": "Week starting", "month": "Month"}
NO_REFERRER = "(no referring page)"
# Spreadsheets run a cell starting with one of these as a formula; referrer paths and titles come from outside.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")  # Partner.slug's characters and length


@dataclass(frozen=True)
class ReportRange:
    start: date
    end: date
    period: str

    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, day after end 00:00) in the current time zone, so the end day counts in full."""
        return (
            timezone.make_aware(datetime.combine(self.start, time.min)),
            timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min)),
        )

    def query(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "period": self.period}


def default_range() -> ReportRange:
    today = timezone.localdate()
    return ReportRange(start=today - timedelta(days=DEFAULT_DAYS - 1), end=today, period="day")


class ReportRangeForm(forms.Form):
    """The range a report covers. Never refuses: an invalid value is reported and replaced by its default."""

    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    period = forms.ChoiceField(required=False, choices=PERIOD_CHOICES, label="Group clicks by")

    def clean(self):
        data = super().clean()
        fallback = default_range()
        end = data.get("end") or fallback.end
        start = data.get("start")
        if not all(FIRST_DAY <= day <= LAST_DAY for day in (start or end, end)):
            # Checked before any arithmetic: the day after 9999-12-31, or 0001-01-01 00:00 in Berlin in UTC, overflow.
            self.add_error(None, f"Reports cover {FIRST_DAY.year} to {LAST_DAY.year}, so the last 30 days are shown.")
            start, end = fallback.start, fallback.end
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        if end < start:
            self.add_error(None, "The end date is before the start date, so the last 30 days are shown.")
            start, end = fallback.start, fallback.end
        elif (end - start).days >= MAX_DAYS:
            self.add_error(None, "A report covers at most a year, so the last 30 days are shown.")
            start, end = fallback.start, fallback.end
        data.update(start=start, end=end, period=data.get("period") or fallback.period)
        return data

    def report_range(self) -> ReportRange:
        self.is_valid()
        data = self.cleaned_data
        return ReportRange(start=data["start"], end=data["end"], period=data["period"])


class PartnerSlugField(forms.ModelChoiceField):
    """Looks up only what could be a slug: a NUL byte would reach PostgreSQL, which refuses it in text (a 500)."""

    def to_python(self, value):
        if value not in self.empty_values and not SLUG.fullmatch(str(value)):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class AdminReportForm(ReportRangeForm):
    partner = PartnerSlugField(
        queryset=Partner.objects.all(), to_field_name="slug", required=False, empty_label="All partners"
    )

    def selected_partner(self) -> Partner | None:
        self.is_valid()
        return self.cleaned_data.get("partner")


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)
    note: str = ""

    def text_rows(self) -> list[list[str]]:
        """The rows as both the page and the CSV show them."""
        return [[cell_text(cell) for cell in row] for row in self.rows]

    def labelled_rows(self) -> list[list[tuple[str, str]]]:
        """Each row's (column, text) pairs: on a phone each row is shown as a card of labelled figures."""
        return [list(zip(self.columns, row, strict=True)) for row in self.text_rows()]


# What each column means, on every report page and in docs/partner-reports.md. Raw = counted + bots + repeats +
# over limit, for every row (tests/courses/test_click_counting.py).
DEFINITIONS = [
    ("Raw clicks", "Every request for the partner link that we redirected and recorded, from people and machines."),
    (
        "Bots",
        "Raw clicks from crawlers, link previews of chat and mail apps, HTTP libraries, monitoring tools, and "
        "browsers fetching the link ahead of a click (prefetch), known by their User-Agent or headers.",
    ),
    (
        "Repeats",
        f"Further clicks by the same visitor on the same offer within {counting.REPEAT_WINDOW // 60} minutes of "
        "the one that was counted.",
    ),
    (
        "Over limit",
        f"Clicks from one client address beyond {counting.CLIENT_LIMIT} within "
        f"{'an hour' if counting.CLIENT_WINDOW == 3600 else f'{counting.CLIENT_WINDOW // 60} minutes'} of its "
        "first: redirected, not counted.",
    ),
    ("Counted clicks", "Raw clicks less bots, repeats and clicks over the limit: what a partner pays for."),
    (
        "Unique visitors",
        "Distinct client addresses (an IPv6 address by its /64) among counted clicks, per day: a visitor back "
        "on another day counts again in a week or a month; people sharing one address count as one, and a "
        "changed User-Agent makes no new visitor.",
    ),
    ("Conversions", "Sales the partner reported in the period, on the day it reported them."),
    ("Commission", "The commission on those sales, one amount per currency."),
    ("Conversion rate (%)", "Conversions per 100 counted clicks."),
]


@dataclass(frozen=True)
class Report:
    range: ReportRange
    sections: list[Section]
    headline: list[tuple[str, str]] = field(default_factory=list)  # (figure, value) for the whole range
    definitions: list[tuple[str, str]] = field(default_factory=lambda: DEFINITIONS)

    def section(self, slug: str) -> Section:
        return next(section for section in self.sections if section.slug == slug)


def cell_text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def build_report(*, report_range: ReportRange, partner: Partner | None = None) -> Report:
    """All sections for one partner, or for every partner when `partner` is None. Six queries."""
    start, end = report_range.bounds()
    clicks = Click.objects.filter(created_at__gte=start, created_at__lt=end)
    conversions = Conversion.objects.filter(created_at__gte=start, created_at__lt=end)
    if partner is not None:
        clicks = clicks.filter(offer__partner=partner)
        conversions = conversions.filter(partner=partner)
    per_partner = partner is None  # one partner's report needs no partner column, nor a table by partner
    by_period, figures = _by_period(clicks, conversions, report_range.period, partner=partner)
    return Report(
        range=report_range,
        sections=[
            by_period,
            _by_course(clicks, conversions),
            _by_page(clicks),
            _reconciliation(figures, conversions, per_partner=per_partner),
        ],
        headline=_headline(figures),
    )


def write_csv(report: Report, file) -> None:
    """One block per section: its title, the column names, the rows, a blank line."""
    writer = csv.writer(file)
    for section in report.sections:
        writer.writerow([safe_csv_cell(section.title)])
        writer.writerow([safe_csv_cell(column) for column in section.columns])
        writer.writerows([safe_csv_cell(cell) for cell in row] for row in section.text_rows())
        writer.writerow([])


def safe_csv_cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _click_counts() -> dict:
    """Each click falls in exactly one of counted, bots, repeats and over limit (courses/counting.py)."""
    person = Q(is_bot=False)
    return {
        "raw_clicks": Count("pk"),
        "counted_clicks": Count("pk", filter=person & Q(excluded_reason=Click.Excluded.COUNTED)),
        "bot_clicks": Count("pk", filter=Q(is_bot=True)),
        "repeat_clicks": Count("pk", filter=person & Q(excluded_reason=Click.Excluded.REPEAT)),
        "over_limit_clicks": Count("pk", filter=person & Q(excluded_reason=Click.Excluded.OVER_LIMIT)),
    }


CLICK_COUNTS = ("raw_clicks", "counted_clicks", "bot_clicks", "repeat_clicks", "over_limit_clicks")


def _by_period(
    clicks: QuerySet, conversions: QuerySet, period: str, *, partner: Partner | None
) -> tuple[Section, dict]:
    """The table by period (and by partner, when the report has several), and its figures by (partner name,
    day) for the rest of the report.
    """
    per_partner = partner is None
    trunc = PERIODS[period]
    tzinfo = timezone.get_current_timezone()
    click_rows = (
        clicks.values(partner_name=F("offer__partner__name"), period=trunc("created_at", tzinfo=tzinfo))
        .annotate(
            **_click_counts(),
            # The visitor hash changes daily: someone back on another day counts again in a week or a month.
            unique_visitors=Count(
                "visitor_hash", distinct=True, filter=Q(is_bot=False, excluded_reason=Click.Excluded.COUNTED)
            ),
        )
        .order_by()
    )
    sale_rows = (
        conversions.values("currency", partner_name=F("partner__name"), period=trunc("created_at", tzinfo=tzinfo))
        .annotate(conversions=Count("pk"), total_commission=Sum("commission"))
        .order_by()
    )
    figures = defaultdict(lambda: dict.fromkeys((*CLICK_COUNTS, "unique_visitors", "conversions"), 0))
    commission = defaultdict(dict)
    for row in click_rows:
        key = (row["partner_name"], _day(row["period"]))
        figures[key].update({name: row[name] for name in (*CLICK_COUNTS, "unique_visitors")})
    for row in sale_rows:
        key = (row["partner_name"], _day(row["period"]))
        figures[key]["conversions"] += row["conversions"]
        commission[key][row["currency"]] = row["total_commission"]
    for key, amounts in commission.items():
        figures[key]["commission"] = amounts
    rows = [
        (
            *([partner_name] if per_partner else []),
            _period_label(day, period),
            *(counts[name] for name in CLICK_COUNTS),
            counts["unique_visitors"],
            counts["conversions"],
            money(counts.get("commission", {})),
            percentage(counts["conversions"], counts["counted_clicks"]),
        )
        for (partner_name, day), counts in sorted(figures.items())
    ]
    columns = (
        *(["Partner"] if per_partner else []), PERIOD_COLUMNS[period], "Raw clicks", "Counted clicks", "Bots",
        "Repeats", "Over limit", "Unique visitors", "Conversions", "Commission", "Conversion rate (%)",
    )  # fmt: skip
    note = (
        "Raw clicks = counted clicks + bots + repeats + over limit. Unique visitors are among counted clicks. "
        "Conversions count on the day the partner reported them, which may be after the click."
    )
    title = (
        "Clicks and conversions by partner" if per_partner else f"{partner.name}: clicks and conversions by {period}"
    )
    return Section("by-period", title, columns, rows, note), figures


def _headline(figures: dict) -> list[tuple[str, str]]:
    """The range's totals, summed from the table by period so that they always agree with it."""
    totals = defaultdict(int)
    commission = defaultdict(Decimal)
    for counts in figures.values():
        for name in ("counted_clicks", "raw_clicks", "unique_visitors", "conversions"):
            totals[name] += counts[name]
        for currency, amount in counts.get("commission", {}).items():
            commission[currency] += amount
    rate = percentage(totals["conversions"], totals["counted_clicks"])
    return [
        ("Counted clicks", f"{totals['counted_clicks']:,}"),
        ("Raw clicks", f"{totals['raw_clicks']:,}"),
        ("Unique visitors", f"{totals['unique_visitors']:,}"),
        ("Conversions", f"{totals['conversions']:,}"),
        ("Commission", money(commission) or "none"),
        ("Conversion rate", "–" if rate is None else f"{rate} %"),  # noqa: RUF001
    ]


def _by_course(clicks: QuerySet, conversions: QuerySet) -> Section:
    top = list(
        clicks.values(course_id=F("offer__course_id"), title=F("offer__course__title"))
        .annotate(**_click_counts())
        .order_by("-counted_clicks", "-raw_clicks", "title", "course_id")[:TOP_ROWS]
    )
    sales = (
        conversions.filter(click__offer__course_id__in=[row["course_id"] for row in top])
        .values("currency", course_id=F("click__offer__course_id"))
        .annotate(conversions=Count("pk"), total_commission=Sum("commission"))
        .order_by()
    )
    counts, commission = defaultdict(int), defaultdict(dict)
    for row in sales:
        counts[row["course_id"]] += row["conversions"]
        commission[row["course_id"]][row["currency"]] = row["total_commission"]
    rows = [
        (
            row["title"],
            row["raw_clicks"],
            row["counted_clicks"],
            counts[row["course_id"]],
            money(commission[row["course_id"]]),
        )
        for row in top
    ]
    columns = ("Course", "Raw clicks", "Counted clicks", "Conversions", "Commission")
    note = "Conversions here are those reported in the range for a click on the course, whenever the click was."
    return Section("by-course", f"Top {TOP_ROWS} courses by counted clicks", columns, rows, note)


def _by_page(clicks: QuerySet) -> Section:
    top = (
        clicks.values("referrer_path")
        .annotate(**_click_counts())
        .order_by("-counted_clicks", "-raw_clicks", "referrer_path")[:TOP_ROWS]
    )
    rows = [(row["referrer_path"] or NO_REFERRER, row["raw_clicks"], row["counted_clicks"]) for row in top]
    columns = ("Page", "Raw clicks", "Counted clicks")
    return Section("by-page", f"Top {TOP_ROWS} referring pages by counted clicks", columns, rows)


def _reconciliation(period_figures: dict, conversions: QuerySet, *, per_partner: bool) -> Section:
    """Conversions against the clicks that should explain them. Orphans are conversions whose click we
    never recorded or have since deleted: many of them mean lost clicks or a partner misreporting ids.
    """
    counted_clicks = defaultdict(int)
    for (partner_name, _day), counts in period_figures.items():  # already aggregated: one entry per period
        counted_clicks[partner_name] += counts["counted_clicks"]
    matched = (
        conversions.values(partner_name=F("partner__name"))
        .annotate(
            conversions=Count("pk"),
            matched=Count("pk", filter=Q(click__isnull=False)),
            orphans=Count("pk", filter=Q(click__isnull=True)),
        )
        .order_by()
    )
    figures = {
        name: {"clicks": clicks, "conversions": 0, "matched": 0, "orphans": 0}
        for name, clicks in counted_clicks.items()
    }
    for row in matched:
        figures.setdefault(row["partner_name"], {"clicks": 0})
        figures[row["partner_name"]].update(
            conversions=row["conversions"], matched=row["matched"], orphans=row["orphans"]
        )
    names = ("clicks", "conversions", "matched", "orphans")
    lines = sorted(figures.items())
    if not per_partner:
        lines = [("Whole range", {name: sum(line.get(name, 0) for _, line in lines) for name in names})]
    elif len(lines) > 1:
        lines.append(("All partners", {name: sum(line[name] for _, line in lines) for name in names}))
    rows = [(label, *(line.get(name, 0) for name in names)) for label, line in lines]
    columns = ("Partner" if per_partner else "Period", "Counted clicks", "Conversions", "Matched to a click",
               "Orphan conversions")  # fmt: skip
    note = "Orphan conversions are sales a partner reported for a click we have no record of."
    return Section("reconciliation", "Reconciliation", columns, rows, note)


def money(amounts: dict[str, Decimal]) -> str | None:
    """Commission as text, one amount per currency: amounts in different currencies are never added."""
    if not amounts:
        return None
    return " + ".join(f"{amounts[currency]:.2f} {currency}" for currency in sorted(amounts))


def percentage(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _period_label(day: date, period: str) -> str:
    return day.strftime("%Y-%m") if period == "month" else day.isoformat()
