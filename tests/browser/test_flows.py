"""The learner's and the editor's flows end to end, in Chromium against the live server with the demo data.

Each test follows one flow of the issue as a person would, by clicking, typing and pressing keys, and asserts
what that person would notice. The fixtures fail every test on a console error or a CSP violation.
"""

import re
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import import_module
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from courses.models import Click, Course
from guides.models import Career
from tests.browser.conftest import DESKTOP, PHONE, playwright_api, screenshot, sign_in_to_admin
from tests.factories import EditorFactory, OfferFactory, PartnerFactory

expect = playwright_api.expect

GUIDE = "back-end-engineer"
# Headless Chromium says "HeadlessChrome", which the click log rightly counts as a bot; a learner's browser does not.
LEARNERS_BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
)


# -- 1. learner: guide → recommended course → partner ----------------------------------------------------


class PartnerSite(BaseHTTPRequestHandler):
    """Stands in for a partner's course page: any path answers a small page."""

    def do_GET(self):
        body = b"<!DOCTYPE html><html lang='en'><title>Partner</title><h1>Welcome from careerguide</h1></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # keep the test output quiet


@pytest.fixture
def partner_site():
    """The base URL of a local stand-in for a partner's site."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), PartnerSite)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def first_recommendation(anchor):
    """The first course the guide's section recommends, as the public page lists it."""
    career = Career.objects.published().with_sections().get(slug=GUIDE)
    career.attach_recommendations()
    section = next(section for section in career.visible_sections if section.anchor == anchor)
    return section.recommendations[0]


