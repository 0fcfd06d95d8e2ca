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

from courses.models import Course, Partner, Topic
from tests.browser.conftest import DESKTOP, PHONE
from tests.factories import ClickFactory, ConversionFactory

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


def run_axe(page) -> list[dict]:
    return axe_playwright.Axe().run(page, options=AXE_OPTIONS).response["violations"]


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
    # htmx takes the fragment's root-level <title> for the tab's title, so it goes in the head here.
    title, body = re.fullmatch(r"(<title>[^<]*</title>)(.*)", fragment.text(), re.S).groups()
    documents["catalog fragment (htmx, /courses/?q=sql)"] = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{title}</head>'
        f"<body><main>{body}</main></body></html>"
    )
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
    if warnings:
        print("Nu HTML Checker warnings and info (not failures):\n" + "\n".join(warnings))
    assert errors == [], "Nu HTML Checker errors:\n" + "\n".join(errors)
