"""Every page type passes axe-core's WCAG 2.2 A/AA rules at phone and desktop widths, and the Nu HTML Checker.

axe-core comes bundled in axe-playwright-python (the `browser` extra); vnu.jar comes from npm and runs on the
machine's Java (`make test-browser` sets VNU_JAR). The partner report gets a few clicks and a conversion so its
tables render, not just "Nothing in this range".
"""

import json
import os
import re
import shutil
import subprocess
from importlib import import_module
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from courses.models import Course, Feed, FeedPull, Partner, Topic
from courses.services import retire_courses
from guides import plans
from guides.models import Career, GuideSection
from tests.browser.conftest import DESKTOP, PHONE, sign_in_to_admin
from tests.factories import ClickFactory, ConversionFactory, PartnerManagerFactory, UserFactory

axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright", reason="needs the `browser` extra")

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Only rules tagged with these run, so axe's best-practice rules (region, heading-order, …) stay off.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
COLOR_SCHEMES = ["light", "dark"]  # site.css has a dark palette; its contrast counts too


@pytest.fixture
def page_types(demo_site):
    """Path of one page of each type, keyed by a name for messages; partner links and report rows included."""
    course = (
        Course.objects.published()
        .filter(kind="course", offers__active=True)
        .annotate(offer_count=Count("offers"))
        .order_by("-offer_count", "pk")
        .first()
    )
    book = Course.objects.published().filter(kind="book").order_by("pk").first()
    topic = Topic.objects.filter(courses__published=True).order_by("pk").first()
    partner = Partner.objects.filter(offers__isnull=False).order_by("pk").first()
    assert course, "load_demo should make a course with a partner offer"
    assert book, "load_demo should make a book"
    assert topic, "load_demo should make a topic with published items"
    assert partner, "load_demo should make a partner with offers"
    offer = partner.offers.order_by("pk").first()
    ClickFactory.create_batch(2, offer=offer, referrer_path="/careers/back-end-engineer/")
    ConversionFactory(click=ClickFactory(offer=offer), partner=partner)
    career = Career.objects.get(slug="back-end-engineer")
    plan = plans.create_plan(career=career)
    first, *_, last = plan.items.order_by("pk")
    plans.set_status(plan=plan, item_id=first.pk, status="done")
    Course.objects.filter(pk=last.course_id).update(published=False)  # one item "no longer offered"
    # A guide pick its feed dropped: its page answers 410 with alternatives, the guide marks it "no longer offered".
    retired = Course.objects.published().exclude(pk__in=[course.pk, book.pk]).order_by("-pk").first()
    GuideSection.objects.filter(career=career, published=True).order_by("position").first().picks.add(retired)
    retire_courses(Course.objects.filter(pk=retired.pk))
    return {
        "home": "/",
        "careers": "/careers/",
        "guide": "/careers/back-end-engineer/",
        "career explorer search": "/careers/?q=engineer&zone=4&sort=pay",
        "career profile": "/careers/information-security-analysts/",
        "career compare": "/careers/compare/?a=back-end-engineer&b=software-developers",
        "career compare empty": "/careers/compare/",
        "interests": "/careers/interests/",
        "interest": "/careers/interests/artistic/",
        "catalog": "/courses/?q=python",
        "catalog page 2": "/courses/?page=2",  # pagination links, both ways
        "empty results": "/courses/?q=zzzzqqq",
        "catalog with chips": "/courses/?q=python&kind=course&level=beginner",
        "empty results with filters": "/courses/?q=zzzzqqq&kind=book",
        "course": course.get_absolute_url(),
        "book": book.get_absolute_url(),
        "retired course (410)": retired.get_absolute_url(),
        "topics": "/topics/",
        "topic": topic.get_absolute_url(),
        "disclosure": "/disclosure/",
        "404": "/no-such-page/",
        "partner report": partner.get_report_url(),
        "plan": plan.get_absolute_url(),
        "shared plan": plan.get_shared_url(),
        "plan print view": reverse("guides:plan_print", kwargs={"token": plan.token}),
        "plan alternatives": reverse("guides:plan_item_alternatives", kwargs={"token": plan.token, "item_id": last.pk}),
        "plan delete": reverse("guides:plan_delete", kwargs={"token": plan.token}),
        "plan move": reverse("guides:plan_item_move", kwargs={"token": plan.token, "item_id": first.pk}),
        "my plans": reverse("guides:plan_list"),
    }


