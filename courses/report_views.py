"""Partner reports: the admin's report for partner managers and each partner's private report page."""

from django.http import Http404


def partner_report(request, token):
    raise Http404


def admin_report(request):
    raise Http404