def test_a_learner_goes_from_the_guide_to_a_partner_with_our_tag_and_the_click_is_counted_once(
    open_browser_page, demo_site, partner_site
):
    course = first_recommendation("skills")
    # The best commission of any partner, so this is the offer the course page puts first.
    partner = PartnerFactory(
        name="Local partner",
        allowed_hosts="127.0.0.1",
        commission_rate=Decimal("90.00"),
        tag_parameters="utm_source=careerguide&aff={tag}",
    )
    offer = OfferFactory(course=course, partner=partner, url=f"{partner_site}/course", commission_tag="flow-1")
    page = open_browser_page()
    page.context.set_extra_http_headers({"User-Agent": LEARNERS_BROWSER})

    page.goto(demo_site.url + "/")
    page.get_by_role("link", name="Back End Engineer").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Back End Engineer")

    page.get_by_role("navigation", name="Contents").locator("a[href='#skills']").click()
    skills = page.locator("section#skills")
    expect(page).to_have_url(re.compile(r"#skills$"))
    expect(skills.get_by_role("heading", level=2)).to_be_in_viewport()

    skills.get_by_role("complementary").get_by_role("link", name=course.title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(course.title)
    partner_link = page.get_by_role("link", name=f"Go to {partner.name}", exact=True)  # where it goes
    expect(partner_link).to_have_attribute("href", offer.get_absolute_url())
    expect(page.get_by_text("Partner link").first).to_be_visible()

    partner_link.click()
    page.wait_for_url(f"{partner_site}/course?*")
    expect(page.get_by_role("heading", name="Welcome from careerguide")).to_be_visible()
    landed = urlsplit(page.url)
    assert (landed.hostname, landed.path) == ("127.0.0.1", "/course")
    assert parse_qs(landed.query)["aff"] == ["flow-1"]
    assert parse_qs(landed.query)["utm_source"] == ["careerguide"]
    click = Click.objects.get(offer=offer)  # exactly one, or this raises
    assert not click.is_bot
    assert click.referrer_path == course.get_absolute_url()


def test_a_phone_reader_jumps_to_the_contents_and_back_from_the_end_of_a_section(page, demo_site):
    page.goto(f"{demo_site.url}/careers/{GUIDE}/")
    contents = page.get_by_role("navigation", name="Contents")
    expect(page.get_by_role("link", name="Contents", exact=True)).to_be_in_viewport()  # at the top of a phone screen
    expect(contents).not_to_be_in_viewport()

    page.get_by_role("link", name="Contents", exact=True).click()
    expect(contents).to_be_in_viewport()
    contents.locator("a[href='#tools']").click()
    tools = page.locator("section#tools")
    expect(tools.get_by_role("heading", level=2)).to_be_in_viewport()
    expect(contents).not_to_be_in_viewport()

    tools.get_by_role("link", name="Back to contents").click()
    expect(contents).to_be_in_viewport()
    screenshot(page, "guide-phone-contents")


@pytest.mark.parametrize("path", ["/", "/courses/"])
def test_on_a_phone_the_search_box_shows_its_examples_whole(page, demo_site, path):
    page.goto(demo_site.url + path)
    search_box = page.get_by_role("combobox", name="Search courses and books")
    hint = page.get_by_text("For example: golang, postgres, system design", exact=True)

    expect(hint).to_be_in_viewport(ratio=1)
    assert hint.evaluate("(element) => element.scrollWidth <= element.clientWidth")  # not cut off
    assert search_box.get_attribute("aria-describedby") == hint.get_attribute("id")
    search_box.fill("postgres")
    expect(hint).to_be_visible()  # unlike a placeholder, it stays while one types


# -- 2 and 3. the catalog, with and without JavaScript ----------------------------------------------------


def book_facet(page):
    """The Book checkbox, found even while the filters are collapsed (out of the accessibility tree)."""
    return page.locator("#f-kind-book")


def result_titles(page):
    return page.locator("ol.results h3").all_text_contents()


def catalog_state(page):
    """What a learner sees of the search: address, announced count, form controls and the first result."""
    return {
        "url": page.url,
        "status": page.locator("#result-status").text_content().strip(),
        "query": page.get_by_role("combobox", name="Search courses and books").input_value(),
        "book": book_facet(page).is_checked(),
        "sort": page.get_by_label("Sort by").input_value(),
        "first_result": result_titles(page)[0],
    }


def expect_catalog_state(page, state):
    """Waits for the catalog to show `state` again (history restores arrive after the address changes)."""
    expect(page).to_have_url(state["url"])
    expect(page.locator("#result-status")).to_have_text(state["status"])
    expect(page.locator("ol.results h3").first).to_have_text(state["first_result"])
    expect(page.get_by_role("combobox", name="Search courses and books")).to_have_value(state["query"])
    expect(book_facet(page)).to_be_checked(checked=state["book"])
    expect(page.get_by_label("Sort by")).to_have_value(state["sort"])


def mark_page(page):
    """Tags the header and the search box: the tags survive a swap of the results, not a page load."""
    page.evaluate("""() => {
        document.querySelector("header.site-header").flowMarker = "kept";
        document.getElementById("id_q").flowMarker = "kept";
    }""")


def page_was_not_reloaded(page):
    return page.evaluate("""() =>
        document.querySelector("header.site-header").flowMarker === "kept"
        && document.getElementById("id_q").flowMarker === "kept"
    """)


def test_catalog_search_with_javascript_swaps_only_the_results_and_back_and_forward_restore_them(page, demo_site):
    page.goto(demo_site.url + "/courses/")
    mark_page(page)
    status = page.locator("#result-status")
    states = [catalog_state(page)]

    page.get_by_role("combobox", name="Search courses and books").fill("design")
    expect(page).to_have_url(re.compile(r"\?q=design&"))
    expect(status).to_have_text(re.compile(r"^\d+ results for “design”, page 1 of \d+"))
    states.append(catalog_state(page))

    page.locator("details.facets > summary").click()  # collapsed on a phone until opened
    book_facet(page).check()
    expect(page).to_have_url(re.compile(r"q=design.*&kind=book"))
    expect(status).not_to_have_text(states[-1]["status"])
    expect(status).to_have_text(re.compile(r"^\d+ results for “design”, page 1 of 2\s*$"))
    states.append(catalog_state(page))
    assert states[-1]["book"]

    relevance_order = result_titles(page)
    page.get_by_label("Sort by").select_option(label="Title A–Z")  # noqa: RUF001
    expect(page).to_have_url(re.compile(r"kind=book.*&sort=title"))
    expect(page.locator("ol.results h3")).not_to_have_text(relevance_order)
    states.append(catalog_state(page))

    page.get_by_role("navigation", name="Result pages").get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"sort=title.*&page=2"))
    expect(status).to_have_text(re.compile(r", page 2 of 2\s*$"))
    states.append(catalog_state(page))

    # The count the live region announces is the one on screen.
    expect(page.locator(".results-count")).to_have_text(states[-1]["status"])
    assert page_was_not_reloaded(page), "the page was reloaded: only the results should change"

    for earlier in reversed(states[1:-1]):
        page.go_back()
        expect_catalog_state(page, earlier)
    assert not book_facet(page).is_checked()  # back at "design" alone, before the facet was ticked

    page.go_forward()
    expect_catalog_state(page, states[2])
    # Only now: a screenshot leaves style="" on inputs (Playwright hides the caret), which htmx's settling
    # would copy onto the swapped-in inputs, a CSP violation of the test's own making.
    screenshot(page, "flow-catalog-js-phone")


