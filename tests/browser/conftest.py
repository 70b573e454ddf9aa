"""Browser fixtures: Debian's headless Chromium, driven by Playwright, against the live server.

`open_browser()` launches the browser and returns a `BrowserSession` on pytest-django's
`live_server` (a threaded server on loopback, on the test database). The session records every
console error, uncaught page error, failed same-origin request, same-origin response with a
status of 400 or more and any request that leaves the live server's origin (no page of the product
may load anything from another host: it must work without internet); each screenshot and the end of the test
fail on any of them. Screenshots go to `var/test-artifacts/screenshots/<test>/NN-step.png` so a person can
look after a run.

A test starts its real worker before calling `open_browser()`: while Playwright runs, its sync
API keeps an event loop running in the test's thread, which Django takes for an async context,
so `open_browser()` sets DJANGO_ALLOW_ASYNC_UNSAFE for the rest of the test (a worker started
later would inherit it).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright's own browser download does not work here
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    # Without these Chromium calls home (updates, sync, field trials) over a network we do not have.
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = ROOT / "var" / "test-artifacts" / "screenshots"
LOCAL_SCHEMES = {"data", "blob", "about"}  # never leave the browser
TIMEOUT_MS = 60_000  # a page that waits on the database while the worker holds the CPUs


@dataclass
class BrowserSession:
    """One browser tab on the live server, with what went wrong in it so far."""

    page: object  # playwright.sync_api.Page
    base_url: str
    shots_dir: Path
    problems: list[str] = field(default_factory=list)
    shots: list[Path] = field(default_factory=list)
    reported: int = 0  # problems already raised (the end of the test raises only newer ones)

    def url(self, path: str) -> str:
        return self.base_url + path

    def path(self) -> str:
        """The current page's path, without its query."""
        return urlsplit(self.page.url).path

    def goto(self, path: str):
        response = self.page.goto(self.url(path))
        self.page.wait_for_load_state("load")
        return response

    def login(self, username: str, password: str) -> None:
        """Sign in through the admin's login form, as a person does."""
        self.goto("/admin/login/?next=/admin/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.click('input[type="submit"], button[type="submit"]')
        if not self.page.locator("#user-tools").is_visible():
            raise AssertionError(f"login as {username!r} failed:\n{self.page.inner_text('#content')[:1000]}")

    def click(self, selector: str) -> None:
        """Click and wait for the page it leads to (every button in these flows submits a form)."""
        with self.page.expect_navigation():
            self.page.click(selector)
        self.page.wait_for_load_state("load")

    def messages(self) -> list[str]:
        """The admin's success/error messages on the current page."""
        return [m.strip() for m in self.page.locator("ul.messagelist li").all_inner_texts()]

    def screenshot(self, step: str) -> Path:
        """Save the whole page as NN-step.png, then fail if the browser reported a problem so far."""
        self.page.wait_for_load_state("load")
        path = self.shots_dir / f"{len(self.shots) + 1:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        print(f"screenshot: {path}")
        self.assert_no_problems()
        return path

    def assert_no_problems(self) -> None:
        new, self.reported = self.problems[self.reported:], len(self.problems)
        if new:
            raise AssertionError("the browser reported problems:\n" + "\n".join(new))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep the call's report on the test item, so `open_browser` knows at teardown whether the test failed."""
    report = yield
    if report.when == "call":
        item.browser_call_failed = report.failed
    return report


def _same_origin(url: str, base_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def _unavailable_reason() -> str | None:
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; .ci/run installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (it is in requirements-dev.txt)"
    return None


@pytest.fixture
def open_browser(request, live_server, transactional_db, monkeypatch):
    """Return a function that launches headless Chromium and gives a `BrowserSession` on the live server.

    Closed at the end of the test, which fails if the browser reported a problem after the last
    screenshot. Skipped only where Chromium or Playwright is missing (CI has both).
    """
    reason = _unavailable_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    shots_dir = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(shots_dir, ignore_errors=True)  # only this run's screenshots
    running: dict = {}
    sessions: list[BrowserSession] = []
    shots: list[Path] = []  # numbered across the test's sessions (an editor's and an agent's, say)

    def open_() -> BrowserSession:
        shots_dir.mkdir(parents=True, exist_ok=True)
        if not running:
            monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
            running["playwright"] = sync_playwright().start()
            running["browser"] = running["playwright"].chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        browser = running["browser"]
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        session = BrowserSession(page=page, base_url=live_server.url, shots_dir=shots_dir, shots=shots)

        def on_console(message):
            if message.type == "error":
                location = message.location or {}
                session.problems.append(f"console error: {message.text} ({location.get('url', '')})")

        def on_response(response):
            if response.status >= 400 and _same_origin(response.url, session.base_url):
                session.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

        def on_request(req):
            if not _same_origin(req.url, session.base_url) and urlsplit(req.url).scheme not in LOCAL_SCHEMES:
                session.problems.append(f"request to another host: {req.method} {req.url}")

        def on_request_failed(req):
            if _same_origin(req.url, session.base_url):
                session.problems.append(f"request failed: {req.method} {req.url} ({req.failure})")

        page.on("console", on_console)
        page.on("pageerror", lambda error: session.problems.append(f"page error: {error}"))
        page.on("request", on_request)
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)
        sessions.append(session)
        return session

    yield open_
    try:
        if getattr(request.node, "browser_call_failed", False):
            for session in sessions:  # where it stopped, for the person reading the failure
                path = shots_dir / f"{len(shots) + 1:02d}-failed-here.png"
                session.page.screenshot(path=str(path), full_page=True)
                shots.append(path)
                print(f"screenshot: {path} ({session.page.url})")
        if shots:
            print(f"{len(shots)} screenshots in {shots_dir}")
        for session in sessions:
            session.page.wait_for_timeout(200)  # let late console messages arrive
            session.assert_no_problems()
    finally:
        if running:
            running["browser"].close()
            running["playwright"].stop()
