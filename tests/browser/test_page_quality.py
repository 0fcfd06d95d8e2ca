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
from pathlib import Path

import pytest
from django.db.models import Count
from django.urls import reverse

from courses.models import Course, Partner, Topic
from guides import plans
from guides.models import Career, GuideSection
from tests.browser.conftest import DESKTOP, PHONE
from tests.factories import ClickFactory, ConversionFactory, UserFactory

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


def visit(page, url):
    """Open `url`; a 404 page's own status is expected, so Chromium's console line about it is not an error."""
    seen = len(page.errors)
    response = page.goto(url)
    if response.status == 404:
        document_404 = "Failed to load resource: the server responded with a status of 404 (Not Found)"
        assert page.errors[seen:] == [document_404], page.errors[seen:]
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
        assert response.status == (404 if name == "404" else 200), name
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


@pytest.fixture
def admin_page_types(demo_site):
    """Path of each admin page type #14 touched, for a superuser (who sees every link an editor or partner
    manager sees): the index with its Reports section, the compact career page, a section with picks (select2
    autocomplete), its history list and a version with a diff, a course to add and to change, a topic, the
    partner report and the password change a one-time password leads to."""
    section = GuideSection.objects.filter(picks__isnull=False).order_by("pk").first() or GuideSection.objects.first()
    section.body += "\n\nA second version, so the history has a diff."
    section.save()
    version = section.history.order_by("history_date").first()
    course = Course.objects.published().filter(topics__isnull=False).order_by("pk").first()
    topic = Topic.objects.order_by("pk").first()
    return {
        "admin index": "/admin/",
        "career (sections inline)": f"/admin/guides/career/{section.career_id}/change/",
        "section list": "/admin/guides/guidesection/",
        "section (picks, preview)": f"/admin/guides/guidesection/{section.pk}/change/",
        "section history": f"/admin/guides/guidesection/{section.pk}/history/",
        "section version (diff)": f"/admin/guides/guidesection/{section.pk}/history/{version.pk}/",
        "course list": "/admin/courses/course/",
        "course add": "/admin/courses/course/add/",
        "course": f"/admin/courses/course/{course.pk}/change/",
        "topic": f"/admin/courses/topic/{topic.pk}/change/",
        "partner report": "/admin/courses/partner/report/",
        "password change": "/admin/password_change/",
    }


def sign_in_to_admin(page, url, user):
    page.goto(url + "/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(url + "/admin/")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_admin_page_type_has_no_axe_wcag_violations(open_browser_page, demo_site, admin_page_types, viewport):
    page = open_browser_page(viewport=VIEWPORTS[viewport])
    found = {}
    page.goto(demo_site.url + "/admin/login/")
    for scheme in COLOR_SCHEMES:
        page.emulate_media(color_scheme=scheme)
        page.wait_for_timeout(300)
        if violations := run_axe(page, preload=False):
            found[f"admin sign-in ({viewport}, {scheme})"] = violations
    sign_in_to_admin(page, demo_site.url, UserFactory(is_staff=True, is_superuser=True))
    for name, path in admin_page_types.items():
        page.goto(demo_site.url + path)
        for scheme in COLOR_SCHEMES:
            page.emulate_media(color_scheme=scheme)
            page.wait_for_timeout(300)  # the admin's links fade between colours (0.15 s): judge the settled ones
            if violations := run_axe(page, preload=False):
                found[f"{name} ({path}, {viewport}, {scheme})"] = violations

    assert found == {}, "axe-core WCAG 2.2 AA violations:\n" + describe(found)


def test_every_admin_page_type_is_valid_html(page, demo_site, admin_page_types, tmp_path):
    command = vnu_command()
    documents = {"admin sign-in (/admin/login/)": page.request.get(demo_site.url + "/admin/login/").text()}
    sign_in_to_admin(page, demo_site.url, UserFactory(is_staff=True, is_superuser=True))
    for name, path in admin_page_types.items():
        response = page.request.get(demo_site.url + path)  # shares the signed-in context's cookies
        assert response.status == 200, name
        documents[f"{name} ({path})"] = response.text()
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