def test_catalog_search_and_filters_work_without_javascript_through_plain_form_submits(open_browser_page, demo_site):
    page = open_browser_page(java_script_enabled=False)
    page.goto(demo_site.url + "/courses/")
    count = page.locator(".results-count")
    everything = count.text_content()

    page.get_by_role("searchbox", name="Search courses and books").fill("design")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"\?q=design"))
    expect(count).to_have_text(re.compile(r"^\d+ results for “design”"))
    assert count.text_content() != everything
    all_design = count.text_content()

    page.locator("details.facets > summary").click()  # a <details>: opens without JavaScript too
    book_facet(page).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"q=design.*&kind=book"))
    expect(count).not_to_have_text(all_design)
    expect(book_facet(page)).to_be_checked()
    expect(page.get_by_role("searchbox", name="Search courses and books")).to_have_value("design")

    page.get_by_label("Sort by").select_option(label="Title A–Z")  # noqa: RUF001
    page.get_by_role("button", name="Sort", exact=True).click()
    expect(page).to_have_url(re.compile(r"kind=book.*&sort=title"))

    page.get_by_role("navigation", name="Result pages").get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"sort=title.*&page=2"))
    expect(count).to_have_text(re.compile(r"results for “design”, page 2 of 2\s*$"))
    expect(book_facet(page)).to_be_checked()
    screenshot(page, "flow-catalog-no-js-page-2-phone")


