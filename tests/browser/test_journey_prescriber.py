"""A prescriber on a phone: signs in, orders a bed for a new person with live availability and the
due time shown before sending, and finds the order in their own list; another prescriber cannot."""

import re

from playwright.sync_api import expect
from sqlmodel import select

from equipment.models import Order, Prescriber, ServiceUser
from equipment.people import users
from tests.browser.conftest import PASSWORD, sign_in_as


def test_prescriber_orders_a_bed_for_a_new_person_and_follows_it(live_server, open_page, db):
    page = open_page(phone=True)
    sign_in_as(page, live_server, "prescriber")
    page.get_by_role("link", name="Order equipment").first.click()
    page.wait_for_url(f"{live_server}/prescriber/orders/new")

    page.fill("#su_nhs_number", "943 476 5919")
    page.fill("#su_name", "Nora Barnacle")
    page.fill("#su_address", "4 Fore Street, Ipswich")
    page.fill("#su_postcode", "IP4 1JJ")
    page.press("#su_postcode", "Tab")
    page.fill("#item-search", "electric profiling bed")
    options = page.locator("#item-results li[role=option]")
    options.first.wait_for()
    assert re.search(r"\d+ at IPS", options.first.inner_text())
    options.filter(has_text="BED-PROF-E —").click()
    assert page.input_value("input[name=lines-0-sku]") == "BED-PROF-E"
    expect(page.locator("tr[data-row='0'] .avail")).to_contain_text("at IPS")
    page.select_option("#response_class", "next_day")
    expect(page.locator("#due-preview")).to_contain_text(re.compile(r"\d{2}:\d{2}"))

    page.get_by_role("button", name="Send order").click()
    page.wait_for_url(re.compile(r".*/prescriber/orders/EQ-\d{6}$"))
    ref = page.url.rsplit("/", 1)[1]
    assert "sent" in page.locator(".flash").inner_text()
    expect(page.locator("#visit")).to_contain_text("not planned yet")

    page.get_by_role("link", name="My orders").first.click()
    row = page.locator("table.my-orders tr", has_text=ref)
    expect(row).to_contain_text("Nora Barnacle")

    order = db.exec(select(Order).where(Order.ref == ref)).one()
    person = db.get(ServiceUser, order.service_user_id)
    mine = db.exec(select(Prescriber).where(Prescriber.email == "shirley.hammond@example.org")).one()
    db.commit()
    assert order.prescriber_id == mine.id and person.nhs_number == "9434765919"

    # Another prescriber, on a desktop, finds no such order (page and API).
    other = db.exec(select(Prescriber).where(Prescriber.email == "megan.canham@example.org")).one()
    megan = users.create_user(db, username="megan", role="prescriber", password=PASSWORD)
    megan.prescriber_id = other.id
    db.add(megan)
    db.commit()
    desk = open_page()
    sign_in_as(desk, live_server, "megan", PASSWORD)
    assert desk.goto(f"{live_server}/prescriber/orders/{ref}").status == 404
    assert desk.request.get(f"{live_server}/api/v1/orders/{ref}").status == 404
    desk.goto(f"{live_server}/prescriber/orders?show=all")
    expect(desk.locator("main")).not_to_contain_text("Nora Barnacle")
