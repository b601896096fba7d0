"""A driver on a phone works through today's published route: confirms the serial and who took
the mattress at the first home, finds nobody in at the other, and records why."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from equipment import planning
from equipment.models import Asset, Delay, Order, OrderEvent, Outcome, Route, Stop, StopOrder, User, Van, VanAbsence
from tests.browser.conftest import sign_in_as
from tests.browser.journey_helpers import (
    depot_id,
    london_today,
    order_by_ref,
    person,
    reserved_serials,
    take_order,
    user_id,
)


def _todays_route_on_the_drivers_van(db, engine) -> tuple[Order, Order, str]:
    """Two deliveries in Ipswich, planned for today with only the demo driver's van on the road, published."""
    today = london_today()
    mattress = take_order(db, name="Carol Scarfe", sku="MAT-AIR")
    frame = take_order(db, name="Olivia Kowalski", sku="FRM-2W")
    [serial] = reserved_serials(db, mattress)
    drivers_van = _van_of(db, "driver")
    for van in db.exec(select(Van).where(Van.depot_id == depot_id(db, "IPS"), Van.id != drivers_van)).all():
        db.add(VanAbsence(van_id=van.id, day=today))
    db.commit()
    plan_id = planning.plan_day_now(
        engine, service_date=today, depot_codes=["IPS"], seconds=1, user_id=user_id(db, "coordinator")
    )
    planning.publish_plan(db, plan_id=plan_id, user_id=user_id(db, "coordinator"))
    on_van = set(
        db.exec(
            select(StopOrder.order_id)
            .join(Stop, Stop.id == StopOrder.stop_id)
            .join(Route, Route.id == Stop.route_id)
            .where(Route.plan_id == plan_id, Route.van_id == drivers_van)
        )
    )
    db.commit()
    assert on_van == {mattress.id, frame.id}, "set-up: both orders should be on the driver's van"
    return mattress, frame, serial


def _van_of(db, username: str) -> int:
    van = db.exec(select(User.van_id).where(User.username == username)).one()
    db.commit()
    return van


def test_driver_works_through_the_route_on_a_phone(live_server, open_page, db, engine):
    mattress, frame, serial = _todays_route_on_the_drivers_van(db, engine)

    page = open_page(phone=True)
    sign_in_as(page, live_server, "driver")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My route").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("My route")
    stops = page.locator("section.stop")
    expect(stops).to_have_count(2)
    first = stops.filter(has_text="Carol Scarfe")
    second = stops.filter(has_text="Olivia Kowalski")
    expect(first).to_contain_text("Access: Ring bell twice, hard of hearing")
    expect(first).to_contain_text(mattress.ref)
    expect(second).to_contain_text(frame.ref)
    expect(first.get_by_role("link", name="Navigate")).to_be_visible()
    # Phone-sized: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # First home: the mattress is installed; the driver confirms its serial and who took it.
    first.get_by_label(f"{serial} confirmed").check()
    first.get_by_label("Received by").fill("Carol Scarfe")
    first.get_by_role("button", name="Delivered").click()
    expect(first.locator("[data-role=status]")).to_have_text("done")
    expect(first.locator("form")).to_have_count(0)

    # Second home: nobody answers. The phone asks for the reason before it records the failure.
    second.get_by_role("button", name="Failed").click()
    expect(second.locator("[data-role=error]")).to_have_text("Choose why it failed.")
    second.get_by_label("If it failed, why").select_option(label="Person not at home")
    second.get_by_role("button", name="Failed").click()
    expect(second.locator("[data-role=status]")).to_have_text("failed")
    expect(second.locator("form")).to_have_count(0)
    expect(page.locator("#sync-status")).to_have_text("All outcomes sent")

    # Coming back to the page later shows the same day, nothing left to record.
    page.reload()
    expect(stops.filter(has_text="Carol Scarfe").locator("[data-role=status]")).to_have_text("done")
    expect(stops.filter(has_text="Olivia Kowalski").locator("[data-role=status]")).to_have_text("failed")
    expect(page.locator("form.outcome")).to_have_count(0)

    # What the office now knows.
    delivered = order_by_ref(db, mattress.ref)
    assert delivered.status == "completed" and delivered.completed_at is not None
    outcome = db.exec(select(Outcome).where(Outcome.order_id == mattress.id)).one()
    asset = db.exec(select(Asset).where(Asset.serial == serial)).one()
    assert (outcome.status, outcome.recipient, outcome.serials) == ("delivered", "Carol Scarfe", serial)
    assert outcome.recorded_by == user_id(db, "driver")
    assert (asset.state, asset.service_user_id) == ("on_loan", person(db, "Carol Scarfe").id)
    assert db.exec(select(Delay).where(Delay.order_id == mattress.id)).all() == []

    failed = order_by_ref(db, frame.ref)
    assert failed.status == "ready" and failed.completed_at is None  # back in the queue to plan again
    outcome = db.exec(select(Outcome).where(Outcome.order_id == frame.id)).one()
    assert (outcome.status, outcome.reason) == ("failed", "not_at_home")
    delay = db.exec(select(Delay).where(Delay.order_id == frame.id)).one()
    assert (delay.cause, delay.kind, delay.attributable) == ("not_at_home", "predicted", True)
    assert delay.recorded_by == user_id(db, "driver")
    events = list(db.exec(select(OrderEvent.event).where(OrderEvent.order_id == frame.id)))
    assert "visit_failed" in events
    statuses = dict(
        db.exec(
            select(StopOrder.order_id, Stop.status)
            .join(Stop, Stop.id == StopOrder.stop_id)
            .where(StopOrder.order_id.in_([mattress.id, frame.id]))
        ).all()
    )
    db.commit()
    assert statuses == {mattress.id: "done", frame.id: "failed"}
