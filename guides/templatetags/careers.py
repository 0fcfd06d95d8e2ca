"""Figures as the career pages write them: dollars, thousands of jobs, signed percentages."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def usd(amount) -> str:
    """90930 → "$90,930"; nothing known → "not published"."""
    return "not published" if amount is None else f"${amount:,}"


@register.filter
def jobs(thousands) -> str:
    """BLS counts jobs in thousands: 86.0 → "86,000"; 1.25 → "1,300" (to the nearest hundred)."""
    if thousands is None:
        return "not published"
    count = int((Decimal(thousands) * 1000).quantize(Decimal(100), rounding="ROUND_HALF_UP"))
    return f"{count:,}"


@register.filter
def change(percent) -> str:
    """7.5 → "+7.5 %"; a decline gets a true minus sign."""
    if percent is None:
        return "not published"
    sign = "+" if percent > 0 else "−" if percent < 0 else ""  # noqa: RUF001 (a true minus sign)
    return f"{sign}{abs(percent):.1f} %"


@register.filter
def bar_width(score, full: int = 240) -> int:
    """The length of an interest score's bar (scores run 1 to 7) in the chart's units."""
    if score is None:
        return 0
    return round(float(score) / 7 * full)
