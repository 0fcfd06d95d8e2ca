"""Real-browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Run with `make test-browser` (not part of `make test`, which needs nothing but Python). Every page a test
opens fails the test on a console error or a Content-Security-Policy violation. Screenshots go to
var/browser-artifacts/ (git-ignored).
"""

import os
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run beside one unless told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

playwright_api = pytest.importorskip("playwright.sync_api", reason="browser tests need `make test-browser`")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "browser-artifacts"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
# Reported by an init script, which runs before the page's own scripts and is not subject to its CSP.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(item.fspath).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        # A failure, not a skip: `make test-browser` passing with nothing tested would look like a green run.
        pytest.fail(f"no Chromium at {CHROMIUM}: install it with `apt-get install -y chromium` (CI does)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo_site(live_server, transactional_db):
    """The live server with the demo guide, catalog and partners, as `make run` shows them."""
    call_command("load_demo", stdout=StringIO())
    return live_server


class BrowserErrors(list):
    """Console errors and CSP violations seen by a page; checked after each test."""


def open_page(browser, *, viewport=PHONE, java_script_enabled=True):
    context = browser.new_context(viewport=viewport, java_script_enabled=java_script_enabled)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.errors = BrowserErrors()
    page.on("console", lambda message: page.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


@pytest.fixture
def page(browser):
    """A phone-sized page with JavaScript; the test fails on any console error or CSP violation."""
    page = open_page(browser)
    yield page
    errors = list(page.errors)
    page.context.close()
    assert errors == [], f"console errors or CSP violations: {errors}"


@pytest.fixture
def open_browser_page(browser):
    """Factory for more pages (other viewports, JavaScript off); each is checked for errors like `page`."""
    pages = []

    def factory(**options):
        pages.append(open_page(browser, **options))
        return pages[-1]

    yield factory
    errors = [error for page in pages for error in page.errors]
    for page in pages:
        page.context.close()
    assert errors == [], f"console errors or CSP violations: {errors}"


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in_to_admin(page, url, user):
    """Signs `user` (made by the factories, with their password) in to the admin at `url` and waits for its index."""
    page.goto(url + "/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(url + "/admin/")
