"""Learning plans (#17): pages and forms under /plans/. No account: the token in the address is the key.

Every response here is private: never in the page cache (no view is wrapped in cache_public_page), sent with
`Cache-Control: private, no-store`, `noindex`, and a Referer for this site only (the address is the secret;
our logs redact it, careerguide/logging.py). Not `no-referrer`: browsers then send `Origin: null` with the
forms, which CSRF protection rightly refuses.
"""

import csv
import datetime as dt
import functools
import math
import re
from decimal import Decimal
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited

from guides import plans
from guides.forms import AddCourseForm, MoveItemForm, PlanSettingsForm, StatusForm
from guides.models import Career, LearningPlan, PlanItem, PlanSection

PLANS_COOKIE = "cg_plans"
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")  # as guides.urls.PlanTokenConverter
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,120}")  # a NUL byte or a megabyte never reaches the database
PLANS_REMEMBERED = 20  # plan tokens one browser's cookie keeps, newest first
SESSION_HOURS = Decimal(2)  # the longest study session the calendar file proposes


def _create_rate(group, request):
    return settings.PLAN_CREATE_RATE


def _write_rate(group, request):
    return settings.PLAN_WRITE_RATE


limit_creation = ratelimit(group="plan-create", key="ip", rate=_create_rate, method="POST", block=True)
limit_writes = ratelimit(group="plan-write", key="ip", rate=_write_rate, method="POST", block=True)


