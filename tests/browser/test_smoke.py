import os
import subprocess
import sys
from pathlib import Path

from tests.browser.conftest import screenshot


def test_the_home_page_loads_in_a_real_browser(page, demo_site):
    page.goto(demo_site.url + "/")

    assert page.title()
    assert page.get_by_role("link", name="Back End Engineer").first.is_visible()
    screenshot(page, "smoke-home-phone")


def test_the_browser_tests_fail_rather_than_skip_without_chromium(tmp_path):
    """Run in a child pytest: a machine without Chromium must get a red run and the install command."""
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, CHROMIUM_PATH=str(tmp_path / "no-chromium"))
    smoke = f"{__file__}::test_the_home_page_loads_in_a_real_browser"
    child = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "browser", smoke],
        cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip

    assert child.returncode != 0, child.stdout
    assert "apt-get install -y chromium" in child.stdout
