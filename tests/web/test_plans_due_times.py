"""Planning to the agreed times (issue #14): deadlines sent to the router, late versus overdue,
clean and dirty, GET /vans, the problem export, one running plan per day, slots refused at
intake, and re-optimising off the request thread."""

from __future__ import annotations

import threading
import time as clock
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlmodel import func, select

import routing
from equipment.models import Delay, Depot, Order, ServiceUser
from equipment.planning.problem import build_day_problem
from equipment.vocabulary import Role
from tests.conftest import sign_in
from tests.equipment.test_orders_support import build_world as build_orders_world
from tests.equipment.test_orders_support import order_data, receive
from tests.equipment.test_planning_support import TZ, build_world
from tests.web.test_plans import wait_done


@pytest.fixture
def world(db, engine, make):
    return build_world(db, engine, make)


def _plan(client, headers, day, seconds: float = 0.5) -> dict:
    response = client.post("/api/v1/plans", json={"date": day.isoformat(), "seconds": seconds}, headers=headers)
    assert response.status_code == 202, response.get_json()
    return wait_done(client, headers, response.get_json()["id"])


def test_due_times_become_deadlines_in_seconds_of_the_day(world):
    on_day = world.order(due=world.at(11, 30))
    overdue = world.order(due=world.at(17) - timedelta(days=2))
    later = world.order(due=world.at(17) + timedelta(days=3))
    slotted = world.order(due=world.at(17), slot=(world.at(13), world.at(15)))
    built = build_day_problem(world.db, service_date=world.day, depot_codes=None, tz=TZ)
    world.db.rollback()
    deadline = {
        info.orders[0].ref: job.get("deadline") for job in built.problem["jobs"] for info in [built.jobs[job["id"]]]
    }
    assert deadline[on_day.ref] == int((world.at(11, 30) - built.origin).total_seconds())
    assert deadline[overdue.ref] == 0  # already overdue: due at the start of the day
    assert deadline[later.ref] is None  # due after the day: no deadline
    job = next(j for j in built.problem["jobs"] if built.jobs[j["id"]].orders[0].ref == slotted.ref)
    start = int((world.at(13) - built.origin).total_seconds())
    assert job["time_windows"] == [[start, start + 7200]] and job["deadline"] == start + 4 * 3600  # slot stays hard
    off = build_day_problem(world.db, service_date=world.day, depot_codes=None, tz=TZ, deadlines=False)
    world.db.rollback()
    assert all("deadline" not in j for j in off.problem["jobs"])


def test_late_and_overdue_are_told_apart(client, make, world, db):
    overdue = world.order(world.person(km_north=4), due=world.at(17) - timedelta(days=1), klass="three_day")
    made_late = world.order(world.person(km_north=-4), due=world.at(8, 1))  # cannot be reached by 08:01
    on_time = world.order(world.person(km_east=3), due=world.at(17))
    headers = make.headers(Role.COORDINATOR)
    body = _plan(client, headers, world.day)
    assert body["status"] == "done"
    stops = {s["order_refs"][0]: s for r in body["routes"] for s in r["stops"]}
    assert stops[overdue.ref]["overdue"] and not stops[overdue.ref]["late"]
    assert stops[made_late.ref]["late"] and not stops[made_late.ref]["overdue"]
    assert stops[made_late.ref]["late_by_minutes"] > 0
    assert stops[on_time.ref] | {"late": False, "overdue": False, "late_by_minutes": 0} == stops[on_time.ref]
    assert datetime.fromisoformat(stops[made_late.ref]["due_at"]) == world.at(8, 1)
    assert body["late"] == 1 and body["overdue"] == 1
    notes = {d.order_id: d.note for d in db.exec(select(Delay).where(Delay.plan_id == body["id"]))}
    assert notes[overdue.id].startswith("overdue") and notes[made_late.id].startswith("made late by the plan")
    page = client.get(f"/plans/{body['id']}", headers=headers)
    assert page.status_code in (200, 302)


def test_the_driver_sees_overdue_not_late(client, make, world):
    van = world.vans[0]
    world.day = datetime.now(UTC).astimezone(world.at(0).tzinfo).date()
    world.order(due=world.at(17) - timedelta(days=1), klass="three_day")
    plan = world.published()
    headers = make.headers(Role.DRIVER, van=van)
    routes = client.get(f"/api/v1/routes?date={world.day}", headers=headers).get_json()
    (stop,) = routes["items"][0]["stops"]
    assert plan.id and stop["overdue"] and not stop["late"] and stop["due_at"]


def test_a_mandatory_order_is_never_left_out_for_optional_ones(client, make, world):
    world.vans[0].volume_capacity = 10
    world.db.add(world.vans[0])
    world.db.commit()
    optional = [world.order(world.person(km_north=1 + k), due=world.at(17) + timedelta(days=4)) for k in range(4)]
    mandatory = world.order(world.person(km_north=9), lines=[(world.frame, 4)])  # 8 of the 10 volume units
    body = _plan(client, make.headers(Role.COORDINATOR), world.day)
    planned = {ref for r in body["routes"] for s in r["stops"] for ref in s["order_refs"]}
    assert mandatory.ref in planned and len(planned & {o.ref for o in optional}) == 1
    assert {u["order_ref"] for u in body["unassigned"]} == {o.ref for o in optional} - planned


