"""The career explorer, compare and interest pages in a real browser, with and without JavaScript (#16)."""

import re

from tests.browser.conftest import playwright_api, screenshot

expect = playwright_api.expect


def career_titles(page) -> list[str]:
    return page.locator("ol.careers .career-row__title > a").all_text_contents()


def test_explorer_search_and_filters_with_javascript_swap_only_the_results(page, demo_site):
    page.goto(demo_site.url + "/careers/")
    page.evaluate('document.querySelector("header.site-header").flowMarker = "kept"')
    count = page.locator(".results-count")
    expect(count).to_have_text("1016 careers")

    page.get_by_role("searchbox", name="Search careers by job title").fill("backend developer")
    expect(page).to_have_url(re.compile(r"\?q=backend(\+|%20)developer"))
    expect(count).to_have_text("1 career")
    assert career_titles(page) == ["Web Developers"]
    expect(page.locator("ol.careers")).to_contain_text("Also called Back End Developer")

    page.get_by_role("searchbox", name="Search careers by job title").fill("engineer")
    expect(page).to_have_url(re.compile(r"\?q=engineer"))
    everything = count.text_content()
    page.locator("details.facets > summary").click()
    page.get_by_label(re.compile(r"^Extensive preparation")).check()
    expect(page).to_have_url(re.compile(r"q=engineer.*&zone=5"))
    expect(count).not_to_have_text(everything)
    expect(page.get_by_role("link", name=re.compile("Remove filter Preparation"))).to_be_visible()
    assert page.evaluate('document.querySelector("header.site-header").flowMarker') == "kept", "page reloaded"

    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=engineer(&sort=relevance)?$"))
    expect(count).to_have_text(everything)
    screenshot(page, "careers-explorer-js-phone")


def test_explorer_works_without_javascript_through_plain_form_submits(open_browser_page, demo_site):
    page = open_browser_page(java_script_enabled=False)
    page.goto(demo_site.url + "/careers/")
    count = page.locator(".results-count")

    page.get_by_role("searchbox", name="Search careers by job title").fill("pen tester")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"\?q=pen\+tester"))
    assert "Penetration Testers" in career_titles(page)

    page.goto(demo_site.url + "/careers/")
    page.locator("details.facets > summary").click()
    page.get_by_label(re.compile(r"^Much faster than average")).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"growth=much-faster"))
    expect(count).not_to_have_text("1016 careers")
    page.get_by_label("Sort by").select_option(label="Highest pay")
    page.get_by_role("button", name="Sort", exact=True).click()
    expect(page).to_have_url(re.compile(r"growth=much-faster.*sort=pay"))
    expect(page.get_by_label(re.compile(r"^Much faster than average"))).to_be_checked()
    screenshot(page, "careers-explorer-no-js-phone")


def test_a_reader_compares_the_guide_with_another_career_and_sees_what_to_learn(page, demo_site):
    page.goto(demo_site.url + "/careers/back-end-engineer/")
    page.get_by_label("Another career, by any job title").fill("information security analyst")
    page.get_by_role("button", name="Compare", exact=True).click()

    expect(page).to_have_url(re.compile(r"/careers/compare/\?a=back-end-engineer&b=information"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Back End Engineer and Information Security Analysts")
    expect(page.get_by_role("table")).to_contain_text("$124,910")
    expect(
        page.get_by_role(
            "heading", name=re.compile(r"^Tools of Information Security Analysts not in Back End Engineer")
        )
    ).to_be_visible()
    screenshot(page, "careers-compare-phone")


def test_interest_pages_list_careers_best_match_first(page, demo_site):
    page.goto(demo_site.url + "/careers/interests/")
    page.get_by_role("link", name="Investigative", exact=True).click()

    expect(page).to_have_url(re.compile(r"/careers/interests/investigative/$"))
    scores = page.locator("ol.careers dd").filter(has_text=" of 7").all_text_contents()
    values = [float(score.split()[0]) for score in scores]
    assert len(values) == 50
    assert values == sorted(values, reverse=True)
    screenshot(page, "careers-interest-phone")


def test_a_keyboard_user_reaches_every_control_of_a_profile_with_a_visible_focus(open_browser_page, demo_site):
    from tests.browser.conftest import DESKTOP
    from tests.browser.test_flows import check_keyboard_path

    page = open_browser_page(viewport=DESKTOP)
    stops = check_keyboard_path(page, f"{demo_site.url}/careers/information-security-analysts/")
    assert any(stop["name"] == "input#compare-b" for stop in stops)  # the Compare with… box
