"""A coordinator gets an emergency that fits in no route of the published day: the plan page offers
to make room by giving up an order brought forward, the coordinator takes the offer, and the order
given up goes back to be planned."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from playwright.sync_api import expect
from sqlmodel import select

from equipment import planning, service_time, stock
from equipment.demo.ready_orders import make_ready_order
from equipment.models import AuditEvent, ServiceUser
from tests.browser.conftest import sign_in_as
from tests.browser.journey_helpers import TZ, order_by_ref

LAT, LON = 52.30, 1.00  # a small depot of its own in the middle of the county


def _at(day, hh: int) -> datetime:
    return datetime.combine(day, time(hh), tzinfo=service_time.zone(TZ)).astimezone(UTC)


def _full_published_day(db, engine, make):
    """One van of 24 volume units carrying 20 (an order due in four days, one due on the day) and
    an emergency of 6 units: it fits only if one of them gives way."""
    depot = make.depot("TST", name="Test depot", lat=LAT, lon=LON)
    van = make.van(depot, reg="RM01 VAN", volume_capacity=24)
    frame = make.item("RM-FRAME", volume=2)
    stock.receive_goods(db, depot_code="TST", sku="RM-FRAME", quantity=20, user_id=None)
    day = service_time.today(TZ) + timedelta(days=2)
    refs = []
    for n, (due, quantity) in enumerate([(_at(day, 17) + timedelta(days=4), 5), (_at(day, 16), 5), (_at(day, 12), 3)]):
        person = ServiceUser(
            name=f"Room Person {n}",
            address=f"{n} Lane",
            postcode="IP4 1AA",
            district="IP4",
            lat=LAT + 0.02 * (n + 1),
            lon=LON,
        )
        db.add(person)
        db.flush()
        klass = ("standard", "next_day", "emergency")[n]
        order = make_ready_order(
            db,
            ref=f"EQ-77{n:04d}",
            person=person,
            depot=depot,
            lines=[(frame, quantity)],
            due_at=due,
            response_class=klass,
        )
        refs.append(order.ref)
        db.commit()
        if n == 1:
            plan_id = planning.plan_day_now(engine, service_date=day, depot_codes=["TST"], seconds=0.5, tz=TZ)
            planning.publish_plan(db, plan_id=plan_id, user_id=None)
    return plan_id, van, refs


def test_coordinator_makes_room_for_an_emergency(live_server, open_page, db, engine, make):
    plan_id, van, (later, today, urgent) = _full_published_day(db, engine, make)
    page = open_page()
    sign_in_as(page, live_server, "coordinator")
    page.goto(f"{live_server}/plans/{plan_id}")
    expect(page.get_by_role("heading", name="Urgent job")).to_be_visible()
    page.get_by_label("Order reference").fill(urgent)
    page.get_by_role("button", name="Show the effect").click()

    expect(page.locator("#no-room")).to_contain_text(f"{urgent} fits in no route as things stand")
    offer = page.locator(".room-offer")
    expect(offer).to_have_count(1)
    expect(offer).to_contain_text(f"{van.reg}: give up 1 stop")
    expect(offer).to_contain_text(later)
    expect(offer).to_contain_text("brought forward (not due today), no delay")
    expect(offer).to_contain_text("Made late: nothing")
    expect(page.get_by_role("button", name="Decline: make no room")).to_be_visible()

    offer.get_by_role("button", name=f"Make room on {van.reg}").click()
    expect(page.locator(".flash")).to_have_text(f"{urgent} inserted. Back to be planned: {later}.")
    route = page.locator("section.card", has_text=van.reg).filter(has=page.locator("table"))
    expect(route.locator("tr", has_text=urgent)).to_have_count(1)
    expect(route.locator("tr", has_text=later)).to_have_count(0)
    not_planned = page.locator("section.card", has=page.get_by_role("heading", name="Not planned"))
    expect(not_planned.locator("tr", has_text=later)).to_contain_text(f"displaced by urgent order {urgent}")

    assert order_by_ref(db, urgent).status == "planned"
    assert order_by_ref(db, later).status == "ready"
    assert order_by_ref(db, today).status == "planned"
    actions = db.exec(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(2)).all()
    db.commit()
    assert list(actions) == ["urgent_inserted", "stop_displaced"]
