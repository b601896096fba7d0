"""/api/v1/plans: 202 at once, progress, the stored plan, publish, urgent insertion, retry."""

from __future__ import annotations

import time

import pytest

from equipment import planning
from equipment.vocabulary import Role
from tests.equipment.test_planning_support import build_world, get_order


@pytest.fixture
def world(db, engine, make):
    return build_world(db, engine, make)


def wait_done(client, headers, plan_id: int, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/v1/plans/{plan_id}", headers=headers).get_json()
        if body["status"] in ("done", "failed") or time.monotonic() > deadline:
            return body
        assert 0 <= body["progress"] <= 1
        time.sleep(0.1)


def test_plan_a_day_through_the_api(client, make, world):
    home = world.person()
    a = world.order(home, lines=[(world.bed, 1)])
    b = world.order(home, kind="collection", klass="urgent_collection", lines=[(world.hoist, 1)])
    c = world.order(world.person(km_east=4))
    headers = make.headers(Role.COORDINATOR)
    started = time.monotonic()
    response = client.post("/api/v1/plans", json={"date": world.day.isoformat(), "seconds": 0.5}, headers=headers)
    assert response.status_code == 202 and time.monotonic() - started < 1.5
    plan_id = response.get_json()["id"]
    body = wait_done(client, headers, plan_id)
    assert body["status"] == "done" and body["progress"] == 1 and body["best_cost"] is not None
    (route,) = body["routes"]
    assert route["van"] == world.vans[0].reg and route["load"]["capacity"] == 100 and route["hours"] > 0
    refs = sorted(sorted(s["order_refs"]) for s in route["stops"])
    assert refs == sorted([sorted([a.ref, b.ref]), [c.ref]])
    assert all({"id", "eta", "late", "order_refs"} <= set(s) for s in route["stops"])
    assert body["unassigned"] == []
    listed = client.get(f"/api/v1/plans?date={world.day}", headers=headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == plan_id
    published = client.post(f"/api/v1/plans/{plan_id}/publish", headers=headers)
    assert published.status_code == 200 and published.get_json()["published_at"]
    assert get_order(world.db, a.ref).status == "planned"
    assert client.post(f"/api/v1/plans/{plan_id}/publish", headers=headers).status_code == 409


def test_who_may_plan(client, make, world):
    body = {"date": world.day.isoformat(), "seconds": 0.5}
    assert client.post("/api/v1/plans", json=body).status_code == 401
    for role in (Role.DRIVER, Role.OFFICER, Role.CLERK):
        assert client.post("/api/v1/plans", json=body, headers=make.headers(role)).status_code == 403
    headers = make.headers(Role.ADMIN)
    bad = client.post("/api/v1/plans", json={**body, "depots": ["XXX"]}, headers=headers)
    assert bad.status_code == 404 and "XXX" in bad.get_json()["detail"]
    assert client.post("/api/v1/plans", json={**body, "colour": 1}, headers=headers).status_code == 422
    assert client.get("/api/v1/plans/999", headers=headers).status_code == 404


def test_unplanned_orders_are_listed_with_reasons(client, make, world):
    order = world.order(slot=(world.at(19), world.at(20)))
    headers = make.headers(Role.COORDINATOR)
    plan_id = client.post(
        "/api/v1/plans", json={"date": world.day.isoformat(), "seconds": 0.5}, headers=headers
    ).get_json()["id"]
    body = wait_done(client, headers, plan_id)
    assert body["routes"] == []
    assert body["unassigned"][0]["order_ref"] == order.ref and "time window" in body["unassigned"][0]["reason"]


def test_urgent_insertion_through_the_api_answers_fast(client, make, world):
    for k in range(3):
        world.order(world.person(km_north=2 + k))
    plan = world.published()
    urgent = world.order(world.person(km_east=-3), klass="emergency", due=world.at(12))
    headers = make.headers(Role.COORDINATOR)
    started = time.monotonic()
    dry = client.post(
        f"/api/v1/plans/{plan.id}/insert", json={"order_ref": urgent.ref, "dry_run": True}, headers=headers
    )
    assert dry.status_code == 200 and time.monotonic() - started < 2
    body = dry.get_json()
    assert body["dry_run"] and not body["inserted"] and body["stop"]["stop_id"] is None
    assert body["stop"]["order_refs"] == [urgent.ref] and body["late_stops"] == []
    real = client.post(f"/api/v1/plans/{plan.id}/insert", json={"order_ref": urgent.ref}, headers=headers)
    assert real.status_code == 200 and real.get_json()["stop"]["stop_id"]
    assert get_order(world.db, urgent.ref).status == "planned"
    again = client.post(f"/api/v1/plans/{plan.id}/insert", json={"order_ref": urgent.ref}, headers=headers)
    assert again.status_code == 409
    assert (
        client.post(f"/api/v1/plans/{plan.id}/insert", json={"order_ref": "EQ-000000"}, headers=headers).status_code
        == 404
    )


def test_failed_plan_shows_its_reason_and_can_be_retried(client, make, world):
    world.order()
    plan = planning.create_plan(world.db, service_date=world.day, depot_codes=None, seconds=1, user_id=None)
    planning.mark_failed(world.engine, plan.id, "RuntimeError: worker lost")
    headers = make.headers(Role.COORDINATOR)
    body = client.get(f"/api/v1/plans/{plan.id}", headers=headers).get_json()
    assert body["status"] == "failed" and body["error"] == "RuntimeError: worker lost"
    retried = client.post(f"/api/v1/plans/{plan.id}/retry", headers=headers)
    assert retried.status_code == 202
    assert wait_done(client, headers, plan.id)["status"] == "done"
    assert client.post(f"/api/v1/plans/{plan.id}/retry", headers=headers).status_code == 409


def test_move_lock_reoptimise_and_load_through_the_api(client, make, db, engine):
    w = build_world(db, engine, make, vans=2)
    for k in range(4):
        w.order(w.person(km_north=2 + k, km_east=(-1) ** k * 3), lines=[(w.bed, 1)] if k == 0 else None)
    plan = w.plan()
    headers = make.headers(Role.COORDINATOR)
    body = client.get(f"/api/v1/plans/{plan.id}", headers=headers).get_json()
    route = max(body["routes"], key=lambda r: len(r["stops"]))
    other = next(v.reg for v in w.vans if v.reg != route["van"])
    stop_id = route["stops"][0]["id"]
    moved = client.post(f"/api/v1/plans/{plan.id}/stops/{stop_id}/move", json={"van": other}, headers=headers)
    assert moved.status_code == 200
    target = next(r for r in moved.get_json()["routes"] if r["van"] == other)
    assert stop_id in [s["id"] for s in target["stops"]]
    locked = client.post(f"/api/v1/plans/{plan.id}/routes/{target['id']}/lock", json={"locked": True}, headers=headers)
    assert next(r for r in locked.get_json()["routes"] if r["id"] == target["id"])["locked"]
    again = client.post(f"/api/v1/plans/{plan.id}/reoptimise", json={"seconds": 0.5}, headers=headers)
    assert again.status_code == 202  # off the request thread, like planning a day
    done = wait_done(client, headers, plan.id)
    assert done["status"] == "done" and done["job"] == "plan" and done["error"] == ""
    kept = next(r for r in done["routes"] if r["id"] == target["id"])
    assert kept["stops"] == target["stops"]
    client.post(f"/api/v1/plans/{plan.id}/publish", headers=headers)
    clerk = make.headers(Role.CLERK)
    loaded = client.post(f"/api/v1/plans/{plan.id}/routes/{target['id']}/loaded", headers=clerk)
    assert loaded.status_code == 200
    assert next(r for r in loaded.get_json()["routes"] if r["id"] == target["id"])["loaded_at"]
    assert client.post(f"/api/v1/plans/{plan.id}/reoptimise", json={"seconds": 0.5}, headers=headers).status_code == 409


def test_openapi_describes_the_planning_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/plans",
        "/api/v1/plans/{id}",
        "/api/v1/plans/{id}/publish",
        "/api/v1/plans/{id}/insert",
        "/api/v1/routes",
        "/api/v1/stops/{id}/outcome",
    ):
        assert path in spec["paths"], path
    assert "202" in spec["paths"]["/api/v1/plans"]["post"]["responses"]