EXPECTED_ERROR_STATUSES = {"404": 404, "retired course (410)": 410}


def visit(page, url):
    """Open `url`; a 404 page's own status is expected, so Chromium's console line about it is not an error."""
    seen = len(page.errors)
    response = page.goto(url)
    if response.status in EXPECTED_ERROR_STATUSES.values():
        reason = {404: "Not Found", 410: "Gone"}[response.status]
        document_error = f"Failed to load resource: the server responded with a status of {response.status} ({reason})"
        assert page.errors[seen:] == [document_error], page.errors[seen:]
        del page.errors[seen:]
    return response


def run_axe(page, *, preload=True) -> list[dict]:
    """axe's violations on the page as it is. With `preload`, axe first fetches every stylesheet itself and copies
    it into <style> elements; the admin's forms.css `@import`s widgets.css by a relative address that axe resolves
    against the page, not the sheet, so there that preload only makes a 404 and CSP errors of axe's own."""
    options = AXE_OPTIONS if preload else {**AXE_OPTIONS, "preload": False}
    return axe_playwright.Axe().run(page, options=options).response["violations"]


def describe(violations_by_page: dict[str, list[dict]]) -> str:
    lines = []
    for name, violations in violations_by_page.items():
        for violation in violations:
            lines.append(f"{name}: {violation['id']} ({violation['impact']}) {violation['help']}")
            lines.append(f"  {violation['helpUrl']}")
            for node in violation["nodes"]:
                summary = " ".join(node["failureSummary"].split())
                lines.append(f"    {' '.join(map(str, node['target']))}: {summary}")
                lines.append(f"      {node['html'][:200]}")
    return "\n".join(lines)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_page_type_has_no_axe_wcag_violations(open_browser_page, demo_site, page_types, viewport):
    page = open_browser_page(viewport=VIEWPORTS[viewport])
    found = {}
    for name, path in page_types.items():
        visit(page, demo_site.url + path)
        for scheme in COLOR_SCHEMES:
            page.emulate_media(color_scheme=scheme)
            if violations := run_axe(page):
                found[f"{name} ({path}, {viewport}, {scheme})"] = violations

    assert found == {}, "axe-core WCAG 2.2 AA violations:\n" + describe(found)


def test_the_catalog_after_an_htmx_swap_has_no_axe_violations(page, demo_site):
    page.goto(demo_site.url + "/courses/?q=python")
    status = page.locator("#result-status")
    before = status.text_content()

    with page.expect_response(lambda response: response.request.headers.get("hx-request") == "true"):
        page.fill("#id_q", "sql")
    page.wait_for_function("document.querySelector('#result-status').textContent.includes('sql')")

    assert "q=sql" in page.url  # data-hx-push-url
    assert status.text_content() != before  # the out-of-band live region got the new count
    assert page.locator("#catalog .catalog__results").count() == 1  # swapped inside #catalog, not replacing it
    assert page.locator("[id=result-status]").count() == 1  # the out-of-band wrapper left no second id behind
    violations = run_axe(page)
    assert violations == [], "axe-core WCAG 2.2 AA violations after the swap:\n" + describe({"catalog": violations})


def vnu_command() -> list[str]:
    jar = os.environ.get("VNU_JAR")
    if not jar:
        pytest.skip("VNU_JAR is unset: run `make test-browser`, which installs vnu-jar from npm")
    if not Path(jar).is_file():
        pytest.skip(f"no vnu.jar at VNU_JAR={jar}")
    java = shutil.which("java")
    if not java:
        pytest.skip("no java on PATH to run the Nu HTML Checker")
    return [java, "-jar", jar, "--format", "json", "--exit-zero-always"]


def checked_message(message: dict, names: dict[str, str]) -> str:
    where = names.get(message.get("url", "").removeprefix("file:"), message.get("url", "?"))
    extract = " ".join(message.get("extract", "").split())
    return f"{where}, line {message.get('lastLine', '?')}: {message['message']} [{extract}]"


