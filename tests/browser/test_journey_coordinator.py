"""A coordinator takes an emergency order from a hospital discharge team, plans the day it is due
for the Ipswich depot, reviews the plan when the router has finished, and publishes it."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlmodel import select

from equipment.models import OrderLine, Plan, Route, Stop, StopOrder, Van
from tests.browser.conftest import sign_in_as
from tests.browser.journey_helpers import TZ, depot_id, order_by_ref, user_id


def test_coordinator_takes_an_emergency_order_plans_the_day_and_publishes(live_server, open_page, db):
    page = open_page()
    sign_in_as(page, live_server, "coordinator")
    menu = page.get_by_role("navigation", name="Main")

    # The order, as the discharge nurse gives it over the phone.
    menu.get_by_role("link", name="New order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New order")
    page.get_by_label("Kind").select_option("delivery")
    page.get_by_label("Response class").select_option("emergency")
    page.get_by_label("Name", exact=True).fill("Grace Hopper")
    page.get_by_label("Phone").fill("01632 960999")
    page.get_by_label("Address").fill("7 Orwell Place, Ipswich")
    page.get_by_label("Postcode").fill("IP4 1BB")
    page.get_by_label("Access notes for the driver").fill("Ring the bell twice")
    expect(page.locator("#due-preview")).not_to_be_empty()
    search = page.get_by_role("combobox", name=re.compile("Find an item"))
    search.fill("commode")
    page.get_by_role("option", name=re.compile(r"^CMD-STATIC")).click()
    expect(page.get_by_label("SKU of line 1")).to_have_value("CMD-STATIC")
    expect(page.get_by_label("Quantity of line 1")).to_have_value("1")
    page.get_by_role("button", name="Take order").click()
    page.wait_for_url(re.compile(r".*/orders/EQ-\d{6}$"))
    ref = page.url.rsplit("/", 1)[1]
    expect(page.locator(".flash")).to_contain_text(f"Order {ref} taken: ready, due ")

    order = order_by_ref(db, ref)
    assert (order.kind, order.response_class, order.status) == ("delivery", "emergency", "ready")
    assert order.depot_id == depot_id(db, "IPS") and order.district == "IP4"
    assert timedelta(0) < order.due_at - order.received_at <= timedelta(hours=16)  # 4 service hours, 08:00-20:00
    line = db.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    db.commit()
    assert (line.quantity, line.allocated) == (1, 1)
    due_local = order.due_at.astimezone(ZoneInfo(TZ))
    expect(page.locator("dl.facts").first).to_contain_text(due_local.strftime("%a %d %b %Y %H:%M"))

    # Plan the day the order is due, Ipswich only, with a short time to think.
    menu.get_by_role("link", name="Plan the day").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan the day")
    page.get_by_label("Service day").fill(due_local.date().isoformat())
    page.get_by_label("Ipswich depot").check()
    page.get_by_label("Time to think (seconds)").fill("1")
    page.get_by_role("button", name="Plan").click()
    page.wait_for_url(re.compile(r".*/plans/\d+$"))
    plan_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Plan {plan_id} · {due_local:%A %d %B %Y} · IPS")

    # The page follows the router and shows the plan when it is done.
    publish = page.get_by_role("button", name="Publish to drivers")
    expect(publish).to_be_visible(timeout=25_000)
    summary = page.locator("section.card.row").first
    expect(summary).to_contain_text("1 stops")
    expect(summary).to_contain_text("0 not planned")
    expect(summary).to_contain_text("0 made late by the plan")
    row = page.locator("tr", has_text=ref)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("delivery")
    expect(row).to_contain_text(due_local.strftime("%d %b %H:%M"))
    expect(row.locator(".badge.bad")).to_have_count(0)
    expect(page.get_by_role("heading", name="Not planned")).to_have_count(0)

    db.expire_all()
    plan = db.get(Plan, plan_id)
    db.commit()
    assert (plan.status, plan.published_at, plan.depots) == ("done", None, "IPS")
    assert order_by_ref(db, ref).status == "ready"  # not promised to anyone before it is published

    publish.click()
    expect(page.locator(".flash")).to_have_text("Published: drivers can see their routes.")
    expect(page.locator(".badge.ok", has_text="Published")).to_be_visible()
    expect(page.get_by_role("button", name="Publish to drivers")).to_have_count(0)
    expect(page.get_by_role("heading", name="Urgent job")).to_be_visible()

    db.expire_all()
    plan = db.get(Plan, plan_id)
    assert plan.published_at is not None and plan.published_by == user_id(db, "coordinator")
    assert order_by_ref(db, ref).status == "planned"
    stop, route, van = db.exec(
        select(Stop, Route, Van)
        .join(StopOrder, StopOrder.stop_id == Stop.id)
        .join(Route, Route.id == Stop.route_id)
        .join(Van, Van.id == Route.van_id)
        .where(StopOrder.order_id == order.id)
    ).one()
    db.commit()
    assert route.plan_id == plan_id and van.depot_id == depot_id(db, "IPS")
    assert stop.status == "pending" and not stop.late and stop.eta <= order.due_at
    assert stop.eta.astimezone(ZoneInfo(TZ)).date() == due_local.date()
    expect(page.locator("section", has_text=van.reg).locator("tr", has_text=ref)).to_contain_text(
        stop.eta.astimezone(ZoneInfo(TZ)).strftime("%H:%M")
    )
