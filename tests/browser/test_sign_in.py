"""Signing in through a real browser lands each role on its home page."""

from tests.browser.conftest import sign_in_as


def test_each_role_signs_in_and_out(live_server, open_page):
    page = open_page()
    for username in ("clerk", "officer"):
        sign_in_as(page, live_server, username)
        assert page.get_by_role("heading", level=1).inner_text().startswith("Good day")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{live_server}/login")
        assert page.get_by_text("You are signed out.").is_visible()


def test_wrong_password_is_explained_beside_the_field(live_server, open_page):
    page = open_page(phone=True)
    page.goto(f"{live_server}/login")
    page.get_by_label("Username").fill("clerk")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("#password-error").inner_text() == "Wrong username or password."


def test_signing_in_asks_the_server_for_nothing_it_does_not_have(live_server, open_page):
    # Browsers ask for a page's icon; without one, every first visit logged a 404 in the console.
    page = open_page(phone=True)
    failed = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    page.goto(f"{live_server}/login")
    sign_in_as(page, live_server, "coordinator")
    page.wait_for_load_state("networkidle")
    assert failed == []
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(f"{live_server}{icon}").headers["content-type"].startswith("image/svg+xml")
