"""The first day: the demo driver has a route at the first start, load lists follow the stops
and show their status, and a published plan nothing has happened on can be replaced."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest
from sqlmodel import func, select

from equipment import deliveries, planning, service_time
from equipment.demo.seed import DEMO_PASSWORD
from equipment.demo.today_plan import publish_todays_plan
from equipment.models import AuditEvent, Order, Plan
from equipment.vocabulary import OrderStatus, Role
from tests.conftest import csrf_token_from, post_form, sign_in
from tests.equipment.test_planning_support import TZ, build_world, get_order
from tests.web.test_reports_attribution import app_with


def test_the_demo_driver_sees_a_route_on_the_first_start(client, engine, db, seeded):
    planned = publish_todays_plan(engine, seconds=1)
    assert planned["demo_driver_stops"] > 0
    sign_in(client, "driver", DEMO_PASSWORD)
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "My route" in home
    page = client.get("/driver/today")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "No published route" not in html
    assert len(re.findall(r'<section class="card stop', html)) == planned["demo_driver_stops"]
    assert 'id="plan-data"' in html and "Navigate" in html


def test_a_driver_with_nothing_today_is_told_the_next_published_day(client, db, engine, make):
    w = build_world(db, engine, make, day=service_time.today(TZ) + timedelta(days=2))
    w.order()
    w.published()
    driver = make.user(Role.DRIVER, van=w.vans[0])
    sign_in(client, driver.username)
    html = client.get("/driver/today").get_data(as_text=True)
    assert "No published route" in html and w.day.strftime("%A %d %B") in html


@pytest.fixture
def todays_route(db, engine, make):
    w = build_world(db, engine, make, day=service_time.today(TZ))
    for k in range(3):
        w.order(w.person(km_north=2 + 2 * k), lines=[(w.frame, 1), (w.bed, 1)] if k == 1 else None)
    plan = w.published()
    return w, plan


def test_load_lists_follow_the_stops_and_show_their_status(client, make, todays_route):
    w, plan = todays_route
    stops = [sv.stop for sv in w.view(plan).routes[0].stops]
    first = stops[0]
    deliveries.apply_outcome(
        w.db, stop_id=first.id, status="failed", reason="access_problem", actor=deliveries.Actor(None, Role.COORDINATOR)
    )
    w.db.commit()
    sign_in(client, make.user(Role.CLERK).username)
    html = client.get(f"/load-lists?date={w.day}").get_data(as_text=True)
    rows = re.findall(r'<tr data-stop="(\d+)" data-status="(\w+)">', html)
    assert [int(seq) for seq, _ in rows] == sorted(int(seq) for seq, _ in rows)
    assert {int(seq) for seq, _ in rows} == {s.sequence for s in stops}
    assert {int(q): st for q, st in rows}[first.sequence] == "failed"
    assert {st for q, st in rows if int(q) != first.sequence} == {"pending"}
    assert len(rows) == 4  # three frames and a bed, in stop order


def _wait_done(client, plan_id: int) -> None:
    deadline = time.monotonic() + 60
    while client.get(f"/api/v1/plans/{plan_id}").get_json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_a_published_plan_with_no_outcome_can_be_replaced(client, make, db, todays_route):
    w, old = todays_route
    refs = [o.ref for rv in w.view(old).routes for sv in rv.stops for o in sv.orders]
    sign_in(client, make.user(Role.COORDINATOR).username)
    page = f"/plans/{old.id}"
    assert "Replace with a new plan" in client.get(page).get_data(as_text=True)
    answer = post_form(client, page, {}, action=f"{page}/replace")
    assert answer.status_code == 302
    new_id = int(answer.headers["Location"].rstrip("/").split("/")[-1])
    assert new_id != old.id
    db.expire_all()
    assert db.get(Plan, old.id).published_at is None
    assert {get_order(db, r).status for r in refs} == {OrderStatus.READY}
    assert db.exec(select(func.count()).where(AuditEvent.action == "plan_withdrawn")).one() == 1
    _wait_done(client, new_id)
    assert post_form(client, f"/plans/{new_id}", {}, action=f"/plans/{new_id}/publish").status_code == 302
    db.expire_all()
    assert db.get(Plan, new_id).published_at is not None
    assert {get_order(db, r).status for r in refs} == {OrderStatus.PLANNED}


def test_a_plan_with_an_outcome_recorded_is_not_replaced(client, make, db, todays_route):
    w, old = todays_route
    stop = w.view(old).routes[0].stops[0].stop
    deliveries.apply_outcome(
        db, stop_id=stop.id, status="failed", reason="not_at_home", actor=deliveries.Actor(None, Role.COORDINATOR)
    )
    db.commit()
    plans_before = db.exec(select(func.count()).select_from(Plan)).one()
    sign_in(client, make.user(Role.COORDINATOR).username)
    page = f"/plans/{old.id}"
    html = client.get(page).get_data(as_text=True)
    answer = client.post(f"{page}/replace", data={"csrf_token": csrf_token_from(html)}, follow_redirects=True)
    assert "outcomes are recorded on it" in answer.get_data(as_text=True)
    db.expire_all()
    assert db.get(Plan, old.id).published_at is not None
    assert db.exec(select(func.count()).select_from(Plan)).one() == plans_before
    planned = db.exec(select(func.count()).select_from(Order).where(Order.status == OrderStatus.PLANNED)).one()
    assert planned == 2  # the failed visit's order is ready again; the other two stay planned
    with pytest.raises(Exception, match="outcomes are recorded"):
        planning.withdraw_plan(db, plan_id=old.id, user_id=None)


def _map_data(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="plan-data">(.*?)</script>', html, re.S).group(1))


def test_without_tiles_the_plan_map_carries_the_county_and_its_towns(client, make, engine, db, todays_route):
    w, plan = todays_route
    sign_in(client, make.user(Role.COORDINATOR).username)
    data = _map_data(client.get(f"/plans/{plan.id}").get_data(as_text=True))
    assert data["tiles"] == "" and data["legend"] is True
    [county] = data["outline"]["features"]
    assert county["properties"]["name"] == "Suffolk" and len(county["geometry"]["coordinates"][0]) > 40
    assert {"Ipswich", "Bury St Edmunds", "Lowestoft"} <= {t["name"] for t in data["towns"]}
    assert [d["code"] for d in data["depots"]] == ["IPS"] and data["routes"][0]["van"] == w.vans[0].reg

    tiled = _app_with_tiles(engine, db).test_client()
    sign_in(tiled, make.user(Role.COORDINATOR).username)
    data = _map_data(tiled.get(f"/plans/{plan.id}").get_data(as_text=True))
    assert data["tiles"].startswith("https://") and "outline" not in data and "towns" not in data


def _app_with_tiles(engine, db):
    return app_with(engine, db, MAP_TILE_URL="https://tiles.example.org/{z}/{x}/{y}.png")
