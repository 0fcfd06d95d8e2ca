"""Partner reports: the admin's report for partner managers and each partner's private report page."""

from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

from courses.models import Partner
from courses.partner_views import private
from courses.reports import AdminReportForm, Report, ReportRangeForm, build_report, default_range, write_csv


@require_safe
def partner_report(request, token):
    """One partner's own figures, for whoever holds its private link (rotated from the admin)."""
    partner = get_object_or_404(Partner, report_token=token)
    form = ReportRangeForm(default_range().query() | request.GET.dict())  # inputs show the range reported
    report = build_report(report_range=form.report_range(), partner=partner)
    if request.GET.get("format") == "csv":
        response = _csv_response(report, f"{partner.slug}-report")
    else:
        context = {"partner": partner, "form": form, "report": report, "csv_query": _csv_query(report)}
        response = render(request, "courses/reports/partner_report.html", context)
    # The token is the password: keep the page out of caches, search engines and other sites' logs.
    return private(response, referrer_policy="no-referrer")


@require_safe
def admin_report(request):
    """Every partner's figures, or one partner's, for partner managers; the admin site has checked the login."""
    if not request.user.has_perm("courses.view_partner_report"):
        raise PermissionDenied
    form = AdminReportForm(default_range().query() | request.GET.dict())
    partner = form.selected_partner()
    report = build_report(report_range=form.report_range(), partner=partner)
    if request.GET.get("format") == "csv":
        response = _csv_response(report, f"{partner.slug}-report" if partner else "partner-report")
    else:
        context = {
            **admin.site.each_context(request),
            "title": "Partner reports",
            "opts": Partner._meta,
            "form": form,
            "report": report,
            "csv_query": _csv_query(report, partner=partner.slug if partner else ""),
        }
        response = render(request, "admin/courses/partner/report.html", context)
    add_never_cache_headers(response)
    return response


def _csv_query(report: Report, **extra) -> str:
    """The query string of the CSV for the range on screen (the corrected one, if the form had errors)."""
    params = report.range.query() | {name: value for name, value in extra.items() if value} | {"format": "csv"}
    return urlencode(params)


def _csv_response(report: Report, name: str) -> HttpResponse:
    filename = f"{name}-{report.range.start:%Y%m%d}-{report.range.end:%Y%m%d}.csv"
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    write_csv(report, response)
    return response