def test_the_phone_catalog_keeps_results_in_sight_and_shows_filters_as_removable_chips(page, demo_site):
    """A learner on a phone: the filters wait behind a button, the results and their count follow the typing,
    each chosen filter is a chip that removes it, "Clear all" removes them all, and paging goes back to the
    top of the results."""
    page.goto(demo_site.url + "/courses/")
    filters = page.locator("details.facets")
    summary = filters.locator("summary")
    count = page.locator(".results-count")
    expect(summary).to_have_text("Filters")
    expect(filters).not_to_have_attribute("open", re.compile(".*"))
    expect(book_facet(page)).to_be_hidden()
    expect(page.locator("ol.results h3").first).to_be_in_viewport()

    page.get_by_role("combobox", name="Search courses and books").press_sequentially("python", delay=40)
    expect(page.locator("#result-status")).to_have_text(re.compile(r"^\d+ results? for “python”"))
    expect(count).to_have_text(re.compile(r"for “python”"))
    expect(count).to_be_in_viewport()  # the count and the first results, under the search box
    expect(page.locator("ol.results h3").first).to_be_in_viewport()
    expect(page).to_have_title(re.compile(r"^Courses and books matching “python”: \d+ results · careerguide$"))

    summary.click()
    book_facet(page).check()
    expect(summary).to_have_text("Filters (1)")
    expect(filters).to_have_attribute("open", "")  # a swap keeps the filters the learner opened
    page.get_by_role("checkbox", name=re.compile(r"^Beginner\b")).check()
    expect(summary).to_have_text("Filters (2)")
    expect(page).to_have_title(re.compile(r"^Beginner books matching “python”: \d+ results? · careerguide$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Beginner books matching “python”")
    chips = page.get_by_role("list", name="Active filters").get_by_role("link")
    expect(chips).to_have_count(2)
    expect(chips.nth(0)).to_have_accessible_name("Remove filter Format: Book")
    expect(chips.nth(1)).to_have_accessible_name("Remove filter Level: Beginner")
    screenshot(page, "flow-catalog-chips-phone")

    page.get_by_role("link", name="Remove filter Format: Book").click()
    expect(page).not_to_have_url(re.compile(r"kind=book"))
    expect(page).to_have_url(re.compile(r"level=beginner"))
    expect(chips).to_have_count(1)
    expect(chips.first).to_have_accessible_name("Remove filter Level: Beginner")
    expect(book_facet(page)).not_to_be_checked()
    expect(page.get_by_role("combobox", name="Search courses and books")).to_have_value("python")

    book_facet(page).check()
    expect(chips).to_have_count(2)
    page.get_by_role("link", name="Clear all filters").click()
    expect(page).to_have_url(re.compile(r"/courses/\?q=python$"))
    expect(page.get_by_role("list", name="Active filters")).to_have_count(0)
    expect(summary).to_have_text("Filters")
    expect(page.get_by_role("heading", level=1)).to_have_text("Courses and books matching “python”")

    page.goto(demo_site.url + "/courses/")
    summary.click()  # a long list of filters open above the results: paging must still land on the results
    next_page = page.get_by_role("navigation", name="Result pages").get_by_role("link", name="Next")
    next_page.scroll_into_view_if_needed()
    expect(count).not_to_be_in_viewport()
    next_page.click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(count).to_have_text(re.compile(r", page 2 of \d+\s*$"))
    expect(count).to_be_in_viewport()  # back at the top of the results, not left at the bottom of the list
    expect(page).to_have_title(re.compile(r", page 2 · careerguide$"))


# -- 4. keyboard only -------------------------------------------------------------------------------------

MAX_TABS = 400
# After each Tab: what has focus, whether it was focused before, and whether a sighted user can see it and the
# focus ring. `window.tabbed` keeps the elements themselves, so identity, not text, decides "focused before".
FOCUSED = """() => {
    const element = document.activeElement;
    window.tabbed = window.tabbed || [];
    const repeated = window.tabbed.includes(element);
    if (!repeated) window.tabbed.push(element);
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0
        && style.outlineColor !== "rgba(0, 0, 0, 0)";
    return {
        name: element.id ? `${element.tagName.toLowerCase()}#${element.id}`
            : `${element.tagName.toLowerCase()} “${element.innerText.trim().slice(0, 40)}”`,
        repeated,
        visible: element.checkVisibility() && box.width > 0 && box.height > 0
            && box.bottom > 0 && box.right > 0 && box.top < innerHeight && box.left < innerWidth,
        ring: outline || style.boxShadow !== "none",
        inMain: Boolean(element.closest("main")),
        inFooter: Boolean(element.closest("footer")),
    };
}"""
# Every control a keyboard user should be able to reach that Tab never focused.
UNREACHED = """() => {
    const controls = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]";
    return [...document.querySelectorAll(controls)]
        .filter((element) => !element.disabled && element.tabIndex >= 0 && element.checkVisibility())
        .filter((element) => !window.tabbed.includes(element))
        .map((element) => element.outerHTML.slice(0, 120));
}"""


def tab_to_the_footer(page):
    """Presses Tab from the top of the page through the footer's links; returns what each press focused."""
    stops = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
        if stops[-1]["repeated"]:
            return stops
        if stops[-1]["inFooter"]:
            # The footer's other links too: pages with career figures add the data's attribution there.
            for _ in range(page.locator("footer a[href]").count() - 1):
                page.keyboard.press("Tab")
                stops.append(page.evaluate(FOCUSED))
            return stops
    pytest.fail(f"{MAX_TABS} presses of Tab never reached the footer; the last were {stops[-5:]}")


def check_keyboard_path(page, url):
    # Focus scrolls the page smoothly unless motion is reduced; reduced, each focused control can be measured at once.
    page.emulate_media(reduced_motion="reduce")
    page.goto(url)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["inMain"], "after the skip link, Tab should go to the page's own content"

    page.goto(url)
    stops = tab_to_the_footer(page)
    assert stops[0]["name"].startswith("a “Skip to content"), stops[0]
    assert [stop for stop in stops if stop["repeated"]] == [], "Tab went round in a loop before the footer"
    assert stops[-1]["inFooter"]
    assert [stop["name"] for stop in stops if not stop["visible"]] == [], "focused but out of sight"
    assert [stop["name"] for stop in stops if not stop["ring"]] == [], "focused without a visible focus ring"
    assert page.evaluate(UNREACHED) == [], "controls that Tab never reaches"
    return stops


def test_a_keyboard_user_can_skip_to_the_guide_and_reach_every_control_with_a_visible_focus(
    open_browser_page, demo_site
):
    page = open_browser_page(viewport=DESKTOP)
    stops = check_keyboard_path(page, f"{demo_site.url}/careers/{GUIDE}/")
    assert any(stop["name"].startswith("a “What you need to know") for stop in stops)  # the table of contents


def test_a_keyboard_user_can_skip_to_the_catalog_and_reach_every_control_with_a_visible_focus(
    open_browser_page, demo_site
):
    page = open_browser_page(viewport=DESKTOP)
    stops = check_keyboard_path(page, f"{demo_site.url}/courses/")
    assert {"input#id_q", "input#f-kind-book", "select#id_sort"} <= {stop["name"] for stop in stops}


# -- 5. editor --------------------------------------------------------------------------------------------


@pytest.fixture
def editors_group(transactional_db):
    """The Editors group, made by the migrations' own code: an earlier test's flush emptied the auth tables."""
    migrated = MigrationLoader(connection).project_state().apps
    import_module("guides.migrations.0002_editors_group").add_editors_group(migrated, None)
    import_module("courses.migrations.0003_editors_edit_catalog").grant(migrated, None)


def test_an_editor_rewords_and_reorders_sections_in_the_admin_and_the_public_guide_shows_both(
    open_browser_page, demo_site, editors_group
):
    editor = EditorFactory()
    first, second = Career.objects.get(slug=GUIDE).sections.order_by("position", "pk")[:2]
    added = "Edited in the browser test: read the manual first."
    page = open_browser_page(viewport=DESKTOP)

    sign_in_to_admin(page, demo_site.url, editor)
    page.get_by_role("link", name="Careers").click()
    page.get_by_role("link", name="Back End Engineer").click()
    rows = page.locator("#sections-group tbody tr.form-row")
    expect(rows.nth(0)).to_contain_text(first.heading)
    expect(rows.nth(1)).to_contain_text(second.heading)

    # The career page lists its sections; a section's text is edited on its own page.
    rows.nth(1).get_by_role("link", name=second.heading).click()
    body = page.locator("#id_body")
    body.fill(body.input_value() + "\n\n" + added)
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    page.goto(f"{demo_site.url}/admin/guides/career/{first.career_id}/change/")
    page.locator("#id_sections-0-position").fill(str(second.position))
    page.locator("#id_sections-1-position").fill(str(first.position))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    screenshot(page, "flow-admin-saved-desktop")

    learner = open_browser_page()
    learner.goto(f"{demo_site.url}/careers/{GUIDE}/")
    contents = learner.get_by_role("navigation", name="Contents").get_by_role("link").all_text_contents()
    assert contents[:2] == [second.heading, first.heading]
    expect(learner.locator(f"section#{second.anchor}")).to_contain_text(added)


def test_an_editor_drafts_a_change_previews_it_publishes_it_and_reverts_it(open_browser_page, demo_site, editors_group):
    editor = EditorFactory()
    section = Career.objects.get(slug=GUIDE).sections.filter(published=True).order_by("position", "pk")[1]
    live_words = section.body.split("\n")[0][:40]
    draft_line = "Draft in the browser test: start with the database."
    page = open_browser_page(viewport=DESKTOP)
    learner = open_browser_page()

    sign_in_to_admin(page, demo_site.url, editor)
    page.goto(f"{demo_site.url}/admin/guides/guidesection/{section.pk}/change/")

    # Save as draft: learners keep the published text.
    body = page.locator("#id_body")
    body.fill(draft_line + "\n\n" + body.input_value())
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".messagelist")).to_contain_text("Draft saved")
    learner.goto(f"{demo_site.url}/careers/{GUIDE}/")
    expect(learner.locator(f"section#{section.anchor}")).not_to_contain_text(draft_line)
    expect(learner.locator(f"section#{section.anchor}")).to_contain_text(live_words)

    # Preview: the page as learners will see it, the draft marked.
    page.get_by_role("link", name="Preview the page with the draft").first.click()
    expect(page.locator(f"section#{section.anchor}")).to_contain_text(draft_line)
    expect(page.locator(f"section#{section.anchor} .badge")).to_have_text("Draft revision")
    screenshot(page, "flow-draft-preview-desktop")
    page.go_back()

    # Publish: learners see it at once.
    page.get_by_role("button", name="Publish draft").click()
    expect(page.locator(".messagelist")).to_contain_text("published")
    learner.reload()
    expect(learner.locator(f"section#{section.anchor}")).to_contain_text(draft_line)

    # Revert from the history to the version before the draft.
    page.get_by_role("link", name="History").click()
    expect(page.locator("#change-history")).to_contain_text("Published the draft")
    expect(page.locator("#change-history")).to_contain_text(editor.username)
    page.locator("#change-history tbody tr").last.get_by_role("link").click()
    page.get_by_role("button", name="Revert").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    learner.reload()
    expect(learner.locator(f"section#{section.anchor}")).not_to_contain_text(draft_line)
    expect(learner.locator(f"section#{section.anchor}")).to_contain_text(live_words)


