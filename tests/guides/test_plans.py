"""Learning plans (#17): made from a guide, changed one item at a time, private to whoever holds the link."""

import datetime as dt
import re
import threading
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from guides import plans
from guides.models import PLAN_MAX_ITEMS, LearningPlan, PlanItem, PlanSection
from tests.factories import CourseFactory, GuideSectionFactory, OfferFactory, PartnerFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def picks(career):
    """Each section picks items: free with hours, paid with hours, paid without hours, unpriced."""
    education, skills, tools = career.sections.order_by("position")
    chosen = {
        "free": CourseFactory(title="Free SQL", price=Decimal(0), duration_hours=Decimal(10)),
        "paid": CourseFactory(title="Paid Go", price=Decimal("49.99"), duration_hours=Decimal(20)),
        "paid_no_hours": CourseFactory(title="Paid Book", kind="book", price=Decimal(30), duration_hours=None),
        "unpriced": CourseFactory(title="Unpriced Docker", price=None, duration_hours=Decimal(6)),
        "free_2": CourseFactory(title="Free HTTP", price=Decimal(0), duration_hours=Decimal(4)),
    }
    education.picks.set([chosen["free"], chosen["paid"]])
    skills.picks.set([chosen["paid_no_hours"], chosen["unpriced"]])
    tools.picks.set([chosen["free_2"]])
    return chosen


@pytest.fixture
def plan(career, picks):
    return plans.create_plan(career=career)


def plan_url(plan, name="guides:plan_detail", **kwargs):
    return reverse(name, kwargs={"token": plan.token, **kwargs})


def item_url(plan, item, action):
    return reverse(f"guides:plan_item_{action}", kwargs={"token": plan.token, "item_id": item.pk})


def item_of(plan, title):
    return PlanItem.objects.get(plan=plan, title=title)


# -- making a plan ------------------------------------------------------------------------------------------


def test_make_this_my_plan_on_the_guide_creates_the_plan_and_remembers_it(client, career, picks):
    guide = client.get(reverse("guides:career_detail", kwargs={"slug": career.slug}))
    assertContains(guide, "Make this my plan")
    assertContains(guide, f'action="{reverse("guides:plan_create")}"')

    response = client.post(reverse("guides:plan_create"), {"career": career.slug})

    plan = LearningPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == plan.get_absolute_url()
    assert len(plan.token) >= 43  # token_urlsafe(32): 256 bits
    cookie = response.cookies["cg_plans"]
    assert cookie.value == plan.token
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    page = client.get(plan.get_absolute_url())
    for title in ["Free SQL", "Paid Go", "Paid Book", "Unpriced Docker", "Free HTTP"]:
        assertContains(page, title)
    assertContains(page, f'<a href="{picks["paid"].get_absolute_url()}">Paid Go</a>')
    assert [s.anchor for s in plan.sections.all()] == ["education", "skills", "tools"]
    assertContains(client.get(reverse("guides:plan_list")), plan.title)  # the browser finds it again


def test_a_plan_from_a_guide_of_recommended_matches_has_the_guides_items(client, career):
    topic = TopicFactory(name="SQL")
    career.sections.get(kind="skills").topics.set([topic])
    CourseFactory(title="Matched SQL", topics=[topic])

    plan = plans.create_plan(career=career)

    assert list(plan.items.values_list("title", "section__anchor")) == [("Matched SQL", "skills")]


def test_making_a_plan_of_an_unknown_guide_is_a_400(client):
    response = client.post(reverse("guides:plan_create"), {"career": "no-such-guide\x00" * 1000})
    assert response.status_code == 400