def check_with_vnu(command: list[str], documents: dict[str, str], tmp_path) -> tuple[list[str], list[str]]:
    """The Nu checker's (errors, warnings) on each document, keyed by name in the messages."""
    names = {}
    for number, (name, html) in enumerate(documents.items()):
        path = tmp_path / f"page-{number}.html"
        path.write_text(html, encoding="utf-8")
        names[str(path)] = name
    # One JVM for every document: starting it is most of the cost. JSON goes to stderr; exit is 0 whatever it finds.
    result = subprocess.run([*command, *names], capture_output=True, text=True, timeout=300, check=True)
    messages = json.loads(result.stderr)["messages"]
    assert {names.get(m.get("url", "").removeprefix("file:")) for m in messages} <= set(documents), messages
    errors = [checked_message(m, names) for m in messages if m["type"] in ("error", "non-document-error")]
    warnings = [checked_message(m, names) for m in messages if m["type"] not in ("error", "non-document-error")]
    return errors, warnings


def test_every_page_type_is_valid_html(page, demo_site, page_types, tmp_path):
    command = vnu_command()
    documents = {}
    for name, path in page_types.items():
        response = page.request.get(demo_site.url + path)  # the markup as served, not the live DOM
        assert response.status == EXPECTED_ERROR_STATUSES.get(name, 200), name
        documents[f"{name} ({path})"] = response.text()
    # The fragment htmx swaps into #catalog, in a minimal document of its own.
    fragment = page.request.get(demo_site.url + "/courses/?q=sql", headers={"HX-Request": "true"})
    assert fragment.ok
    assert "<html" not in fragment.text()
    # htmx takes the fragment's root-level <title> for the tab's title, so it goes in the head here. The page
    # around it keeps the form its "Add to my plan" buttons name (outside the filter form: no nested forms).
    title, body = re.fullmatch(r"(<title>[^<]*</title>)(.*)", fragment.text(), re.S).groups()
    add_to_plan = re.search(r'<form id="add-to-plan"[^>]*></form>', documents["catalog (/courses/?q=python)"])
    documents["catalog fragment (htmx, /courses/?q=sql)"] = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{title}</head>'
        f"<body><main>{body}</main>{add_to_plan.group(0)}</body></html>"
    )
    errors, warnings = check_with_vnu(command, documents, tmp_path)
    if warnings:
        print("Nu HTML Checker warnings and info (not failures):\n" + "\n".join(warnings))
    assert errors == [], "Nu HTML Checker errors:\n" + "\n".join(errors)


# -- the admin: the pages editors and partner managers work in -----------------------------------------------


# A body as an editor might paste it: Markdown, a script and an inline handler the sanitizer takes out.
HOSTILE_BODY = 'Learn **SQL** first.\n\n<script>alert(1)</script>\n\n<a href="#manual" onclick="steal()">The manual</a>'


@pytest.fixture
def admin_page_types(demo_site):
    """Path of each admin page type #14 touched, for a superuser (who sees every link an editor or partner
    manager sees): the index with its Reports section, the compact career page, a section with picks (select2
    autocomplete), one with a draft revision waiting (its Publish and Discard buttons) and the staff preview
    showing that draft, the history lists of sections, careers, courses and topics and a version with a diff, a
    course to add and to change, a topic, the partner report and the password change a one-time password leads
    to."""
    section = GuideSection.objects.filter(picks__isnull=False).order_by("pk").first() or GuideSection.objects.first()
    section.body += "\n\nA second version, so the history has a diff."
    section.save()
    version = section.history.order_by("history_date").first()
    drafted = (
        GuideSection.objects.filter(published=True, career__published=True).exclude(pk=section.pk).order_by("pk")
    ).first()
    drafted.save_draft(
        heading=drafted.heading,
        body="A waiting revision, shown in the preview.\n\n" + drafted.body,
        live_heading=drafted.heading,
        live_body=drafted.body,
    )
    drafted.save()
    career = section.career
    career.summary += " Edited once, so its history has a diff."
    career.save()
    course = Course.objects.published().filter(topics__isnull=False).order_by("pk").first()
    course.save()  # load_demo's bulk loads leave no versions: a first one, then a change
    course.description += " Edited once, so its history has a diff."
    course.save()
    topic = Topic.objects.order_by("pk").first()
    topic.save()
    feed = Feed.objects.create(
        name="Learn Example catalog", source="learn-example", url="https://feeds.example.com/catalog.jsonl.gz",
        partner=Partner.objects.order_by("pk").first(), credentials_env="FEED_AUTH_LEARN_EXAMPLE",
    )  # fmt: skip
    FeedPull.objects.create(feed=feed, started_at=timezone.now(), status="imported", created=120, unchanged=3)
    FeedPull.objects.create(
        feed=feed, started_at=timezone.now(), status="held", unchanged=80, live_before=123, to_retire=43
    )
    return {
        "admin index": "/admin/",
        "career (sections inline)": f"/admin/guides/career/{career.pk}/change/",
        "career history": f"/admin/guides/career/{career.pk}/history/",
        "section list": "/admin/guides/guidesection/",
        "section (picks, preview)": f"/admin/guides/guidesection/{section.pk}/change/",
        "section (draft revision waiting)": f"/admin/guides/guidesection/{drafted.pk}/change/",
        "guide preview (draft revision)": reverse("guides:career_preview", kwargs={"slug": drafted.career.slug}),
        "section history": f"/admin/guides/guidesection/{section.pk}/history/",
        "section version (diff)": f"/admin/guides/guidesection/{section.pk}/history/{version.pk}/",
        "course list": "/admin/courses/course/",
        "course add": "/admin/courses/course/add/",
        "course": f"/admin/courses/course/{course.pk}/change/",
        "course history": f"/admin/courses/course/{course.pk}/history/",
        "topic": f"/admin/courses/topic/{topic.pk}/change/",
        "topic history": f"/admin/courses/topic/{topic.pk}/history/",
        "partner report": "/admin/courses/partner/report/",
        "feed": f"/admin/courses/feed/{feed.pk}/change/",
        "feed add": "/admin/courses/feed/add/",
        "feed pulls (one held)": "/admin/courses/feedpull/",
        "password change": "/admin/password_change/",
    }