def test_unplanned_reasons_say_exactly_why(client, make, world):
    world.vans[0].skills = "two_person"
    world.db.add(world.vans[0])
    world.db.commit()
    hoist = world.order(lines=[(world.hoist, 1)])
    slot = world.order(slot=(world.at(19), world.at(20)))
    body = _plan(client, make.headers(Role.COORDINATOR), world.day)
    reasons = {u["order_ref"]: u["reason"] for u in body["unassigned"]}
    assert "hoist-trained" in reasons[hoist.ref] and "IPS" in reasons[hoist.ref]
    assert "19:00-20:00" in reasons[slot.ref] and "time window" in reasons[slot.ref]


def test_clean_and_dirty_one_visit_only_on_a_van_with_a_dirty_compartment(client, make, world, db):
    home = world.person()
    delivery = world.order(home, lines=[(world.frame, 1)])
    collection = world.order(home, kind="collection", klass="urgent_collection", lines=[(world.frame, 1)])
    headers = make.headers(Role.COORDINATOR)
    together = _plan(client, headers, world.day)
    assert [s["order_refs"] for s in together["routes"][0]["stops"]] == [sorted([delivery.ref, collection.ref])]
    world.vans[0].segregated = False
    db.add(world.vans[0])
    db.commit()
    apart = _plan(client, headers, world.day)
    (route,) = apart["routes"]
    assert [s["order_refs"] for s in route["stops"]] == [[delivery.ref], [collection.ref]]  # dirty after clean
    problem = client.get(f"/api/v1/plans/{apart['id']}/problem", headers=headers).get_json()
    assert problem["vehicles"][0]["pickups_after_deliveries"] is True


def test_get_vans_lists_the_fleet_with_segregated(client, make, world, db):
    world.vans[0].segregated = False
    db.add(world.vans[0])
    db.commit()
    driver = make.user(Role.DRIVER, van=world.vans[0])
    body = client.get("/api/v1/vans", headers=make.headers(Role.COORDINATOR)).get_json()
    assert body["total"] == 1
    (van,) = body["items"]
    assert van["reg"] == world.vans[0].reg and van["depot"] == "IPS" and van["segregated"] is False
    assert van["capacity"] == {"volume": 100, "bed_slots": 2, "hoist_slots": 2}
    assert van["skills"] == ["two_person", "hoist_trained"] and van["driver"] == driver.username
    assert client.get("/api/v1/vans", headers=make.headers(Role.OFFICER)).status_code == 403
    assert client.get("/api/v1/vans").status_code == 401


def test_the_problem_export_is_vroom_json_with_deadlines(client, make, world):
    first = world.order(due=world.at(12))
    world.order(world.person(km_east=2), due=world.at(17) + timedelta(days=2))
    headers = make.headers(Role.COORDINATOR)
    body = _plan(client, headers, world.day)
    problem = client.get(f"/api/v1/plans/{body['id']}/problem", headers=headers)
    assert problem.status_code == 200 and problem.mimetype == "application/json"
    problem = problem.get_json()
    assert {"vehicles", "jobs", "matrices"} <= set(problem)
    deadlines = {j["description"]: j.get("deadline") for j in problem["jobs"]}
    assert deadlines[first.ref] == 12 * 3600 and sorted(deadlines.values(), key=str)[1] is None
    solved = routing.solve_json(problem, seconds=0.3)  # any VROOM tool can take it; ours can
    assert solved["code"] == 0 and not solved["unassigned"]
    assert client.get(f"/api/v1/plans/{body['id']}/problem", headers=make.headers(Role.CLERK)).status_code == 403
    assert client.get("/api/v1/plans/9999/problem", headers=headers).status_code == 404


def test_two_plans_of_one_day_at_once_one_is_refused(client, app, make, world):
    for k in range(6):
        world.order(world.person(km_north=1 + k))
    headers = make.headers(Role.COORDINATOR)
    body = {"date": world.day.isoformat(), "seconds": 3}
    answers: list = []
    start = threading.Barrier(2)

    def post() -> None:
        with app.test_client() as own:
            start.wait()
            answers.append(own.post("/api/v1/plans", json=body, headers=headers))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(a.status_code for a in answers)
    assert codes == [202, 409], [a.get_json() for a in answers]
    accepted = next(a for a in answers if a.status_code == 202).get_json()["id"]
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.mimetype == "application/problem+json" and f"plan {accepted}" in refused.get_json()["detail"]
    assert wait_done(client, headers, accepted)["status"] == "done"
    assert client.post("/api/v1/plans", json={**body, "seconds": 0.3}, headers=headers).status_code == 202
    assert client.post("/api/v1/plans", json={**body, "seconds": 601}, headers=headers).status_code == 422


