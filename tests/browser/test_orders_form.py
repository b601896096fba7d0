"""The new-order form from the keyboard: search the catalogue with live availability, see the due
time before submitting, take the order, and find it in the list."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in_as


def test_keyboard_order_with_availability_and_due_time(live_server, open_page):
    page = open_page()
    sign_in_as(page, live_server, "coordinator")
    page.goto(f"{live_server}/orders/new")
    assert page.evaluate("document.activeElement.id") == "kind"

    page.fill("#su_nhs_number", "943 476 5919")
    page.fill("#su_name", "Ada Lovelace")
    page.fill("#su_address", "12 Test Street, Ipswich")
    page.fill("#su_postcode", "IP4 2QJ")
    page.press("#su_postcode", "Tab")

    page.select_option("#response_class", "emergency")
    page.fill("#received_at", "2026-11-20T19:00")
    page.press("#received_at", "Tab")
    expect(page.locator("#due-preview")).to_contain_text("Sat, 21 Nov 2026, 11:00")

    page.keyboard.press("Alt+i")
    assert page.evaluate("document.activeElement.id") == "item-search"
    page.keyboard.type("profiling bed")
    options = page.locator("#item-results li[role=option]")
    options.first.wait_for()
    first_text = options.first.inner_text()
    assert re.search(r"\d+ at IPS", first_text), first_text
    page.keyboard.press("ArrowDown")
    chosen = options.nth(1).inner_text().split(" — ")[0]
    page.keyboard.press("Enter")
    assert page.input_value("input[name=lines-0-sku]") == chosen
    assert page.evaluate("document.activeElement.name") == "lines-0-quantity"
    assert "at IPS" in page.locator("tr[data-row='0'] .avail").inner_text()

    page.keyboard.press("Alt+s")
    page.wait_for_url(re.compile(r".*/orders/EQ-\d{6}$"))
    assert "taken" in page.locator(".flash").inner_text()
    ref = page.url.rsplit("/", 1)[1]
    page.goto(f"{live_server}/orders?response_class=emergency")
    assert page.get_by_role("link", name=ref).is_visible()


def test_collections_offer_only_collection_classes(live_server, open_page):
    page = open_page()
    sign_in_as(page, live_server, "coordinator")
    page.goto(f"{live_server}/orders/new")
    page.select_option("#kind", "collection")
    selected = page.eval_on_selector("#response_class", "s => s.selectedOptions[0].dataset.kind")
    assert selected == "collection"
    expect(page.locator("#due-preview")).to_contain_text("17:00")


def test_a_known_nhs_number_fills_in_the_person(live_server, open_page):
    page = open_page()
    sign_in_as(page, live_server, "coordinator")
    page.goto(f"{live_server}/orders/new")
    page.fill("#su_nhs_number", "9434765918")
    page.press("#su_nhs_number", "Tab")
    expect(page.locator("#su_nhs_number-live")).to_contain_text("not a valid NHS number")
    page.fill("#su_nhs_number", "999 737 1275")  # Colin Squirrell in the seed
    page.press("#su_nhs_number", "Tab")
    expect(page.locator("#su_nhs_number-live")).to_contain_text("Known person")
    assert page.input_value("#su_name") == "Colin Squirrell"
    assert page.input_value("#su_postcode") == "IP31 7UX"


def test_the_order_form_fits_a_phone(live_server, open_page):
    """Long choices (a response class with its due time, a prescriber's name and team) once
    made the coordinator's form 906 px wide on a 390 px phone; tables scroll in their card."""
    page = open_page(phone=True)
    sign_in_as(page, live_server, "coordinator")
    for path in ("/orders/new", "/plans", "/orders", "/notices"):
        page.goto(f"{live_server}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    officer = open_page(phone=True)
    sign_in_as(officer, live_server, "officer")
    officer.goto(f"{live_server}/reports/")  # its tables and charts were 490 px wide
    assert officer.evaluate("document.documentElement.scrollWidth") <= 390
    clerk = open_page(phone=True)
    sign_in_as(clerk, live_server, "clerk")
    clerk.goto(f"{live_server}/stock/returns")  # its forms sit in a flex row: 408 px
    assert clerk.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_item_search_appears_only_once_its_script_runs(live_server, open_page):
    # The search works only with orders.js. Its field is hidden until the script has run, so
    # nobody (and no test) types into a search that cannot answer; here the script comes late.
    page = open_page(phone=True)
    sign_in_as(page, live_server, "prescriber")

    def late_script(route):
        page.wait_for_timeout(1500)
        route.continue_()

    page.route("**/static/orders.js", late_script)
    page.goto(f"{live_server}/prescriber/orders/new", wait_until="commit")
    page.fill("#su_postcode", "IP4 1JJ")
    page.fill("#item-search", "electric profiling bed")  # waits until the field is shown
    option = page.locator("#item-results li[role=option]").filter(has_text="BED-PROF-E —")
    expect(option).to_have_count(1)

    without_js = open_page()
    sign_in_as(without_js, live_server, "prescriber")
    without_js.route("**/static/orders.js", lambda route: route.abort())
    without_js.goto(f"{live_server}/prescriber/orders/new")
    expect(without_js.locator("#lines input[name=lines-0-sku]")).to_be_visible()  # typed by SKU
    expect(without_js.locator("#item-search")).to_be_hidden()
    expect(without_js.locator("#add-line")).to_be_hidden()
