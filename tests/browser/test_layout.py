"""Every page type fits a phone (375 by 812) and a desktop (1280 by 800) without sideways scrolling.

Each page is also saved as a screenshot, <page>-<phone|desktop>.png in var/browser-artifacts/, for a person to look at.
"""

import pytest

from courses.models import Course, Partner, Topic
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.factories import ClickFactory, ConversionFactory

# Elements reaching past the right edge of the window, the widest first: what to fix when a page scrolls sideways.
OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= innerWidth) return null;
    return [...document.querySelectorAll("body *")]
        .map((element) => [element, element.getBoundingClientRect().right])
        .filter(([, right]) => right > width + 0.5)
        .sort(([, a], [, b]) => b - a)
        .slice(0, 5)
        .map(([element, right]) => `${element.outerHTML.slice(0, 100)} (right edge ${Math.round(right)}px)`);
}"""


def page_types():
    """One address for each kind of page a learner or partner can land on, with the status it answers."""
    course = Course.objects.published().filter(kind=Course.Kind.COURSE).first()
    book = Course.objects.published().filter(kind=Course.Kind.BOOK).first()
    topic = Topic.objects.filter(courses__published=True).first()
    partner = Partner.objects.first()
    # Figures in the report, so its tables are drawn: they are the widest thing a partner sees.
    clicks = ClickFactory.create_batch(3, offer=partner.offers.first())
    ConversionFactory(click=clicks[0])
    return {
        "home": ("/", 200),
        "careers": ("/careers/", 200),
        "guide": ("/careers/back-end-engineer/", 200),
        "catalog": ("/courses/", 200),
        "catalog-empty": ("/courses/?q=zzzzqqq", 200),
        "course": (course.get_absolute_url(), 200),
        "book": (book.get_absolute_url(), 200),
        "topics": ("/topics/", 200),
        "topic": (topic.get_absolute_url(), 200),
        "disclosure": ("/disclosure/", 200),
        "not-found": ("/no-such-page/", 404),
        "partner-report": (partner.get_report_url(), 200),
    }


@pytest.mark.parametrize(("device", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_no_page_type_scrolls_sideways(open_browser_page, demo_site, device, viewport):
    page = open_browser_page(viewport=viewport)
    overflowing = {}
    for name, (path, status) in page_types().items():
        response = page.goto(demo_site.url + path)
        assert response.status == status, f"{name}: {path} answered {response.status}"
        if status == 404:
            # Chromium logs the page's own 404 as a console error: expected here, and only here.
            page.errors[:] = [error for error in page.errors if "status of 404" not in error]
        screenshot(page, f"{name}-{device}")
        if culprits := page.evaluate(OVERFLOW):
            overflowing[f"{name} ({path})"] = culprits
    assert overflowing == {}, "pages wider than the window"