def test_on_a_phone_an_editor_sees_much_of_a_section_body_at_once(open_browser_page, demo_site, editors_group):
    editor = EditorFactory()
    section = Career.objects.get(slug=GUIDE).sections.order_by("position", "pk")[0]
    page = open_browser_page(viewport=PHONE)

    sign_in_to_admin(page, demo_site.url, editor)
    page.goto(f"{demo_site.url}/admin/guides/guidesection/{section.pk}/change/")

    height = page.locator("#id_body").bounding_box()["height"]
    assert height > 0.5 * PHONE["height"], height  # Django's own phone CSS made it 120 px: five lines


def test_an_editor_previews_a_body_with_a_script_and_is_told_what_the_sanitizer_removed(
    open_browser_page, demo_site, editors_group
):
    editor = EditorFactory()
    section = Career.objects.get(slug=GUIDE).sections.order_by("position", "pk")[0]
    saved_body = section.body
    page = open_browser_page(viewport=DESKTOP)

    sign_in_to_admin(page, demo_site.url, editor)
    page.goto(f"{demo_site.url}/admin/guides/guidesection/{section.pk}/change/")
    page.locator("#id_body").fill(
        'Start with **SQL**.\n\n<script>alert("typed")</script>\n\n<a href="#manual" onclick="steal()">The manual</a>'
    )
    with page.expect_response(lambda response: response.request.headers.get("hx-request") == "true"):
        page.get_by_role("button", name="Preview the body").click()

    preview = page.locator("#markdown-preview")
    expect(preview.locator("strong")).to_have_text("SQL")  # the Markdown, rendered
    expect(preview.get_by_role("link", name="The manual")).to_be_visible()
    warning = preview.locator(".errornote")
    expect(warning).to_contain_text("Not shown to learners, removed: <script>, onclick attribute.")
    expect(preview.locator("script, [onclick]")).to_have_count(0)
    assert page.context.pages == [page]  # swapped in place: the form's new-tab fallback did not open
    screenshot(page, "flow-markdown-preview-removals-desktop")
    section.refresh_from_db()
    assert section.body == saved_body  # a preview saves nothing