def test_reoptimising_runs_off_the_request_thread(client, make, world):
    for k in range(5):
        world.order(world.person(km_north=1 + k))
    headers = make.headers(Role.COORDINATOR)
    plan = _plan(client, headers, world.day)
    started = clock.monotonic()
    queued = client.post(f"/api/v1/plans/{plan['id']}/reoptimise", json={"seconds": 2}, headers=headers)
    assert queued.status_code == 202 and clock.monotonic() - started < 1.5
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=headers).get_json()["status"] in ("queued", "running")
    again = client.post(f"/api/v1/plans/{plan['id']}/reoptimise", json={"seconds": 2}, headers=headers)
    assert again.status_code == 409  # one job of a plan at a time
    assert (
        client.post(f"/api/v1/plans/{plan['id']}/reoptimise", json={"seconds": 121}, headers=headers).status_code == 422
    )
    done = wait_done(client, headers, plan["id"])
    assert done["status"] == "done" and done["job"] == "plan" and done["unassigned"] == []


# ---------------------------------------------------------------------------- slots at intake


@pytest.fixture
def orders_world(db):
    return build_orders_world(db)


def test_a_past_slot_or_one_without_working_time_is_refused_and_nothing_written(client, db, orders_world, make):
    receive(db, "IPS", "FRAME", quantity=3)
    headers = make.headers(Role.COORDINATOR)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    past = client.post(
        "/api/v1/orders",
        json=order_data(slot={"start": yesterday.isoformat(), "end": (yesterday + timedelta(hours=2)).isoformat()}),
        headers=headers,
    )
    assert past.status_code == 422 and past.mimetype == "application/problem+json"
    assert "past" in past.get_json()["detail"] and past.get_json()["errors"][0]["field"].startswith("slot")
    night = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    dark = client.post(
        "/api/v1/orders", json=order_data(slot={"start": f"{night}T21:00", "end": f"{night}T23:00"}), headers=headers
    )
    assert dark.status_code == 422 and "No van" in dark.get_json()["detail"]
    assert db.exec(select(func.count()).select_from(Order)).one() == 0
    assert db.exec(select(func.count()).select_from(ServiceUser)).one() == 0
    ok = client.post(
        "/api/v1/orders", json=order_data(slot={"start": f"{night}T09:00", "end": f"{night}T12:00"}), headers=headers
    )
    assert ok.status_code == 201, ok.get_json()


def test_a_slot_outside_every_van_shift_is_refused(client, db, orders_world, make):
    receive(db, "IPS", "FRAME", quantity=3)
    ips = db.exec(select(Depot).where(Depot.code == "IPS")).one()
    make.van(ips, shift_start=time(10), shift_end=time(19))
    headers = make.headers(Role.COORDINATOR)
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    early = client.post(
        "/api/v1/orders", json=order_data(slot={"start": f"{day}T08:00", "end": f"{day}T09:30"}), headers=headers
    )
    assert early.status_code == 422 and "No van" in early.get_json()["detail"]
    evening = client.post(
        "/api/v1/orders", json=order_data(slot={"start": f"{day}T18:00", "end": f"{day}T19:00"}), headers=headers
    )
    assert evening.status_code == 201, evening.get_json()


def test_an_address_visited_by_two_vans_says_why(client, make, db, engine):
    w = build_world(db, engine, make, vans=2, segregated=False)
    home = w.person()
    w.order(home, lines=[(w.frame, 1)])
    collection = w.order(home, kind="collection", klass="urgent_collection", lines=[(w.frame, 1)])
    headers = make.headers(Role.COORDINATOR)
    body = _plan(client, headers, w.day)
    assert body["split_visits"] == []  # two visits, one van: dirty after clean
    (stop, van) = next((s, r["van"]) for r in body["routes"] for s in r["stops"] if s["order_refs"] == [collection.ref])
    other = next(v.reg for v in w.vans if v.reg != van)
    moved = client.post(f"/api/v1/plans/{body['id']}/stops/{stop['id']}/move", json={"van": other}, headers=headers)
    assert moved.status_code == 200, moved.get_json()
    (split,) = moved.get_json()["split_visits"]
    assert split["vans"] == sorted(v.reg for v in w.vans) and split["area"] == "IP4"
    assert "no separate dirty compartment" in split["reason"]
    sign_in(client, make.user(Role.COORDINATOR).username)
    page = client.get(f"/plans/{body['id']}").get_data(as_text=True)
    assert "Addresses visited by more than one van" in page and "no separate dirty compartment" in page


def test_a_visit_is_split_when_no_van_with_a_dirty_compartment_can_carry_it(client, make, db, engine):
    w = build_world(db, engine, make, vans=2)
    w.vans[0].skills = ""  # has the compartment, not the crew for a bed
    w.vans[1].segregated = False
    db.add_all(w.vans)
    db.commit()
    home = w.person()
    bed = w.order(home, lines=[(w.bed, 1)])
    collection = w.order(home, kind="collection", klass="urgent_collection", lines=[(w.frame, 1)])
    body = _plan(client, make.headers(Role.COORDINATOR), w.day)
    assert body["unassigned"] == []
    stops = {tuple(s["order_refs"]): r["van"] for r in body["routes"] for s in r["stops"]}
    assert stops[(bed.ref,)] == w.vans[1].reg and (collection.ref,) in stops
