"""Learning plans (#17) in Chromium: make one from the guide, tick items with and without JavaScript, print
it, and read it on a phone. The fixtures fail every test on a console error or a CSP violation.
"""

import re

from guides.models import LearningPlan, PlanItem
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, playwright_api

expect = playwright_api.expect
GUIDE = "/careers/back-end-engineer/"


def shot(page, name):
    """A viewport screenshot (what a person sees first), in var/browser-artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def make_plan(page, demo_site):
    page.goto(demo_site.url + GUIDE)
    page.get_by_role("button", name="Make this my plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Back End Engineer plan")
    return LearningPlan.objects.get()


def test_a_learner_makes_a_plan_from_the_guide_and_ticks_an_item_in_place(open_browser_page, demo_site):
    page = open_browser_page(viewport=DESKTOP)
    plan = make_plan(page, demo_site)
    total = plan.items.count()
    assert total > 3
    shot(page, "plan-desktop")
    expect(page.get_by_text(f"Overall: 0 of {total} done")).to_be_visible()
    item = plan.items.order_by("section__position", "position").first()
    url_before = page.url

    page.get_by_label(f"Status of {item.title}", exact=True).select_option("done")

    expect(page.get_by_text(f"Overall: 1 of {total} done")).to_be_visible()  # swapped in, no reload
    assert page.url == url_before
    expect(page.get_by_label(f"Status of {item.title}", exact=True)).to_have_value("done")
    item.refresh_from_db()
    assert item.status == "done"
    # Remove goes through the same form, as a plain post that comes back to the plan.
    last = plan.items.order_by("section__position", "position").last()
    page.get_by_role("button", name=f"Remove {last.title}", exact=True).click()
    expect(page.get_by_text(f"Overall: 1 of {total - 1} done")).to_be_visible()
    assert not PlanItem.objects.filter(pk=last.pk).exists()
    # The address to keep is on the page, and the browser's list finds the plan again.
    expect(page.get_by_label("Your plan's address", exact=True)).to_have_value(
        re.compile(re.escape(plan.get_absolute_url()))
    )
    page.goto(demo_site.url + "/plans/")
    expect(page.get_by_role("link", name="Back End Engineer plan")).to_be_visible()


def test_ticking_works_without_javascript(open_browser_page, demo_site):
    page = open_browser_page(java_script_enabled=False)
    plan = make_plan(page, demo_site)
    total = plan.items.count()
    item = plan.items.order_by("section__position", "position")[1]

    page.get_by_label(f"Status of {item.title}", exact=True).select_option("doing")
    page.get_by_role("button", name=f"Save status of {item.title}", exact=True).click()

    expect(page.get_by_text(f"Overall: 0 of {total} done, 1 in progress")).to_be_visible()
    assert page.url.endswith(f"#item-{item.pk}")
    assert PlanItem.objects.get(pk=item.pk).status == "doing"


def test_the_print_view_shows_the_plan_without_navigation(open_browser_page, demo_site):
    page = open_browser_page(viewport=DESKTOP)
    plan = make_plan(page, demo_site)
    page.get_by_role("link", name="Printable view").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(plan.title)
    expect(page.get_by_role("navigation")).to_have_count(0)
    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="Back to the plan")).to_be_hidden()
    shot(page, "plan-print")


def test_on_a_phone_the_plan_fits_the_screen(open_browser_page, demo_site):
    page = open_browser_page(viewport=PHONE)
    page.goto(demo_site.url + "/courses/?q=python")
    page.get_by_role("button", name=re.compile("^Add to my plan")).first.scroll_into_view_if_needed()
    shot(page, "catalog-add-to-plan-phone")
    page.goto(demo_site.url + GUIDE)
    page.get_by_role("button", name="Make this my plan").scroll_into_view_if_needed()
    shot(page, "guide-make-plan-phone")
    make_plan(page, demo_site)

    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    shot(page, "plan-phone")
    page.locator(".plan-item").first.scroll_into_view_if_needed()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    shot(page, "plan-phone-items")