def test_an_editor_adds_a_course_with_provider_and_topics_by_keyboard_through_named_autocompletes(
    open_browser_page, demo_site, editors_group
):
    """The select2 boxes announce what they are for ("Provider", "Topics"), not just "combobox", and still work."""
    editor = EditorFactory()
    page = open_browser_page(viewport=DESKTOP)
    sign_in_to_admin(page, demo_site.url, editor)
    page.goto(demo_site.url + "/admin/courses/course/add/")

    page.get_by_label("Title:").fill("Keyboard Added Course")
    page.get_by_label("Url:").fill("https://learn.example.com/keyboard")
    page.get_by_role("combobox", name="Provider").focus()
    page.keyboard.press("Enter")
    page.keyboard.type("Coursera")
    # The list opens on every provider before the typed search answers; Enter picks the highlighted option, so
    # wait until the answer has moved the highlight onto the one typed.
    highlighted = page.locator(".select2-results__option--highlighted")
    expect(highlighted).to_have_text("Coursera")
    page.keyboard.press("Enter")
    page.get_by_role("searchbox", name="Topics").focus()
    page.keyboard.type("PostgreSQL")
    expect(highlighted).to_have_text("PostgreSQL")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    course = Course.objects.get(title="Keyboard Added Course")
    assert course.provider.name == "Coursera"
    assert [topic.name for topic in course.topics.all()] == ["PostgreSQL"]