def private(view):
    """The headers of every plan response: kept by no cache, indexed by no engine, no Referer to other sites."""

    @functools.wraps(view)
    def private_view(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "same-origin"
        return response

    return private_view


def same_origin(view):
    """For the two forms on cached public pages (the guide's "Make this my plan", the catalog's "Add to my
    plan"), which cannot carry a CSRF token: a shared page must not hold one visitor's token. A cross-site
    POST is still refused by what browsers send with it (Origin, Sec-Fetch-Site), and the plans cookie is
    SameSite=Lax, so a foreign site can at most make a new plan nobody sees, within the rate limit.
    """

    @functools.wraps(view)
    def checked_view(request, *args, **kwargs):
        origin = request.headers.get("Origin")
        if origin is not None:
            allowed = {f"{request.scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS}
            if origin not in allowed:
                raise PermissionDenied("This form may only be sent from this site.")
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            raise PermissionDenied("This form may only be sent from this site.")
        return view(request, *args, **kwargs)

    return csrf_exempt(checked_view)


def _plan_or_404(token: str, *, page: bool = False) -> LearningPlan:
    """The plan at `token`; with its guide for the pages that name it (`page`)."""
    plans_ = LearningPlan.objects.select_related("career") if page else LearningPlan.objects.all()
    plan = plans_.filter(token=token).first()
    if plan is None:
        if LearningPlan.objects.filter(share_token=token).exists():
            raise PermissionDenied("A shared plan is read-only.")
        raise Http404("No plan at this address.")
    return plan


def _remembered(request) -> list[str]:
    value = request.COOKIES.get(PLANS_COOKIE, "")
    return [token for token in value.split(".") if TOKEN.fullmatch(token)][:PLANS_REMEMBERED]


def _remember(response, request, tokens: list[str]) -> None:
    response.set_cookie(
        PLANS_COOKIE,
        ".".join(tokens[:PLANS_REMEMBERED]),
        max_age=400 * 24 * 3600,  # browsers cap cookies at 400 days
        path="/plans/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _back_to(plan: LearningPlan, fragment: str = "") -> HttpResponse:
    return redirect(plan.get_absolute_url() + (f"#{fragment}" if fragment else ""))


# -- making and finding plans ------------------------------------------------------------------------------


@private
@require_GET
def plan_list(request):
    """The plans this browser made or opened, found through its cookie."""
    tokens = _remembered(request)
    found = {plan.token: plan for plan in LearningPlan.objects.filter(token__in=tokens).select_related("career")}
    plans_here = [found[token] for token in tokens if token in found]
    return render(request, "guides/plans/plan_list.html", {"plans": plans_here})


@private
@same_origin
@limit_creation
@require_POST
def plan_create(request):
    """ "Make this my plan" on a guide: a new plan of its sections and recommendations."""
    slug = request.POST.get("career", "")
    career = Career.objects.published().filter(slug=slug).first() if SLUG.fullmatch(slug) else None
    if career is None:
        return HttpResponseBadRequest("No published guide of that name.")
    plan = plans.create_plan(career=career)
    response = _back_to(plan)
    _remember(response, request, [plan.token, *_remembered(request)])
    return response


@private
@same_origin
@limit_writes
@require_POST
def plan_add(request):
    """ "Add to my plan" on a course page or search result: into this browser's plan, a new one if it has
    none, or the one the learner picks if it has several.
    """
    form = AddCourseForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("No such course or book.")
    course = form.cleaned_data["course"]
    tokens = _remembered(request)
    mine = {plan.token: plan for plan in LearningPlan.objects.filter(token__in=tokens)}
    chosen = request.POST.get("plan", "")
    if chosen in mine:
        plan = mine[chosen]
    elif len(mine) > 1:
        choices = [mine[token] for token in tokens if token in mine]
        return render(request, "guides/plans/plan_choose.html", {"course": course, "plans": choices})
    elif mine:
        plan = next(iter(mine.values()))
    else:
        # A new plan counts against the creation limit too, or this door would make plans at the write rate.
        if is_ratelimited(request, group="plan-create", key="ip", rate=_create_rate, method="POST", increment=True):
            raise Ratelimited
        plan = LearningPlan.objects.create(title="My learning plan")
        tokens = [plan.token, *tokens]
    try:
        item, _ = plans.add_course(plan=plan, course=course)
    except plans.PlanFull:
        return _plan_full(request, plan)
    response = _back_to(plan, f"item-{item.pk}")
    _remember(response, request, tokens)
    return response


def _plan_full(request, plan):
    context = {"plan": plan, "limit": plans.PLAN_MAX_ITEMS}
    return render(request, "guides/plans/plan_full.html", context, status=409)


# -- one plan -------------------------------------------------------------------------------------------------


@private
@limit_writes
@vary_on_headers("HX-Request")
@require_http_methods(["GET", "HEAD", "POST"])
def plan_detail(request, token):
    """The plan, to read and change; a POST changes its title and pace."""
    plan = _plan_or_404(token, page=True)
    form = PlanSettingsForm(instance=plan)
    if request.method == "POST":
        form = PlanSettingsForm(request.POST, instance=plan)
        if form.is_valid():
            plans.update_plan(plan=plan, **form.cleaned_data)
            return _back_to(plan, "pace")
    response = _render_plan(request, plan, form=form, status=400 if form.errors else 200)
    if plan.token not in _remembered(request):
        _remember(response, request, [plan.token, *_remembered(request)])
    return response


def _render_plan(request, plan, *, form=None, status=200, template="guides/plans/plan_detail.html", read_only=False):
    view = plans.plan_view(plan)
    items = [item for section in view.sections for item in section.plan_items]
    _attach_lines(items)
    if not read_only:
        _attach_action_forms(request, plan, items)
    context = {
        "view": view,
        "plan": plan,
        "form": form,
        "read_only": read_only,
        "plan_url": request.build_absolute_uri(plan.get_absolute_url()),
        "shared_url": request.build_absolute_uri(plan.get_shared_url()),
    }
    context["mailto"] = "mailto:?subject={}&body={}".format(
        quote(f"My learning plan: {plan.title}"),
        quote(f"My learning plan on careerguide (keep this link to yourself):\n{context['plan_url']}"),
    )
    return render(request, template, context, status=status)


@private
def plan_shared(request, token):
    """The read-only view a learner shares: no forms, and no way back to the editable address."""
    if request.method not in ("GET", "HEAD"):
        raise PermissionDenied("A shared plan is read-only.")
    plan = LearningPlan.objects.select_related("career").filter(share_token=token).first()
    if plan is None:
        raise Http404("No shared plan at this address.")
    return _render_plan(request, plan, read_only=True)


@private
@require_GET
def plan_print(request, token):
    plan = _plan_or_404(token, page=True)
    return _render_plan(request, plan, template="guides/plans/plan_print.html", read_only=True)


@private
@limit_writes
@vary_on_headers("HX-Request")
@require_POST
def plan_item_status(request, token, item_id):
    """A tick: sets one item's status. With htmx, answers the item's form and the progress it changed."""
    read = plans.read_tick(token=token, item_id=item_id) if request.htmx else None  # one query, plan included
    if request.htmx and read is None:
        _plan_or_404(token)  # a 403 for the shared token, a 404 for none
        raise Http404("No such item in this plan.")
    plan = read.plan if read else _plan_or_404(token)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Status must be to do, in progress or done.")
    if not plans.set_status(plan=plan, item_id=item_id, status=form.cleaned_data["status"]):
        raise Http404("No such item in this plan.")
    if read:
        read.item.status = form.cleaned_data["status"]
        return _render_tick(request, read)
    return _back_to(plan, f"item-{item_id}")


ITEM_ACTIONS = ("status", "move", "remove", "alternatives")
# Stand-ins for an item's id and title in a form rendered once for many items: private-use characters, which
# no id, markup or plan token holds, and which escaping leaves as they are.
STAMP_ID, STAMP_TITLE = "\ue000", "\ue001"


def _attach_action_urls(plan, items) -> None:
    """Each item's action addresses, from one reverse() per action rather than four per item (a tenth of a
    60-item page's rendering time).
    """
    for action in ITEM_ACTIONS:
        sample = reverse(f"guides:plan_item_{action}", kwargs={"token": plan.token, "item_id": 999999999})
        head, tail = sample.rsplit("/999999999/", 1)
        for item in items:
            setattr(item, f"{action}_url", f"{head}/{item.pk}/{tail}")


def _attach_lines(items) -> None:
    """What each offered item's lines show, worked out once here (as template logic they were a third of the
    lines' rendering time): its address, summary, and partner link (the best live offer) or the site it opens.
    """
    head, tail = reverse("courses:detail", kwargs={"slug": "slug-placeholder"}).rsplit("/slug-placeholder/", 1)
    for item in items:
        if not item.offered:
            continue
        course = item.course
        item.course_url = f"{head}/{course.slug}/{tail}"  # Course.get_absolute_url, once per page
        item.summary = course.summary_line()
        item.offer = course.live_offers[0] if course.live_offers else None
        if item.offer:
            item.go_text = f"Go to {item.offer.partner.name}"
        else:
            item.site = course.site


def _attach_action_forms(request, plan, items) -> None:
    """Each item's form (the #item-actions partial) as `actions_form`: rendered once per kind of item (its
    status and which alternatives it links) with stand-ins for the id and title, filled in per item. Sixty
    renderings of the form were 40 % of the page's rendering time. A tick renders the partial for its item
    itself, and a test holds the two alike.
    """
    template = get_template("guides/plans/plan_detail.html#item-actions")
    stand_in = PlanItem(title=STAMP_TITLE)
    stand_in.pk = STAMP_ID
    _attach_action_urls(plan, [stand_in])
    # One masked token for all, as one rendering of the page gives its forms: each masking costs 32 urandom calls.
    context = {"item": stand_in, "plan": plan, "csrf_token": get_token(request)}
    forms = {}
    for item in items:
        kind = (item.status, item.offered, item.offered and item.course.is_free)
        if kind not in forms:
            stand_in.status, stand_in.course = item.status, item.course
            forms[kind] = template.render(context, request)
        filled = forms[kind].replace(STAMP_ID, str(item.pk)).replace(STAMP_TITLE, escape(item.title))
        item.actions_form = mark_safe(filled)  # the partial's own markup, with a number and an escaped title


def _render_tick(request, read: plans.TickRead):
    # Only what the item's form shows: its line (title, partner link) is unchanged by a tick.
    plan, item = read.plan, read.item
    _attach_action_urls(plan, [item])
    section_progress, whole = read.progress_by_section()
    section = PlanSection(pk=item.section_id)
    section.progress = section_progress[item.section_id]
    context = {
        "item": item,
        "plan": plan,
        "section": section,
        "view": {
            "progress": whole,
            "finish_date": whole.finish_date(plan.hours_per_week, today=timezone.localdate()),
            "weeks_left": whole.weeks_left(plan.hours_per_week),
        },
        "read_only": False,
    }
    return render(request, "guides/plans/plan_tick.html", context)


@private
@limit_writes
@require_POST
def plan_item_remove(request, token, item_id):
    plan = _plan_or_404(token)
    plans.remove_item(plan=plan, item_id=item_id)
    return _back_to(plan, "sections")


@private
@limit_writes
@require_http_methods(["GET", "HEAD", "POST"])
def plan_item_move(request, token, item_id):
    """Which section an item goes in: the form (GET), then the move (POST), keeping its progress."""
    plan = _plan_or_404(token)
    item = PlanItem.objects.filter(plan=plan, pk=item_id).first()
    if item is None:
        raise Http404("No such item in this plan.")
    form = MoveItemForm(request.POST or None, plan=plan, initial={"section": item.section_id})
    if request.method == "POST":
        if not form.is_valid():
            return HttpResponseBadRequest("Choose one of this plan's sections.")
        plans.move_item(plan=plan, item_id=item.pk, section=form.cleaned_data["section"])
        return _back_to(plan, f"item-{item.pk}")
    context = {"plan": plan, "item": item, "form": form}
    return render(request, "guides/plans/plan_move.html", context)


@private
@limit_writes
@require_http_methods(["GET", "HEAD", "POST"])
def plan_item_alternatives(request, token, item_id):
    """Other items on the same topics (free ones for a paid item); a POST switches the item to one."""
    plan = _plan_or_404(token)
    item = PlanItem.objects.filter(plan=plan, pk=item_id).select_related("course", "section").first()
    if item is None:
        raise Http404("No such item in this plan.")
    free_only = item.offered and not item.course.is_free
    if request.method == "POST":
        form = AddCourseForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest("No such course or book.")
        try:
            plans.switch_item(plan=plan, item_id=item.pk, course=form.cleaned_data["course"])
        except plans.AlreadyInPlan:
            return HttpResponseBadRequest("That item is already in your plan.")
        return _back_to(plan, f"item-{item.pk}")
    context = {
        "plan": plan,
        "item": item,
        "free_only": free_only,
        "alternatives": plans.alternatives(plan=plan, item=item, free_only=free_only),
    }
    return render(request, "guides/plans/plan_alternatives.html", context)


@private
@limit_writes
@require_POST
def plan_item_add(request, token):
    """Add a catalog item to this plan (the chooser when a browser has several plans)."""
    plan = _plan_or_404(token)
    form = AddCourseForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("No such course or book.")
    try:
        item, _ = plans.add_course(plan=plan, course=form.cleaned_data["course"])
    except plans.PlanFull:
        return _plan_full(request, plan)
    return _back_to(plan, f"item-{item.pk}")


@private
@limit_writes
@require_http_methods(["GET", "HEAD", "POST"])
def plan_delete(request, token):
    """Asks first; a POST removes the plan for good, and from this browser's list."""
    plan = _plan_or_404(token)
    if request.method == "POST":
        plan.delete()
        response = redirect("guides:plan_list")
        _remember(response, request, [t for t in _remembered(request) if t != token])
        return response
    return render(request, "guides/plans/plan_delete.html", {"plan": plan})


# -- take it along -----------------------------------------------------------------------------------------

CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A spreadsheet cell that is never run as a formula (OWASP's CSV injection advice)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_FORMULA_START) else text


@private
@require_GET
def plan_csv(request, token):
    plan = _plan_or_404(token)
    view = plans.plan_view(plan)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="learning-plan.csv"'
    writer = csv.writer(response)
    writer.writerow(["Section", "Item", "Format", "Provider", "Hours", "Price", "Currency", "Status", "Address"])
    for section in view.sections:
        for item in section.plan_items:
            course = item.course if item.offered else None
            writer.writerow(
                _cell(value)
                for value in [
                    section.heading,
                    item.title,
                    course.get_kind_display() if course else "no longer offered",
                    course.provider.name if course and course.provider_id else "",
                    course.duration_hours if course and course.duration_hours else "",
                    course.price if course and course.price is not None else "",
                    course.currency if course and course.price else "",
                    item.get_status_display(),
                    request.build_absolute_uri(course.get_absolute_url()) if course else "",
                ]
            )
    return response


@private
@require_GET
def plan_calendar(request, token):
    """An iCalendar file of weekly study sessions at the plan's pace, until the estimated finish."""
    plan = _plan_or_404(token)
    view = plans.plan_view(plan)
    hours = plan.hours_per_week
    sessions_per_week = max(1, min(7, math.ceil(hours / SESSION_HOURS)))
    weeks = max(1, view.weeks_left)
    minutes = max(15, int(hours * 60 / sessions_per_week))
    today = timezone.localdate()
    start = today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)  # next Monday
    days = ["MO", "WE", "FR", "TU", "TH", "SA", "SU"][:sessions_per_week]
    order = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//careerguide//learning plans//EN",
        "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT",
        f"UID:plan-{plan.pk}-{stamp}@{urlsplit(request.build_absolute_uri('/')).hostname}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{start:%Y%m%d}T190000",
        f"DURATION:PT{minutes // 60}H{minutes % 60}M",
        f"RRULE:FREQ=WEEKLY;BYDAY={','.join(sorted(days, key=order.index))};COUNT={weeks * sessions_per_week}",
        _ical_text("SUMMARY", f"Study: {plan.title}"),
        _ical_text("DESCRIPTION", f"{format(hours.normalize(), 'f')} hours a week. {view.progress.sentence()}."),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    response = HttpResponse("\r\n".join(_fold(line) for line in lines) + "\r\n", content_type="text/calendar")
    response["Content-Disposition"] = 'attachment; filename="learning-plan.ics"'
    return response


def _ical_text(name: str, value: str) -> str:
    """A TEXT property, escaped as RFC 5545 §3.3.11 says."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    return f"{name}:{value}"


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with a space (RFC 5545 §3.1)."""
    data = line.encode()
    parts = []
    while len(data) > 75:
        cut = 75 if not parts else 74
        while cut and (data[cut] & 0xC0) == 0x80:  # never inside a UTF-8 character
            cut -= 1
        parts.append(data[:cut].decode())
        data = data[cut:]
    parts.append(data.decode())
    return "\r\n ".join(parts)
