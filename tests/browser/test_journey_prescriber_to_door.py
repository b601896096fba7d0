"""From a new prescriber's account to the person's door (issue #16): an admin creates the
prescriber; the prescriber orders a bed for a new person; the coordinator plans and publishes the
day and finds the person's window message in the outbox; the driver records the delivery; the
prescriber sees proof of delivery. Another prescriber cannot see that order."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import select

from equipment.models import Notice, Order, Route, Stop, StopOrder, User
from tests.browser.conftest import sign_in_as
from tests.browser.journey_helpers import london_today, reserved_serials

NEW_PASSWORD = "first-password-1"


def _admin_creates_a_prescriber(page, base: str) -> None:
    sign_in_as(page, base, "admin")
    page.goto(f"{base}/admin/users/new")
    page.get_by_label("Username").fill("ot.rlake")
    page.get_by_label("Full name").fill("Rosa Lake")
    page.get_by_label("Role").select_option("prescriber")
    page.get_by_label("First password").fill(NEW_PASSWORD)
    page.get_by_label("Orders as").select_option("new")
    page.get_by_label("New record: name").fill("Rosa Lake")
    page.get_by_label("Profession").fill("Occupational therapist")
    page.get_by_label("Team or organisation").fill("Ipswich community OT")
    page.get_by_label("E-mail").fill("rosa.lake@example.org")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("body")).to_contain_text("ot.rlake")


def _prescriber_orders_a_bed(page, base: str) -> str:
    sign_in_as(page, base, "ot.rlake", NEW_PASSWORD)
    page.get_by_role("link", name="Order equipment").first.click()
    page.fill("#su_nhs_number", "943 476 5919")
    page.fill("#su_name", "Nora Barnacle")
    page.fill("#su_address", "4 Fore Street, Ipswich")
    page.fill("#su_postcode", "IP4 1JJ")
    page.fill("#item-search", "electric profiling bed")
    page.locator("#item-results li[role=option]").filter(has_text="BED-PROF-E —").click()
    page.select_option("#response_class", "emergency")
    page.get_by_role("button", name="Send order").click()
    page.wait_for_url(re.compile(r".*/prescriber/orders/EQ-\d{6}$"))
    expect(page.locator("#visit")).to_contain_text("not planned yet")
    return page.url.rsplit("/", 1)[1]


def _coordinator_plans_and_publishes_today(page, base: str, ref: str) -> None:
    sign_in_as(page, base, "coordinator")
    page.goto(f"{base}/plans")
    page.get_by_label("Service day").fill(london_today().isoformat())
    page.get_by_label("Ipswich depot").check()
    page.get_by_label("Time to think (seconds)").fill("2")
    page.get_by_role("button", name="Plan").click()
    page.wait_for_url(re.compile(r".*/plans/\d+$"))
    publish = page.get_by_role("button", name="Publish to drivers")
    expect(publish).to_be_visible(timeout=40_000)
    expect(page.locator("tr", has_text=ref)).to_have_count(1)
    publish.click()
    expect(page.locator(".flash")).to_contain_text("Published")
    # The person is told when to expect the van: no consent to texts recorded, so a letter.
    page.get_by_role("link", name="Messages").first.click()
    row = page.locator("tr", has_text=ref)
    expect(row).to_contain_text("Visit window")
    expect(row).to_contain_text("Letter")
    expect(row).to_contain_text("your equipment")


def _driver_of(db, ref: str) -> tuple[str, int]:
    order = db.exec(select(Order).where(Order.ref == ref)).one()
    stop, route = db.exec(
        select(Stop, Route)
        .join(StopOrder, StopOrder.stop_id == Stop.id)
        .join(Route, Route.id == Stop.route_id)
        .where(StopOrder.order_id == order.id)
    ).one()
    driver = db.exec(select(User.username).where(User.van_id == route.van_id, User.active)).first()
    db.commit()
    assert driver, "set-up: the van that took the bed has a driver on record"
    return driver, stop.id


def test_a_new_prescribers_order_reaches_the_door_and_they_see_proof_of_delivery(live_server, open_page, db):
    _admin_creates_a_prescriber(open_page(), live_server)
    prescriber = open_page(phone=True)
    ref = _prescriber_orders_a_bed(prescriber, live_server)
    _coordinator_plans_and_publishes_today(open_page(), live_server, ref)
    window = db.exec(select(Notice).join(Order, Order.id == Notice.order_id).where(Order.ref == ref)).one()
    db.commit()
    assert (window.kind, window.channel, window.status) == ("window", "letter", "queued")

    username, stop_id = _driver_of(db, ref)
    [serial] = reserved_serials(db, db.exec(select(Order).where(Order.ref == ref)).one())
    db.commit()
    phone = open_page(phone=True)
    sign_in_as(phone, live_server, username)
    phone.goto(f"{live_server}/driver/today")
    stop = phone.locator(f"#stop-{stop_id}")
    stop.get_by_label(f"{serial} confirmed").check()
    stop.get_by_label("Received by").fill("Nora Barnacle")
    stop.get_by_role("button", name="Delivered").click()
    expect(stop.locator("[data-role=status]")).to_contain_text("done")

    prescriber.reload()
    expect(prescriber.locator("#proof")).to_contain_text("received by Nora Barnacle")
    expect(prescriber.locator("#visit")).not_to_contain_text("not planned yet")

    # The demo prescriber is another prescriber: the order is not theirs to see.
    other = open_page()
    sign_in_as(other, live_server, "prescriber")
    assert other.goto(f"{live_server}/prescriber/orders/{ref}").status == 404
    assert other.request.get(f"{live_server}/api/v1/orders/{ref}").status == 404