# -- typeahead (issue 15) ------------------------------------------------------------------------------------


def open_suggestions(page, typed):
    box = page.get_by_role("combobox", name="Search courses and books")
    box.click()
    page.keyboard.type(typed)
    expect(page.get_by_role("listbox", name="Suggestions").get_by_role("option").first).to_be_visible()
    return box


@pytest.mark.parametrize("path", ["/", "/courses/"])
def test_a_keyboard_user_picks_a_suggestion_with_arrows_and_enter_and_escape_closes_the_list(page, demo_site, path):
    page.goto(demo_site.url + path)
    box = open_suggestions(page, "postg")
    listbox = page.get_by_role("listbox", name="Suggestions")
    first = listbox.get_by_role("option").first
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(first).to_contain_text("PostgreSQL")
    # Announced: a status line says how many there are and how to choose.
    expect(page.get_by_role("status").filter(has_text="suggestion")).to_contain_text("use the up and down arrows")

    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_be_focused()  # the focus stays in the box while choosing

    page.keyboard.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("postg")  # the first Escape only closes the list

    page.keyboard.press("ArrowDown")  # opens it again on the first option
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/topics/postgresql/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("PostgreSQL")


def test_enter_with_no_suggestion_chosen_searches_as_before_and_a_second_escape_clears(page, demo_site):
    page.goto(demo_site.url + "/")
    box = open_suggestions(page, "pyth")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    expect(box).to_have_value("")

    open_suggestions(page, "python")
    page.keyboard.press("Enter")
    page.wait_for_url("**/courses/?q=python")
    expect(page.locator("#result-status")).to_contain_text("python")


def test_on_the_catalog_the_suggestions_step_aside_when_the_new_results_arrive(page, demo_site):
    """Typing in the catalog also updates its results: once they arrive, the list no longer covers them."""
    page.goto(demo_site.url + "/courses/")
    box = open_suggestions(page, "postg")
    listbox = page.get_by_role("listbox", name="Suggestions")

    expect(page.locator("#result-status")).to_contain_text("postg")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".results-count")).to_be_in_viewport()

    page.keyboard.press("ArrowDown")  # the suggestions are still there for the keyboard
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-activedescendant", listbox.get_by_role("option").first.get_attribute("id"))
