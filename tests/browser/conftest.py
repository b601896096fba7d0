"""Browser journeys: the app served on 127.0.0.1 in a thread, driven by Debian's Chromium.

A failing journey leaves a screenshot in test-artifacts/.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def live_server(app, seeded, db):
    """The seeded app on a real port; yields its base URL."""
    db.commit()  # the test's session must not hold SQLite's write lock while the server works
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, request):
    """open_page(phone=False) -> a fresh page (a phone-sized one on request)."""
    opened = []

    def _open(*, phone: bool = False):
        options = (
            {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
            if phone
            else {"viewport": {"width": 1280, "height": 900}}
        )
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        page = context.new_page()
        opened.append((page, context))
        return page

    yield _open
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for index, (page, context) in enumerate(opened):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            try:  # a hung page must not hide the real failure behind a screenshot time-out
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{index}.png"), full_page=True, timeout=3000)
            except Exception as exc:
                print(f"no screenshot of page {index}: {exc}")
        context.close()


def sign_in_as(page, base_url: str, username: str, password: str = "demo-equipment") -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


__all__ = ["PASSWORD", "sign_in_as"]
