"""Compliance in the home, end to end: a clerk records a manufacturer's recall of a batch of
hoists; the coordinator plans the day (which also turns a hoist's examination due into a visit);
the driver, on a phone, records the person's acknowledgement of the recall and the examinations;
the officer sees the recall's progress and the examination figure."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlmodel import select

from equipment.db import utcnow
from equipment.models import Asset, Order, OrderLine, RecallUnit, User, Van, VanAbsence
from equipment.stock.reservations import deliver_line
from tests.browser.conftest import sign_in_as
from tests.browser.journey_helpers import depot_id, london_today, take_order, user_id


def _lend_hoist(db, name: str, *, due_in_days: int) -> Asset:
    order = take_order(db, name=name, sku="HST-MOB")
    line = db.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    (serial,) = deliver_line(db, line=line, service_user_id=order.service_user_id, at=utcnow(), user_id=None)
    order.status, order.completed_at = "completed", utcnow()
    db.add(order)
    asset = db.exec(select(Asset).where(Asset.serial == serial)).one()
    asset.next_inspection_due = london_today() + timedelta(days=due_in_days)
    db.add(asset)
    db.commit()
    return asset


def _only_the_drivers_van_today(db) -> None:
    drivers_van = db.exec(select(User.van_id).where(User.username == "driver")).one()
    for van in db.exec(select(Van).where(Van.depot_id == depot_id(db, "IPS"), Van.id != drivers_van)).all():
        db.add(VanAbsence(van_id=van.id, day=london_today()))
    db.commit()


def test_a_recall_and_an_examination_reach_the_home_and_the_officer_sees_them(live_server, open_page, db):
    recalled = _lend_hoist(db, "Adam Moy", due_in_days=150)
    examined = _lend_hoist(db, "Carol Scarfe", due_in_days=5)
    batch, other_batch = recalled.batch, examined.batch
    assert batch != other_batch, "set-up: the two hoists come from different batches"
    _only_the_drivers_van_today(db)

    # The clerk records the field safety notice for the batch.
    clerk = open_page()
    sign_in_as(clerk, live_server, "clerk")
    clerk.get_by_role("navigation", name="Main").get_by_role("link", name="Recalls").click()
    clerk.get_by_label("Notice reference").fill("MHRA-FSN-2026-042")
    clerk.get_by_label("Catalogue lines").fill("HST-MOB")
    clerk.get_by_label("Made on or before").fill("2020-01-01")
    clerk.get_by_label("Made on or after").fill("2021-01-01")
    clerk.get_by_role("button", name="Record the recall").click()
    expect(clerk.locator("#made_to-error")).to_contain_text("ends before it starts")
    clerk.get_by_label("Made on or after").fill("")
    clerk.get_by_label("Made on or before").fill("")
    clerk.get_by_label("Batch or lot").fill(batch)
    clerk.get_by_label("Action").select_option("inspect")
    clerk.get_by_role("button", name="Record the recall").click()
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Recall MHRA-FSN-2026-042")
    expect(clerk.locator(f'tr[data-serial="{recalled.serial}"]')).to_contain_text("visit planned")
    expect(clerk.locator(f'tr[data-serial="{recalled.serial}"]')).to_contain_text("home in IP4")
    expect(clerk.locator("#recall-units")).to_contain_text("quarantined")
    assert "Adam Moy" not in clerk.content()

    # The coordinator plans today for Ipswich and publishes it.
    coordinator = open_page()
    sign_in_as(coordinator, live_server, "coordinator")
    coordinator.get_by_role("navigation", name="Main").get_by_role("link", name="Plan the day").click()
    coordinator.get_by_label("Service day").fill(london_today().isoformat())
    coordinator.get_by_label("Ipswich depot").check()
    coordinator.get_by_label("Time to think (seconds)").fill("1")
    coordinator.get_by_role("button", name="Plan").click()
    coordinator.wait_for_url(re.compile(r".*/plans/\d+$"))
    publish = coordinator.get_by_role("button", name="Publish to drivers")
    expect(publish).to_be_visible(timeout=25_000)
    publish.click()
    expect(coordinator.locator(".flash")).to_have_text("Published: drivers can see their routes.")

    # The driver, on a phone: the recall visit, then the examination.
    phone = open_page(phone=True)
    sign_in_as(phone, live_server, "driver")
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="My route").click()
    at_recall = phone.locator("section.stop").filter(has_text="Adam Moy")
    at_exam = phone.locator("section.stop").filter(has_text="Carol Scarfe")
    expect(at_recall).to_contain_text("Safety notice MHRA-FSN-2026-042")
    at_recall.get_by_label(f"Mobile hoist, electric (up to 175 kg) {recalled.serial}").select_option("pass")
    at_recall.get_by_label("Examined by").fill("Sam Examiner")
    at_recall.get_by_label("Seen by").fill("Adam Moy")
    at_recall.get_by_label("The person acknowledged the notice").check()
    at_recall.get_by_role("button", name="Visited").click()
    expect(at_recall.locator("[data-role=status]")).to_have_text("done")

    at_exam.get_by_label(f"Mobile hoist, electric (up to 175 kg) {examined.serial}").select_option("fail")
    at_exam.get_by_label("Examined by").fill("Sam Examiner")
    at_exam.get_by_label("Seen by").fill("Carol Scarfe")
    at_exam.get_by_role("button", name="Visited").click()
    expect(at_exam.locator("[data-role=status]")).to_have_text("done")
    expect(phone.locator("#sync-status")).to_have_text("All outcomes sent")

    db.expire_all()
    unit = db.exec(
        select(RecallUnit).join(Asset, Asset.id == RecallUnit.asset_id).where(Asset.serial == recalled.serial)
    ).one()
    assert unit.status == "acknowledged"
    failed = db.exec(select(Asset).where(Asset.serial == examined.serial)).one()
    assert failed.next_inspection_due == london_today() - timedelta(days=1)
    swaps = db.exec(
        select(Order.kind).where(
            Order.service_user_id == failed.service_user_id, Order.response_class.in_(["swap", "swap_collection"])
        )
    ).all()
    assert sorted(swaps) == ["collection", "delivery"]
    db.commit()

    # The officer: the recall's progress and the examination figure, without names.
    officer = open_page()
    sign_in_as(officer, live_server, "officer")
    officer.get_by_role("navigation", name="Main").get_by_role("link", name="Performance").click()
    block = officer.locator("#compliance-figures")
    row = block.locator("#open-recalls tr", has_text="MHRA-FSN-2026-042")
    expect(row).to_be_visible()
    affected = int(row.locator("td.num").nth(0).inner_text())
    expect(row.locator("td.num").nth(1)).to_have_text(str(affected))  # every unit reached
    expect(block.locator('[data-regime="loler_6m"]')).to_have_text("50.0%")  # one of the two hoists is in date
    assert "Carol Scarfe" not in officer.content() and user_id(db, "officer")