def test_a_cross_site_post_cannot_make_a_plan(client, career):
    response = client.post(
        reverse("guides:plan_create"), {"career": career.slug}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert not LearningPlan.objects.exists()
    fetched = client.post(
        reverse("guides:plan_create"), {"career": career.slug}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert fetched.status_code == 403
    ok = client.post(reverse("guides:plan_create"), {"career": career.slug}, headers={"Origin": "http://testserver"})
    assert ok.status_code == 302  # positive control


# -- totals, pace and the finish date -------------------------------------------------------------------------


def test_a_fresh_plans_section_totals_read_as_the_guides(client, career, plan):
    guide = unescape(client.get(reverse("guides:career_detail", kwargs={"slug": career.slug})).content.decode())
    page = unescape(client.get(plan_url(plan)).content.decode())

    guide_totals = re.findall(r'<p class="picks__totals">(.*?)</p>', guide)
    plan_totals = re.findall(r'<p class="picks__totals">(.*?)</p>', page)
    assert guide_totals == plan_totals
    assert guide_totals == [
        "2 items · about 30 hours · 1 free, 1 paid at USD 49.99",
        "2 items · at least 6 hours · 1 paid at USD 30",
        "1 item · about 4 hours · free",
    ]


def test_plan_totals_pace_and_finish_date(client, plan, monkeypatch):
    today = dt.date(2026, 3, 2)
    monkeypatch.setattr(timezone, "localdate", lambda *args: today)
    LearningPlan.objects.filter(pk=plan.pk).update(hours_per_week=Decimal(8))
    plans.set_status(plan=plan, item_id=item_of(plan, "Free HTTP").pk, status="done")
    plan.refresh_from_db()

    view = plans.plan_view(plan)

    assert view.totals.sentence() == "5 items · at least 40 hours · 2 free, 2 paid at USD 79.99 in total"
    assert view.free_totals.hours == Decimal(14)  # free only: 10 + 4
    assert view.progress.remaining_hours == Decimal(36)  # 40 less the 4 done; the book has no hours
    assert not view.progress.hours_complete
    assert view.weeks_left == 5  # 36 h at 8 h a week = 4.5 weeks
    assert view.finish_date == today + dt.timedelta(days=32)  # 4.5 weeks, rounded up to a whole day
    page = client.get(plan_url(plan))
    assertContains(page, "at least 36 hours left")
    assertContains(page, '<time datetime="2026-04-03">3 April 2026</time>')
    assertContains(page, "1 of 5 done")


def test_changing_the_pace_moves_the_finish_date(client, plan):
    response = client.post(plan_url(plan), {"title": "Evenings", "hours_per_week": "20"})

    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.title, plan.hours_per_week) == ("Evenings", Decimal(20))
    assertContains(client.get(plan_url(plan)), "(2 weeks)")  # 40 h at 20 h a week


@pytest.mark.parametrize("hours", ["0", "-3", "81", "abc", "1e9", "\x00", "9" * 10000])
def test_a_bad_pace_is_explained_not_saved(client, plan, hours):
    response = client.post(plan_url(plan), {"title": "Evenings", "hours_per_week": hours})

    assert response.status_code == 400
    assertContains(response, "Hours a week", status_code=400)
    plan.refresh_from_db()
    assert plan.hours_per_week == Decimal(5)


# -- ticks --------------------------------------------------------------------------------------------------


def test_a_tick_without_javascript_redirects_back_to_the_item(client, plan):
    item = item_of(plan, "Paid Go")

    response = client.post(item_url(plan, item, "status"), {"status": "done"})

    assert response.status_code == 302
    assert response["Location"] == f"{plan.get_absolute_url()}#item-{item.pk}"
    item.refresh_from_db()
    assert item.status == "done"
    assertContains(client.get(plan_url(plan)), "1 of 2 done")  # the section's progress


def test_a_tick_with_htmx_answers_the_item_and_the_progress_it_changed(client, plan):
    item = item_of(plan, "Paid Go")

    response = client.post(item_url(plan, item, "status"), {"status": "doing"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<select id="status-{item.pk}" name="status">' in html
    assert '<option value="doing" selected>' in html
    assert 'id="plan-progress" data-hx-swap-oob="true"' in html
    assert f'id="section-{item.section_id}-progress" data-hx-swap-oob="true"' in html
    assert "0 of 5 done, 1 in progress" in html
    assert "<html" not in html  # a fragment, not the page
    assert response["Cache-Control"] == "private, no-store"


def test_the_page_and_a_tick_show_an_items_form_alike(client, plan):
    """The page fills one rendering of the form per kind of item in; a tick renders the form for its item."""
    statuses = {"Free SQL": "doing", "Paid Go": "doing", "Paid Book": "done"}  # a free and a paid item alike
    for title, status in statuses.items():
        plans.set_status(plan=plan, item_id=item_of(plan, title).pk, status=status)
    gone = item_of(plan, "Free HTTP").course
    gone.published = False
    gone.save()
    item_of(plan, "Unpriced Docker").course.delete()  # an item without a course at all
    PlanItem.objects.filter(pk=item_of(plan, "Paid Book").pk).update(title='Paid <Book> & "Co"')
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')

    page = client.get(plan_url(plan)).content.decode()

    for item in plan.items.all():
        action = f'action="{item_url(plan, item, "status")}"'
        on_page = re.search(rf'<form class="plan-item__actions" method="post" {action}.*?</form>', page, re.S)
        fragment = client.post(
            item_url(plan, item, "status"), {"status": item.status}, headers={"HX-Request": "true"}
        ).content.decode()
        ticked = re.search(r'<form class="plan-item__actions".*?</form>', fragment, re.S)
        assert token.sub("csrf", on_page.group(0)) == token.sub("csrf", ticked.group(0)), item.title
    assert "Paid &lt;Book&gt; &amp; &quot;Co&quot;" in page  # positive control: the escaped title was filled in


def test_a_tick_updates_one_row_only(client, plan, django_assert_max_num_queries):
    LearningPlan.objects.filter(pk=plan.pk).update(touched_at=timezone.now() - dt.timedelta(days=2))
    item = item_of(plan, "Paid Go")
    with django_assert_max_num_queries(2):  # the plan, the UPDATE of the item: never the plan's touched_at
        client.post(item_url(plan, item, "status"), {"status": "done"})


def test_a_tick_with_htmx_reads_a_fixed_number_of_queries(client, plan, django_assert_max_num_queries):
    for course in CourseFactory.create_batch(40):
        plans.add_course(plan=plan, course=course)
    item = item_of(plan, "Paid Go")
    with django_assert_max_num_queries(2):  # the plan's item rows (with the plan), the UPDATE
        response = client.post(item_url(plan, item, "status"), {"status": "done"}, headers={"HX-Request": "true"})
    assertContains(response, "1 of 45 done")


@pytest.mark.parametrize("status", ["finished", "", "\x00", "d" * 10000])
def test_a_bad_status_is_a_400(client, plan, status):
    item = item_of(plan, "Paid Go")
    assert client.post(item_url(plan, item, "status"), {"status": status}).status_code == 400
    item.refresh_from_db()
    assert item.status == "todo"


def test_a_repeated_tick_changes_nothing_twice(client, plan):
    item = item_of(plan, "Paid Go")
    for _ in range(2):
        assert client.post(item_url(plan, item, "status"), {"status": "done"}).status_code == 302
    assert list(plan.items.filter(status="done").values_list("title", flat=True)) == ["Paid Go"]


def test_two_updates_at_once_to_different_items_both_stay(client, plan):
    """Two tabs: each posts a change of its own item, and neither overwrites the other's."""
    first, second = item_of(plan, "Paid Go"), item_of(plan, "Free SQL")
    plans.set_status(plan=plan, item_id=first.pk, status="done")
    plans.move_item(plan=plan, item_id=second.pk, section=plan.sections.get(anchor="tools"))
    plans.set_status(plan=plan, item_id=second.pk, status="doing")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "done"
    assert (second.status, second.section.anchor) == ("doing", "tools")


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_from_two_connections_both_stay(career, picks):
    plan = plans.create_plan(career=career)
    items = list(plan.items.order_by("pk")[:2])
    barrier, errors = threading.Barrier(2), []

    def tick(item):
        try:
            barrier.wait(5)
            plans.set_status(plan=plan, item_id=item.pk, status="done")
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert plan.items.filter(status="done").count() == 2


# -- the guide changes afterwards ---------------------------------------------------------------------------


def test_editing_and_reordering_the_guide_keeps_every_tick(client, career, plan):
    for title in ["Free SQL", "Paid Book", "Free HTTP"]:
        plans.set_status(plan=plan, item_id=item_of(plan, title).pk, status="done")
    education, skills, tools = career.sections.order_by("position")
    tools.position, education.position = 5, 50
    tools.heading, skills.body = "Renamed tools", "Rewritten."
    for section in (education, skills, tools):
        section.save()
    GuideSectionFactory(career=career, kind="growth", heading="New section", position=1)
    education.picks.clear()

    page = client.get(plan_url(plan))

    assert set(plan.items.filter(status="done").values_list("title", flat=True)) == {
        "Free SQL",
        "Paid Book",
        "Free HTTP",
    }
    assertContains(page, "3 of 5 done")
    assertNotContains(page, "New section")  # the plan is the learner's copy


# -- add, remove, move, switch ---------------------------------------------------------------------------------


def test_add_to_my_plan_on_a_course_page_adds_it_to_this_browsers_plan(client, plan):
    course = CourseFactory(title="Extra Kubernetes")
    client.cookies["cg_plans"] = plan.token
    page = client.get(course.get_absolute_url())
    assertContains(page, f'action="{reverse("guides:plan_add")}"')

    response = client.post(reverse("guides:plan_add"), {"course": course.pk})
    again = client.post(reverse("guides:plan_add"), {"course": course.pk})

    item = item_of(plan, "Extra Kubernetes")
    assert response["Location"] == again["Location"] == f"{plan.get_absolute_url()}#item-{item.pk}"
    assert plan.items.filter(course=course).count() == 1  # a double submit adds it once
    assert item.section.anchor == "added"


def test_add_to_my_plan_in_catalog_results_submits_a_form_outside_the_filter_form(client):
    course = CourseFactory(title="Listed Course")

    html = client.get(reverse("courses:list")).content.decode()

    button = f'<button type="submit" form="add-to-plan" name="course" value="{course.pk}"'
    assert button in html
    after_filters = html.split('<form id="catalog-form"', 1)[1].split("</form>", 1)[1]
    assert f'<form id="add-to-plan" method="post" action="{reverse("guides:plan_add")}"></form>' in after_filters


def test_add_to_my_plan_without_a_plan_starts_one(client):
    course = CourseFactory(title="First Pick")

    response = client.post(reverse("guides:plan_add"), {"course": course.pk})

    plan = LearningPlan.objects.get()
    assert response.cookies["cg_plans"].value == plan.token
    assert list(plan.items.values_list("title", flat=True)) == ["First Pick"]


def test_add_to_my_plan_with_several_plans_asks_which(client, career, picks):
    first, second = plans.create_plan(career=career), plans.create_plan(career=career)
    client.cookies["cg_plans"] = f"{second.token}.{first.token}"
    course = CourseFactory(title="Chosen Later")

    asked = client.post(reverse("guides:plan_add"), {"course": course.pk})
    assertContains(asked, "to which plan?")
    assert not PlanItem.objects.filter(course=course).exists()

    client.post(reverse("guides:plan_item_add", kwargs={"token": first.token}), {"course": course.pk})
    assert list(PlanItem.objects.filter(course=course).values_list("plan", flat=True)) == [first.pk]


@pytest.mark.parametrize("course", ["", "abc", "99999999999999999999999", "1\x00", "-1"])
def test_adding_no_real_course_is_a_400(client, plan, course):
    assert client.post(reverse("guides:plan_add"), {"course": course}).status_code == 400


def test_a_plan_holds_at_most_300_items(client, plan):
    filler = CourseFactory.create_batch(PLAN_MAX_ITEMS - plan.items.count())
    section = plan.sections.first()
    PlanItem.objects.bulk_create(PlanItem(plan=plan, section=section, course=c, title=c.title) for c in filler)
    one_more = CourseFactory()

    response = client.post(reverse("guides:plan_item_add", kwargs={"token": plan.token}), {"course": one_more.pk})

    assert response.status_code == 409
    assertContains(response, "at most 300", status_code=409)
    assert plan.items.count() == PLAN_MAX_ITEMS


def test_remove_an_item_and_repeat_it(client, plan):
    item = item_of(plan, "Paid Go")
    assertContains(client.get(plan_url(plan)), f'formaction="{item_url(plan, item, "remove")}"')
    for _ in range(2):
        assert client.post(item_url(plan, item, "remove")).status_code == 302
    assert not plan.items.filter(pk=item.pk).exists()
    assert plan.items.count() == 4


def test_move_an_item_between_sections_keeps_its_progress(client, plan):
    item = item_of(plan, "Paid Go")
    plans.set_status(plan=plan, item_id=item.pk, status="doing")
    tools = plan.sections.get(anchor="tools")
    assertContains(client.get(plan_url(plan)), f'href="{item_url(plan, item, "move")}"')
    form = client.get(item_url(plan, item, "move"))
    assertContains(form, f'<option value="{tools.pk}">Tools of the trade</option>', html=True)

    response = client.post(item_url(plan, item, "move"), {"section": tools.pk})

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.section, item.status) == (tools, "doing")


def test_an_item_cannot_move_into_another_plans_section(client, career, plan):
    other = plans.create_plan(career=career)
    item = item_of(plan, "Paid Go")

    response = client.post(item_url(plan, item, "move"), {"section": other.sections.first().pk})

    assert response.status_code == 400
    item.refresh_from_db()
    assert item.section.plan == plan


def test_switch_a_paid_item_to_a_free_alternative_on_its_topic(client, plan):
    go = TopicFactory(name="Go")
    item = item_of(plan, "Paid Go")
    item.course.topics.set([go])
    free = CourseFactory(title="Free Go Tour", price=Decimal(0), topics=[go])
    CourseFactory(title="Other Paid Go", price=Decimal(20), topics=[go])
    CourseFactory(title="Free Elsewhere", price=Decimal(0))
    page = client.get(plan_url(plan))
    assertContains(page, f'href="{item_url(plan, item, "alternatives")}"')

    listed = client.get(item_url(plan, item, "alternatives"))
    assertContains(listed, "Free Go Tour")
    assertNotContains(listed, "Other Paid Go")
    assertNotContains(listed, "Free Elsewhere")

    for _ in range(2):  # a double submit switches once
        assert client.post(item_url(plan, item, "alternatives"), {"course": free.pk}).status_code == 302
    item.refresh_from_db()
    assert (item.course, item.title, item.status) == (free, "Free Go Tour", "todo")


def test_no_free_alternative_says_so(client, plan):
    item = item_of(plan, "Paid Go")
    assertContains(client.get(item_url(plan, item, "alternatives")), "We found no free alternative")


def test_a_course_that_leaves_the_catalog_stays_marked_no_longer_offered(client, plan):
    unpublished, deleted = item_of(plan, "Paid Go"), item_of(plan, "Free SQL")
    plans.set_status(plan=plan, item_id=deleted.pk, status="done")
    unpublished.course.published = False
    unpublished.course.save()
    deleted.course.delete()

    page = client.get(plan_url(plan))

    assert page.content.decode().count("No longer offered") == 2
    assertContains(page, "Free SQL")
    assertContains(page, f'href="{item_url(plan, unpublished, "alternatives")}"')
    assert item_of(plan, "Free SQL").status == "done"
    assert client.get(item_url(plan, deleted, "alternatives")).status_code == 200


# -- private, read-only and bounded -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["guides:plan_detail", "guides:plan_print", "guides:plan_csv", "guides:plan_calendar", "guides:plan_delete"]
)
def test_plan_pages_are_private_and_never_indexed(client, plan, name):
    response = client.get(plan_url(plan, name))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"
    if response["Content-Type"].startswith("text/html"):
        assertContains(response, '<meta name="robots" content="noindex, nofollow">')


def test_plan_pages_never_reach_the_page_cache(client, plan):
    client.get(plan_url(plan))
    plan.title = "Renamed elsewhere"
    LearningPlan.objects.filter(pk=plan.pk).update(title="Renamed elsewhere")
    assertContains(client.get(plan_url(plan)), "Renamed elsewhere")


def test_the_shared_link_shows_the_plan_read_only(client, plan):
    shared = reverse("guides:plan_shared", kwargs={"token": plan.share_token})

    page = client.get(shared)

    assertContains(page, "Paid Go")
    assertContains(page, "Shared learning plan")
    assertNotContains(page, "<form")
    assertNotContains(page, plan.token)  # no way back to the editable plan
    assert page["Cache-Control"] == "private, no-store"
    assert page["X-Robots-Tag"] == "noindex, nofollow"


def plan_state(plan):
    """Everything a write could change: the plan's own fields and each item's place, course and status."""
    fields = list(LearningPlan.objects.filter(pk=plan.pk).values_list("title", "hours_per_week"))
    items = list(plan.items.order_by("pk").values_list("pk", "section_id", "course_id", "status"))
    return fields, items


PLAN_WRITES = [
    "plan_shared",
    "plan_detail",
    "plan_delete",
    "plan_item_add",
    "plan_item_status",
    "plan_item_move",
    "plan_item_remove",
    "plan_item_alternatives",
]


@pytest.fixture
def writes(plan):
    """Form data that changes `plan` for each of PLAN_WRITES (an item's routes change Paid Go)."""
    go = TopicFactory(name="Go")
    item_of(plan, "Paid Go").course.topics.set([go])
    pace = {"title": "Hijacked", "hours_per_week": "3"}
    return {
        "plan_shared": pace,
        "plan_detail": pace,
        "plan_delete": {},
        "plan_item_add": {"course": CourseFactory(title="Smuggled In").pk},
        "plan_item_status": {"status": "done"},
        "plan_item_move": {"section": plan.sections.get(anchor="tools").pk},
        "plan_item_remove": {},
        "plan_item_alternatives": {"course": CourseFactory(title="Free Go Tour", price=Decimal(0), topics=[go]).pk},
    }


def write_url(plan, name, token):
    """The address of route `name` of `plan` with `token` in it (and Paid Go's id for an item's routes)."""
    kwargs = {"token": token}
    if name.startswith("plan_item_") and name != "plan_item_add":
        kwargs["item_id"] = item_of(plan, "Paid Go").pk
    return reverse(f"guides:{name}", kwargs=kwargs)


@pytest.mark.parametrize("name", PLAN_WRITES)
def test_every_write_through_the_shared_link_is_a_403(client, plan, writes, name):
    before = plan_state(plan)

    response = client.post(write_url(plan, name, plan.share_token), writes[name])

    assert response.status_code == 403
    assert plan_state(plan) == before
    if name != "plan_shared":  # positive control: the same write with the plan's own token changes it
        assert client.post(write_url(plan, name, plan.token), writes[name]).status_code == 302
        assert plan_state(plan) != before


def test_every_plan_route_that_accepts_a_post_is_in_the_shared_link_test(client, plan):
    """A new write route must join PLAN_WRITES: every other route with a plan token refuses a POST."""
    routes = [p.name for p in get_resolver("guides.urls").url_patterns if "plan_token:token" in str(p.pattern)]
    assert {"plan_detail", "plan_item_status", "plan_print"} <= set(routes)  # positive control: the walk finds them
    for name in set(routes) - set(PLAN_WRITES):
        kwargs = {"token": plan.token} | ({"item_id": plan.items.first().pk} if "item_id" in str(name) else {})
        assert client.post(reverse(f"guides:{name}", kwargs=kwargs)).status_code == 405, name


def form_token(html, action):
    """The CSRF token inside the form that posts to `action` (its action or a button's formaction)."""
    forms = [form for form in re.findall(r"<form\b.*?</form>", html, re.S) if f'action="{action}"' in form]
    assert len(forms) >= 1, f"no form posts to {action}"
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', forms[0])
    assert found, f"the form posting to {action} has no CSRF token"
    return found.group(1)


@pytest.mark.parametrize(
    ("page", "name"),
    [
        ("plan_detail", "plan_item_status"),
        ("plan_detail", "plan_item_remove"),
        ("plan_detail", "plan_detail"),  # the pace
        ("plan_item_move", "plan_item_move"),
        ("plan_item_alternatives", "plan_item_alternatives"),
        ("plan_delete", "plan_delete"),
    ],
)
def test_the_plans_write_forms_need_their_csrf_token(plan, writes, page, name):
    client = Client(enforce_csrf_checks=True)
    html = client.get(write_url(plan, page, plan.token)).content.decode()
    url, before = write_url(plan, name, plan.token), plan_state(plan)

    refused = client.post(url, writes[name])

    assert refused.status_code == 403
    assert plan_state(plan) == before
    accepted = client.post(url, {**writes[name], "csrfmiddlewaretoken": form_token(html, url)})
    assert accepted.status_code == 302
    assert plan_state(plan) != before


def test_the_plan_page_offers_its_address_by_mail_and_to_copy(client, plan):
    address = f"http://testserver{plan.get_absolute_url()}"

    html = client.get(plan_url(plan)).content.decode()

    mailto = unescape(re.search(r'<a class="share__action" href="(mailto:[^"]+)"', html).group(1))
    query = parse_qs(urlsplit(mailto).query)
    assert address in query["body"][0]
    assert plan.title in query["subject"][0]
    share = re.search(r"<div class=\"share\"[^>]*>", html).group(0)
    assert f'data-share-url="{address}"' in share
    assert re.search(r'<li hidden data-share-copy><button type="button"[^>]*>Copy link</button></li>', html)
    assert "js/share.js" in html  # what shows the copy control where the browser can copy
    assert f'value="{address}"' in html  # the address to select by hand without JavaScript


@pytest.mark.parametrize(
    "path",
    [
        "/plans/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
        "/plans/shared/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
        "/plans/short/",
        "/plans/%00%00%00%00%00%00%00%00%00%00%00%00/",
        "/plans/" + "A" * 10000 + "/",
    ],
)
def test_a_wrong_token_is_a_404(client, plan, path):
    assert client.get(path).status_code == 404


def test_an_item_of_another_plan_is_a_404(client, career, plan):
    other = plans.create_plan(career=career)
    theirs = other.items.first()
    url = reverse("guides:plan_item_status", kwargs={"token": plan.token, "item_id": theirs.pk})
    assert client.post(url, {"status": "done"}).status_code == 404
    assert client.post(f"/plans/{plan.token}/items/99999999999999999999/status/", {"status": "done"}).status_code == 404


def test_delete_this_plan_removes_it_for_good(client, plan):
    client.cookies["cg_plans"] = plan.token
    assertContains(client.get(plan_url(plan, "guides:plan_delete")), "cannot be undone")

    response = client.post(plan_url(plan, "guides:plan_delete"))

    assert response.status_code == 302
    assert not LearningPlan.objects.exists()
    assert not PlanItem.objects.exists()
    assert response.cookies["cg_plans"].value == ""
    assert client.get(plan_url(plan)).status_code == 404


def test_plan_creation_is_rate_limited(client, career, settings, one_rate_window):
    settings.PLAN_CREATE_RATE = "2/m"
    statuses = [client.post(reverse("guides:plan_create"), {"career": career.slug}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert LearningPlan.objects.count() == 2


def test_plan_updates_are_rate_limited(client, plan, settings, one_rate_window):
    settings.PLAN_WRITE_RATE = "2/m"
    item = item_of(plan, "Paid Go")
    statuses = [client.post(item_url(plan, item, "status"), {"status": "done"}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert client.get(plan_url(plan)).status_code == 200  # reading is not limited


def test_the_plan_page_reads_a_fixed_number_of_queries(client, plan, django_assert_max_num_queries):
    partner = PartnerFactory()
    for course in CourseFactory.create_batch(40):
        plans.add_course(plan=plan, course=course)
        OfferFactory(course=course, partner=partner)
    with django_assert_max_num_queries(4):  # plan, sections, items, their offers
        response = client.get(plan_url(plan))
    assertContains(response, 'rel="sponsored nofollow noopener"')
    assertContains(response, "Partner link")


def test_plans_are_not_in_the_sitemap(client, plan):
    assertNotContains(client.get("/sitemap.xml"), "/plans/")


# -- take it along ------------------------------------------------------------------------------------------


def test_the_print_view_has_no_navigation_and_its_own_stylesheet(client, plan):
    page = client.get(plan_url(plan, "guides:plan_print"))
    assertContains(page, "print.css")
    assertContains(page, "Paid Go")
    assertNotContains(page, 'aria-label="Main"')
    assertNotContains(page, "<form")


def test_the_csv_export_lists_every_item_and_defuses_formulas(client, plan):
    LearningPlan.objects.filter(pk=plan.pk)
    PlanSection.objects.filter(plan=plan, anchor="tools").update(heading="=HYPERLINK(1)")

    response = client.get(plan_url(plan, "guides:plan_csv"))

    text = response.content.decode()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert text.splitlines()[0] == "Section,Item,Format,Provider,Hours,Price,Currency,Status,Address"
    assert len(text.splitlines()) == 6
    assert "Paid Go" in text
    assert "49.99,USD,To do" in text
    assert "'=HYPERLINK(1)" in text


def test_the_calendar_has_weekly_sessions_at_the_plans_pace(client, plan):
    LearningPlan.objects.filter(pk=plan.pk).update(hours_per_week=Decimal(6))

    response = client.get(plan_url(plan, "guides:plan_calendar"))

    text = response.content.decode()
    assert response["Content-Type"] == "text/calendar"
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    assert "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=21\r\n" in text  # 40 h at 6 h: 7 weeks of 3 sessions
    assert "DURATION:PT2H0M\r\n" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


# -- removing stale plans -------------------------------------------------------------------------------------


def test_remove_stale_plans_removes_only_plans_untouched_for_a_year(career, picks):
    from django.core.management import call_command

    stale, fresh = plans.create_plan(career=career), plans.create_plan(career=career)
    for plan, days in [(stale, 366), (fresh, 300)]:
        LearningPlan.objects.filter(pk=plan.pk).update(touched_at=timezone.now() - dt.timedelta(days=days))
        PlanItem.objects.filter(plan=plan).update(updated_at=timezone.now() - dt.timedelta(days=days))

    call_command("remove_stale_plans")

    assert list(LearningPlan.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not PlanItem.objects.filter(plan_id=stale.pk).exists()


@pytest.mark.parametrize("htmx", [False, True])
def test_a_tick_keeps_a_plan_from_going_stale(client, plan, htmx):
    """A tick writes only its item's row; the plan's touched_at stays as it was, and the item's time counts."""
    from django.core.management import call_command

    a_year_ago = timezone.now() - dt.timedelta(days=366)
    LearningPlan.objects.filter(pk=plan.pk).update(touched_at=a_year_ago)
    PlanItem.objects.filter(plan=plan).update(updated_at=a_year_ago)
    headers = {"HX-Request": "true"} if htmx else {}

    client.post(item_url(plan, item_of(plan, "Paid Go"), "status"), {"status": "done"}, headers=headers)
    call_command("remove_stale_plans")

    assert LearningPlan.objects.filter(pk=plan.pk).exists()


def test_the_pages_progress_and_a_ticks_progress_count_alike(plan):
    """The page counts the items it loaded; a tick counts the rows it read. Both must say the same."""
    plans.set_status(plan=plan, item_id=item_of(plan, "Free SQL").pk, status="done")
    plans.set_status(plan=plan, item_id=item_of(plan, "Paid Book").pk, status="doing")
    gone = item_of(plan, "Unpriced Docker").course
    gone.published = False
    gone.save()

    view = plans.plan_view(plan)
    by_section, whole = plans.read_tick(token=plan.token, item_id=item_of(plan, "Paid Go").pk).progress_by_section()

    assert view.progress == whole
    assert {section.pk: section.progress for section in view.sections} == by_section
    assert whole == plans.Progress(total=5, done=1, doing=1, remaining_hours=Decimal(24), hours_complete=False)


def test_add_to_my_plan_makes_new_plans_within_the_creation_limit(client, settings, one_rate_window):
    settings.PLAN_CREATE_RATE = "2/m"
    courses = CourseFactory.create_batch(3)
    statuses = []
    for course in courses:
        client.cookies.pop("cg_plans", None)  # a client that drops the cookie: a new plan each time
        statuses.append(client.post(reverse("guides:plan_add"), {"course": course.pk}).status_code)
    assert statuses == [302, 302, 429]
    assert LearningPlan.objects.count() == 2