@pytest.fixture
def partner_managers_group(transactional_db):
    """The Partner managers group, made by its migration's own code: an earlier test's flush emptied the auth tables."""
    migrated = MigrationLoader(connection).project_state().apps
    import_module("courses.migrations.0005_partner_managers_group").grant(migrated, None)


@pytest.fixture
def view_only_page_types(admin_page_types, partner_managers_group):
    """Path of each admin page type a view-only partner manager reads: a course's earlier version, as values."""
    version = Course.history.order_by("history_date").first()  # admin_page_types gave a course its versions
    return {"course version (view only)": f"/admin/courses/course/{version.id}/history/{version.history_id}/"}


def preview_without_javascript(page, url):
    """The admin's "Preview the body" as a browser without JavaScript sends it (`page` has it off): the whole
    section form, posted into a new tab. Returns the answer that tab shows."""
    page.goto(url + f"/admin/guides/guidesection/{GuideSection.objects.order_by('pk').first().pk}/change/")
    page.locator("#id_body").fill(HOSTILE_BODY)
    preview = reverse("guides:markdown_preview")
    posted = page.context.expect_event("response", lambda response: response.url.endswith(preview))
    with posted as answer, page.expect_popup() as tab:
        page.get_by_role("button", name="Preview the body").click()
    tab.value.wait_for_load_state()
    assert answer.value.status == 200
    assert "removed" in answer.value.text()  # the page with the sanitizer's warning, not a sign-in page
    return answer.value


def show_again(page, answer):
    """Open `answer`'s address in `page`, answered with what the server sent then: axe needs JavaScript (without
    it its timers never fire), and a POST's answer cannot be fetched again. Its body comes decompressed."""
    headers = {k: v for k, v in answer.all_headers().items() if k not in ("content-encoding", "content-length")}
    body = answer.body()
    page.route(answer.url, lambda route: route.fulfill(status=200, headers=headers, body=body), times=1)
    assert page.goto(answer.url).ok  # not a GET's 405
    page.unroute(answer.url)


