from tests.browser.conftest import screenshot


def test_the_home_page_loads_in_a_real_browser(page, demo_site):
    page.goto(demo_site.url + "/")

    assert page.title()
    assert page.get_by_role("link", name="Back End Engineer").first.is_visible()
    screenshot(page, "smoke-home-phone")
