"""The admin's own pages load in a real browser with their CSS and scripts and without errors."""

import pytest

from tests.content.factories import make_user

pytestmark = [pytest.mark.browser]


def test_an_editor_signs_in_and_the_admin_loads_with_its_styles_and_no_browser_errors(open_browser):
    make_user("Editors", username="editor")
    browser = open_browser()

    browser.goto("/admin/login/")
    header = browser.page.evaluate("getComputedStyle(document.querySelector('#header')).backgroundColor")
    assert header not in ("", "rgba(0, 0, 0, 0)"), "the admin's CSS did not load"
    browser.screenshot("login")
    browser.login("editor", "pw")

    assert "Review queue" in browser.page.inner_text("#content")
    browser.screenshot("admin-index")
    icon = browser.page.request.get(browser.url("/favicon.ico"))
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
