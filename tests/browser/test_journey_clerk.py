"""A store clerk's morning: goods in (a new hoist scanned by serial, a box of walking frames by
count), then a hoist back from a home taken through quarantine, decontamination and its LOLER
examination until it is available to lend again."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import select

from equipment.db import utcnow
from equipment.models import Asset, AssetEvent, Item, OrderLine, StockBalance
from equipment.stock.inspections import next_due
from equipment.stock.reservations import deliver_line
from tests.browser.conftest import sign_in_as
from tests.browser.journey_helpers import depot_id, london_today, take_order, user_id

NEW_HOIST = "JRN-HST-0001"


def _available(db, code: str, sku: str) -> int:
    item = db.exec(select(Item.id).where(Item.sku == sku)).one()
    quantity = db.exec(
        select(StockBalance.quantity).where(
            StockBalance.depot_id == depot_id(db, code), StockBalance.item_id == item, StockBalance.state == "available"
        )
    ).first()
    db.commit()
    return quantity or 0


def _hoist_on_loan(db) -> str:
    """A hoist delivered to Adam Moy in Ipswich some weeks ago (the serial the clerk will scan)."""
    order = take_order(db, name="Adam Moy", sku="HST-MOB")
    line = db.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    serials = deliver_line(
        db, line=line, service_user_id=order.service_user_id, at=utcnow(), user_id=user_id(db, "driver")
    )
    order.status, order.completed_at = "completed", utcnow()
    db.add(order)
    db.commit()
    assert len(serials) == 1
    return serials[0]


def _asset(db, serial: str) -> Asset:
    db.expire_all()
    asset = db.exec(select(Asset).where(Asset.serial == serial)).one()
    db.commit()
    return asset


def test_clerk_receives_stock_and_brings_a_returned_hoist_back_into_stock(live_server, open_page, db):
    returned = _hoist_on_loan(db)
    assert _asset(db, returned).state == "on_loan"
    frames_before = _available(db, "IPS", "FRM-ZIMMER")
    hoists_before = _available(db, "IPS", "HST-MOB")

    page = open_page()
    sign_in_as(page, live_server, "clerk")
    menu = page.get_by_role("navigation", name="Main")
    flash = page.locator(".flash")

    # Goods in: one hoist by its serial, then twelve walking frames by count.
    menu.get_by_role("link", name="Receive").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Receive goods")
    page.get_by_label("Into depot").select_option("IPS")
    page.get_by_label("Item (SKU)").fill("HST-MOB")
    page.get_by_label("Serial (scan each unit; serialised items)").fill(NEW_HOIST)
    page.get_by_label("Delivery note / supplier ref (optional)").fill("DN-77812")
    page.get_by_role("button", name="Receive").click()
    expect(flash).to_have_text(f"Received {NEW_HOIST} of HST-MOB at IPS.")
    # The form stays on the depot and item for the next scan.
    expect(page.get_by_label("Item (SKU)")).to_have_value("HST-MOB")
    expect(page.get_by_label("Into depot")).to_have_value("IPS")

    page.get_by_label("Item (SKU)").fill("FRM-ZIMMER")
    page.get_by_label("Quantity (bulk items)").fill("12")
    page.get_by_role("button", name="Receive").click()
    expect(flash).to_have_text("Received 12 units of FRM-ZIMMER at IPS.")

    new_hoist = _asset(db, NEW_HOIST)
    assert (new_hoist.state, new_hoist.depot_id) == ("available", depot_id(db, "IPS"))
    assert _available(db, "IPS", "FRM-ZIMMER") == frames_before + 12
    assert _available(db, "IPS", "HST-MOB") == hoists_before + 1

    # The returned hoist is booked in from the van: dirty, into quarantine.
    menu.get_by_role("link", name="Returns").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Returns")
    scan = page.locator("form", has=page.get_by_role("heading", name="Scan an asset"))

    def record(action: str) -> None:
        scan.get_by_label("Serial (scan)").fill(returned)
        scan.get_by_label("What happened").select_option(action)
        scan.get_by_label("At depot (for returns)").select_option("IPS")
        scan.get_by_role("button", name="Record").click()

    def queue(title: str):
        return page.locator("section", has=page.get_by_role("heading", name=re.compile(f"^{title}")))

    record("returned")
    expect(flash).to_have_text(f"{returned}: returned.")
    expect(queue("Quarantine").get_by_role("link", name=returned)).to_be_visible()
    asset = _asset(db, returned)
    assert (asset.state, asset.depot_id, asset.service_user_id) == ("quarantine", depot_id(db, "IPS"), None)

    # A hoist in quarantine cannot pass an inspection before it is cleaned.
    menu.get_by_role("link", name="Inspections").click()
    page.get_by_label("Serial (scan)").fill(returned)
    page.get_by_label("Pass").check()
    page.get_by_role("button", name="Record").click()
    expect(page.locator("#serial-error")).to_contain_text("decontaminate it first")
    assert _asset(db, returned).state == "quarantine"

    menu.get_by_role("link", name="Returns").click()
    record("decontaminated")
    expect(flash).to_have_text(f"{returned}: decontaminated.")
    expect(queue("Decontaminated").get_by_role("link", name=returned)).to_be_visible()
    expect(queue("Quarantine").get_by_role("link", name=returned)).to_have_count(0)
    assert _asset(db, returned).state == "decontaminated"

    # Its thorough examination (LOLER) passes: available to lend again, next due in six months.
    menu.get_by_role("link", name="Inspections").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inspections due")
    page.get_by_label("Serial (scan)").fill(returned)
    page.get_by_label("Pass").check()
    page.get_by_label("Result notes / certificate number").fill("LOLER cert 2211")
    page.get_by_role("button", name="Record").click()
    expect(flash).to_have_text(f"{returned}: inspection passed; now available.")

    today = london_today()
    asset = _asset(db, returned)
    assert (asset.state, asset.depot_id) == ("available", depot_id(db, "IPS"))
    assert asset.last_inspected_on == today
    assert asset.next_inspection_due == next_due("loler_6m", today)
    events = list(
        db.exec(
            select(AssetEvent.event, AssetEvent.to_state).where(AssetEvent.asset_id == asset.id).order_by(AssetEvent.id)
        )
    )
    db.commit()
    assert [e for e in events if e[0] in ("collected", "decontaminated", "inspected")] == [
        ("collected", "quarantine"),
        ("decontaminated", "decontaminated"),
        ("inspected", "available"),
    ]
    assert _available(db, "IPS", "HST-MOB") == hoists_before + 2

    # The asset's own page tells the same story.
    page.get_by_role("link", name="Find an asset").click()
    page.get_by_label("Serial (scan)").fill(returned)
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(returned)
    expect(page.locator("section.card").first).to_contain_text("available at IPS")
    expect(page.locator("section.card").first).to_contain_text(f"next due {next_due('loler_6m', today)}")
    timeline = page.locator("table tbody tr")
    expect(timeline.filter(has_text="inspected")).to_contain_text("pass")
    expect(timeline.filter(has_text="inspected")).to_contain_text("LOLER cert 2211")