def admin_axe_violations(page, where: str) -> dict[str, list[dict]]:
    """axe's violations on the admin page as it is, in light and dark, keyed by `where` and the scheme."""
    found = {}
    for scheme in COLOR_SCHEMES:
        page.emulate_media(color_scheme=scheme)
        page.wait_for_timeout(300)  # the admin's links fade between colours (0.15 s): judge the settled ones
        if violations := run_axe(page, preload=False):
            found[f"{where}, {scheme})"] = violations
    return found


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_admin_page_type_has_no_axe_wcag_violations(
    open_browser_page, demo_site, admin_page_types, view_only_page_types, viewport
):
    page = open_browser_page(viewport=VIEWPORTS[viewport])
    page.goto(demo_site.url + "/admin/login/")
    found = admin_axe_violations(page, f"admin sign-in ({viewport}")
    superuser = UserFactory(is_staff=True, is_superuser=True)
    sign_in_to_admin(page, demo_site.url, superuser)
    for name, path in admin_page_types.items():
        page.goto(demo_site.url + path)
        found |= admin_axe_violations(page, f"{name} ({path}, {viewport}")
    no_javascript = open_browser_page(java_script_enabled=False)
    sign_in_to_admin(no_javascript, demo_site.url, superuser)
    show_again(page, preview_without_javascript(no_javascript, demo_site.url))
    found |= admin_axe_violations(page, f"Markdown preview without JavaScript (POST, {viewport}")
    manager = open_browser_page(viewport=VIEWPORTS[viewport])
    sign_in_to_admin(manager, demo_site.url, PartnerManagerFactory())
    for name, path in view_only_page_types.items():
        manager.goto(demo_site.url + path)
        found |= admin_axe_violations(manager, f"{name} ({path}, partner manager, {viewport}")

    assert found == {}, "axe-core WCAG 2.2 AA violations:\n" + describe(found)


def test_every_admin_page_type_is_valid_html(
    open_browser_page, demo_site, admin_page_types, view_only_page_types, tmp_path
):
    command = vnu_command()
    page = open_browser_page(java_script_enabled=False)  # the preview's form posts as it does without JavaScript
    documents = {"admin sign-in (/admin/login/)": page.request.get(demo_site.url + "/admin/login/").text()}
    sign_in_to_admin(page, demo_site.url, UserFactory(is_staff=True, is_superuser=True))
    for name, path in admin_page_types.items():
        response = page.request.get(demo_site.url + path)  # shares the signed-in context's cookies
        assert response.status == 200, name
        documents[f"{name} ({path})"] = response.text()
    documents["Markdown preview without JavaScript (POST)"] = preview_without_javascript(page, demo_site.url).text()
    manager = open_browser_page()
    sign_in_to_admin(manager, demo_site.url, PartnerManagerFactory())
    for name, path in view_only_page_types.items():
        response = manager.request.get(demo_site.url + path)
        assert response.status == 200, name
        assert 'value="Revert"' not in response.text(), name  # the values only
        documents[f"{name} ({path}, partner manager)"] = response.text()
    served = "".join(documents.values())
    assert 'name="_discard_draft"' in served  # the section with a draft waiting offers to discard it
    assert '<span class="badge">Draft revision</span>' in served  # and the staff preview shows that draft
    errors, _ = check_with_vnu(command, documents, tmp_path)

    assert errors == [], "Nu HTML Checker errors:\n" + "\n".join(errors)


# -- the search suggestions, open ----------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_search_boxes_with_suggestions_open_have_no_axe_violations(open_browser_page, demo_site, viewport):
    page = open_browser_page(viewport=VIEWPORTS[viewport])
    found = {}
    for path in ("/", "/courses/?q=python"):
        page.goto(demo_site.url + path)
        box = page.get_by_role("combobox", name="Search courses and books")
        box.fill("")
        box.click()
        page.keyboard.type("postg")
        page.get_by_role("listbox", name="Suggestions").get_by_role("option").first.wait_for()
        page.keyboard.press("ArrowDown")
        # On the catalog, typing also fetches new results, dimmed until they arrive: judge the settled page.
        page.wait_for_load_state("networkidle")
        page.wait_for_function("!document.querySelector('.htmx-request')")
        page.wait_for_timeout(300)
        for scheme in COLOR_SCHEMES:
            page.emulate_media(color_scheme=scheme)
            if violations := run_axe(page):
                found[f"suggestions open ({path}, {viewport}, {scheme})"] = violations

    assert found == {}, "axe-core WCAG 2.2 AA violations:\n" + describe(found)


def test_the_suggestions_fragment_is_valid_html_in_its_listbox(page, demo_site, tmp_path):
    command = vnu_command()
    fragment = page.request.get(demo_site.url + "/courses/suggest/?q=postg").text()
    assert 'role="option"' in fragment
    document = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Suggestions</title></head><body>'
        '<input type="text" role="combobox" aria-label="Search" aria-controls="s" aria-expanded="true">'
        f'<ul id="s" role="listbox" aria-label="Suggestions">{fragment}</ul></body></html>'
    )

    errors, _ = check_with_vnu(command, {"suggestions (/courses/suggest/?q=postg)": document}, tmp_path)

    assert errors == []
