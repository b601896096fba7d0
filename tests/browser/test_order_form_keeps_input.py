"""A failed submit of the order form, in a browser: every problem is named beside its field in
plain words, everything typed stays, the prescriber chosen stays, and the empty rows do not grow
(issue #16, item 5)."""

from playwright.sync_api import expect

from tests.browser.conftest import sign_in_as


def test_a_failed_order_keeps_what_was_typed(live_server, open_page):
    page = open_page()
    sign_in_as(page, live_server, "coordinator")
    page.goto(f"{live_server}/orders/new")
    rows_before = page.locator("input[name$='-sku']").count()
    page.fill("#su_nhs_number", "943 476 5918")  # a wrong check digit
    page.fill("#su_address", "12 Test Street, Ipswich")
    page.fill("#su_postcode", "NOWHERE")
    page.fill("#su_access_notes", "Key safe 1234")
    page.select_option("#prescriber_id", index=2)
    chosen = page.input_value("#prescriber_id")
    page.fill("input[name=lines-0-sku]", "NO-SUCH-ITEM")
    for _ in range(2):
        page.click("button[type=submit].primary")
        page.wait_for_load_state()
        expect(page.locator("#error-summary")).to_be_visible()
    for field in ("su_name", "su_postcode", "su_nhs_number", "lines-0-sku"):
        expect(page.locator(f"#{field}-error")).to_be_visible()
    expect(page.locator("#su_name-error")).to_have_text("Enter the person's name")
    body = page.inner_text("body")
    assert "String should" not in body and "Input should" not in body
    assert page.input_value("#su_address") == "12 Test Street, Ipswich"
    assert page.input_value("#su_postcode") == "NOWHERE"
    assert page.input_value("#su_access_notes") == "Key safe 1234"
    assert page.input_value("#prescriber_id") == chosen
    assert page.input_value("input[name=lines-0-sku]") == "NO-SUCH-ITEM"
    assert page.locator("input[name$='-sku']").count() == rows_before
