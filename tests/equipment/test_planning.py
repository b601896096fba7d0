"""Planning a service day: the problem, the stored plan, unplanned orders and predicted delays."""

from __future__ import annotations

import logging
import os
import time as clock
from datetime import time, timedelta

import pytest
from sqlmodel import select

from equipment import planning, service_time, stock
from equipment.errors import Conflict, InvalidTransition
from equipment.models import Asset, Delay, Notice, Order, OrderEvent, VanAbsence
from equipment.notices import wording
from equipment.planning import runs as jobs
from equipment.planning.problem import build_day_problem, cause_from_reason
from equipment.vocabulary import DelayCause, OrderKind, OrderStatus, PlanStatus
from tests.equipment.test_planning_support import TZ, build_world, get_order, order_refs_on_routes


@pytest.fixture
def world(db, engine, make):
    return build_world(db, engine, make)


def test_day_problem_is_vroom_with_depot_skills_breaks_slots_and_one_visit_per_address(world):
    home = world.person()
    delivery = world.order(home, lines=[(world.bed, 1)])
    collection = world.order(home, kind=OrderKind.COLLECTION, klass="urgent_collection", lines=[(world.hoist, 1)])
    slotted = world.order(
        world.person(km_east=2),
        slot=(world.at(12), world.at(17)),
        klass="standard",
        due=world.at(17) + timedelta(days=5),
    )
    built = build_day_problem(world.db, service_date=world.day, depot_codes=None, tz=TZ)
    problem = built.problem
    assert len(problem["vehicles"]) == 1 and len(problem["jobs"]) == 2
    vehicle = problem["vehicles"][0]
    assert vehicle["capacity"] == [100, 2, 2]
    assert vehicle["time_window"] == [8 * 3600, 17 * 3600]
    assert vehicle["breaks"][0]["service"] == 30 * 60
    assert vehicle["breaks"][0]["time_windows"] == [[12 * 3600, 13 * 3600 + 1800]]
    visit = next(j for j in problem["jobs"] if len(built.jobs[j["id"]].orders) == 2)
    assert {o.ref for o in built.jobs[visit["id"]].orders} == {delivery.ref, collection.ref}
    assert visit["delivery"] == [20, 1, 0] and visit["pickup"] == [10, 0, 1]
    assert visit["service"] == (5 + 40 + 15) * 60
    assert visit["priority"] == 80  # due today: mandatory
    assert set(visit["skills"]) >= {1, 2, 1000 + world.depot.id}
    other = next(j for j in problem["jobs"] if j is not visit)
    assert other["time_windows"] == [[12 * 3600, 17 * 3600]]
    assert other["priority"] == 0  # brought forward
    assert {o.ref for o in built.jobs[other["id"]].orders} == {slotted.ref}
    assert len(problem["matrices"]["car"]["durations"]) == 3


def test_plan_stores_routes_stops_etas_and_one_stop_for_two_orders(world):
    home = world.person(km_north=4)
    a = world.order(home, lines=[(world.bed, 1)])
    b = world.order(home, kind=OrderKind.COLLECTION, klass="urgent_collection", lines=[(world.hoist, 1)])
    c = world.order(world.person(km_east=5), slot=(world.at(13), world.at(15)))
    plan = world.plan()
    assert plan.status == PlanStatus.DONE and plan.progress == 1.0 and plan.best_cost is not None
    view = world.view(plan)
    assert len(view.routes) == 1
    route = view.routes[0]
    assert route.route.distance_m > 0 and route.route.start_at < route.route.end_at
    refs = order_refs_on_routes(view)
    assert sorted(refs, key=len) == [[c.ref], sorted([a.ref, b.ref])]
    stop_c = next(sv.stop for sv in route.stops if sv.orders[0].ref == c.ref)
    assert world.at(13) <= stop_c.eta <= world.at(15)
    assert [sv.stop.sequence for sv in route.stops] == [1, 2]
    assert all(not sv.stop.late for sv in route.stops)
    assert view.unplanned == []
    # Not published yet: the orders are still ready.
    assert get_order(world.db, a.ref).status == OrderStatus.READY


def test_mandatory_orders_win_over_brought_forward_ones(db, engine, make):
    w = build_world(db, engine, make, volume_capacity=24)
    optional = [w.order(klass="standard", due=w.at(17) + timedelta(days=4), lines=[(w.frame, 5)]) for _ in range(2)]
    must = w.order(lines=[(w.bed, 1)])  # 20 of 24 volume units
    plan = w.plan()
    view = w.view(plan)
    assert [[must.ref]] == order_refs_on_routes(view)
    unplanned = {o.ref: reason for o, reason in view.unplanned}
    assert set(unplanned) == {o.ref for o in optional}
    # Not being brought forward is not a delay.
    assert db.exec(select(Delay)).all() == []


def test_unplanned_orders_get_reasons_and_predicted_delays(world):
    world.vans[0].skills = "two_person"  # nobody hoist-trained today
    world.db.add(world.vans[0])
    world.db.commit()
    hoist = world.order(lines=[(world.hoist, 1)])
    night = world.order(slot=(world.at(19), world.at(20)), due=world.at(17))
    plan = world.plan()
    view = world.view(plan)
    reasons = {o.ref: r for o, r in view.unplanned}
    assert set(reasons) == {hoist.ref, night.ref}
    delays = {world.db.get(Order, d.order_id).ref: d for d in world.db.exec(select(Delay))}
    assert delays[hoist.ref].cause == DelayCause.NO_TRAINED_CREW and delays[hoist.ref].kind == "predicted"
    assert delays[night.ref].cause == DelayCause.OUTSIDE_SLOT
    assert all(d.plan_id == plan.id for d in delays.values())


def test_back_orders_due_today_are_reported_as_stock_unavailable(world):
    order = world.order()
    order.status = OrderStatus.BACK_ORDER
    world.db.add(order)
    world.db.commit()
    plan = world.plan()
    view = world.view(plan)
    assert [(o.ref, r) for o, r in view.unplanned] == [(order.ref, "stock unavailable at IPS")]
    delay = world.db.exec(select(Delay)).one()
    assert delay.cause == DelayCause.STOCK_UNAVAILABLE


def test_van_off_the_road_is_not_planned(db, engine, make):
    w = build_world(db, engine, make, vans=2)
    db.add(VanAbsence(van_id=w.vans[0].id, day=w.day, reason="service"))
    db.commit()
    for _ in range(3):
        w.order()
    view = w.view(w.plan())
    assert {rv.van.id for rv in view.routes} == {w.vans[1].id}


def test_stop_after_due_time_is_late_with_a_predicted_delay(world):
    order = world.order(world.person(km_north=20), due=world.at(8, 5))
    view = world.view(world.plan())
    stop = view.routes[0].stops[0].stop
    assert stop.late and stop.eta > order.due_at
    delay = world.db.exec(select(Delay)).one()
    assert delay.kind == "predicted" and delay.expected_at == stop.eta


def test_reason_phrases_map_to_causes():
    assert cause_from_reason("no vehicle has the required skills") == DelayCause.NO_TRAINED_CREW
    assert cause_from_reason("cannot be reached within its time windows") == DelayCause.OUTSIDE_SLOT
    assert cause_from_reason("no capacity or time left in any route") == DelayCause.NO_VAN_CAPACITY


def test_publish_marks_orders_planned_once(world):
    order = world.order()
    plan = world.plan()
    planning.publish_plan(world.db, plan_id=plan.id, user_id=None)
    assert get_order(world.db, order.ref).status == OrderStatus.PLANNED
    assert world.db.exec(select(OrderEvent).where(OrderEvent.event == "planned")).one().order_id == order.id
    with pytest.raises(InvalidTransition):
        planning.publish_plan(world.db, plan_id=plan.id, user_id=None)
    world.order()
    second = world.plan()
    with pytest.raises(Conflict):
        planning.publish_plan(world.db, plan_id=second.id, user_id=None)


def _tight_world(db, engine, make):
    """One van from 07:00; stop A (long install) due one minute after its ETA; an urgent order X
    whose slot forces it before A."""
    w = build_world(db, engine, make, shift_start=time(7))
    slow = make.item("SLOW", volume=5, install_minutes=60)
    stock.receive_goods(db, depot_code="IPS", sku="SLOW", quantity=5, user_id=None)
    a = w.order(w.person(km_north=5), lines=[(slow, 1)])
    plan = w.published()
    stop = w.view(plan).routes[0].stops[0].stop
    a.due_at = stop.eta + timedelta(minutes=1)
    db.add(a)
    db.commit()
    x = w.order(w.person(km_north=-5), klass="emergency", due=w.at(12), slot=(w.at(7), w.at(7, 40)))
    return w, plan, a, x, stop


def test_urgent_insertion_dry_run_shows_knock_on_without_changing_anything(db, engine, make):
    w, plan, _, x, stop = _tight_world(db, engine, make)
    result = planning.insert_urgent(db, plan_id=plan.id, order_ref=x.ref, dry_run=True, user_id=None, tz=TZ)
    assert result.dry_run and result.stop.order_refs == [x.ref] and result.stop.sequence == 1
    assert [c.stop_id for c in result.late_stops] == [stop.id]
    assert result.late_stops[0].eta > result.late_stops[0].old_eta
    assert get_order(db, x.ref).status == OrderStatus.READY
    assert len(w.view(plan).routes[0].stops) == 1


def test_urgent_insertion_keeps_the_order_of_existing_stops(db, engine, make):
    w, plan, a, x, stop = _tight_world(db, engine, make)
    extra = [w.order(w.person(km_east=k)) for k in (3, 6)]
    planning.insert_urgent(db, plan_id=plan.id, order_ref=extra[0].ref, dry_run=False, user_id=None, tz=TZ)
    before = order_refs_on_routes(w.view(plan))
    result = planning.insert_urgent(db, plan_id=plan.id, order_ref=x.ref, dry_run=False, user_id=None, tz=TZ)
    after = order_refs_on_routes(w.view(plan))
    assert [r for r in after if r != [x.ref]] == before
    assert after[0] == [x.ref]
    assert get_order(db, x.ref).status == OrderStatus.PLANNED
    assert result.stop.stop_id is not None
    late = next(sv.stop for sv in w.view(plan).routes[0].stops if sv.stop.id == stop.id)
    assert late.late
    assert db.exec(select(Delay).where(Delay.order_id == a.id)).one().note.startswith("knock-on")
    with pytest.raises(InvalidTransition):
        planning.insert_urgent(db, plan_id=plan.id, order_ref=x.ref, dry_run=False, user_id=None, tz=TZ)


def test_move_stop_and_lock_then_reoptimise(db, engine, make):
    w = build_world(db, engine, make, vans=2)
    for k in range(6):
        w.order(w.person(km_north=2 + k, km_east=(-1) ** k * 3))
    plan = w.plan()
    view = w.view(plan)
    source = max(view.routes, key=lambda rv: len(rv.stops))
    target = next(v for v in w.vans if v.id != source.van.id)
    moved = source.stops[0]
    planning.move_stop(db, plan_id=plan.id, stop_id=moved.stop.id, van_reg=target.reg, user_id=None, tz=TZ)
    view = w.view(plan)
    on_target = next(rv for rv in view.routes if rv.van.id == target.id)
    assert moved.stop.id in [sv.stop.id for sv in on_target.stops]
    assert all([sv.stop.sequence for sv in rv.stops] == list(range(1, len(rv.stops) + 1)) for rv in view.routes)
    # Lock the target's route; re-optimising leaves it exactly as it is.
    planning.set_route_lock(db, plan_id=plan.id, route_id=on_target.route.id, locked=True, user_id=None)
    kept = [(sv.stop.id, sv.stop.eta) for sv in on_target.stops]
    planning.reoptimise(db, plan_id=plan.id, seconds=0.3, user_id=None, tz=TZ)
    view = w.view(plan)
    locked = next(rv for rv in view.routes if rv.route.locked)
    assert [(sv.stop.id, sv.stop.eta) for sv in locked.stops] == kept
    assert sum(len(rv.stops) for rv in view.routes) + len(view.unplanned) == 6


def test_failed_job_is_marked_failed_with_reason_and_can_be_retried(world):
    plan = planning.create_plan(world.db, service_date=world.day, depot_codes=["IPS"], seconds=1, user_id=None)
    plan.depots = "NOPE"  # as if the depot vanished meanwhile
    world.db.add(plan)
    world.db.commit()
    jobs.execute(world.engine, plan.id, tz=TZ, osrm_url=None)
    world.db.expire_all()
    assert plan.status == PlanStatus.FAILED and "NOPE" in plan.error
    plan.depots = "IPS"
    world.db.add(plan)
    world.db.commit()
    planning.retry_plan(world.db, plan_id=plan.id, user_id=None)
    assert plan.status == PlanStatus.QUEUED and plan.error == ""
    jobs.execute(world.engine, plan.id, tz=TZ, osrm_url=None)
    world.db.expire_all()
    assert plan.status == PlanStatus.DONE


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: one search")
def test_a_planning_job_runs_router_threads_searches_at_once(world, monkeypatch, caplog):
    # ROUTER_THREADS (default 2): the planning job runs two searches and keeps the better plan.
    monkeypatch.setenv("ROUTER_THREADS", "2")
    caplog.set_level(logging.INFO, logger="routing.portfolio")
    refs = [world.order(world.person(km_north=2 + k, km_east=(-1) ** k * 3)).ref for k in range(5)]
    plan = planning.create_plan(world.db, service_date=world.day, depot_codes=None, seconds=7, user_id=None)
    world.db.commit()
    jobs.execute(world.engine, plan.id, tz=TZ, osrm_url=None)
    world.db.expire_all()
    assert plan.status == PlanStatus.DONE
    assert sorted(r for refs_ in order_refs_on_routes(world.view(plan)) for r in refs_) == sorted(refs)
    assert [r.getMessage()[:22] for r in caplog.records if r.getMessage().startswith("best of")] == [
        "best of 2 searches: (0"
    ]


def test_the_in_app_worker_plans_in_another_process_so_pages_stay_fast(world, monkeypatch):
    # Without Redis the web process plans in a background thread; the search itself runs in
    # another process (it holds the interpreter lock while it works). Here the search is
    # broken in this process, so the plan can only have come from elsewhere.
    import routing.search

    def broken(*args, **kwargs):
        raise AssertionError("the search ran inside the web process")

    monkeypatch.setattr(routing.search, "plan", broken)
    refs = [world.order(world.person(km_north=2 + k, km_east=3)).ref for k in range(3)]
    plan = planning.create_plan(world.db, service_date=world.day, depot_codes=None, seconds=2, user_id=None)
    world.db.commit()
    worker = jobs.InAppWorker.for_engine(world.engine)
    worker.submit(plan.id, tz=TZ, osrm_url=None, engine=world.engine)
    for _ in range(300):
        if not worker.knows(plan.id, world.engine):
            break
        clock.sleep(0.1)
    world.db.expire_all()
    assert plan.status == PlanStatus.DONE, plan.error
    assert plan.best_cost is not None  # the other process's progress was recorded
    assert sorted(r for refs_ in order_refs_on_routes(world.view(plan)) for r in refs_) == sorted(refs)


def test_a_plan_running_far_past_its_budget_is_presumed_dead(world):
    plan = planning.create_plan(world.db, service_date=world.day, depot_codes=None, seconds=1, user_id=None)
    plan.status, plan.started_at = PlanStatus.RUNNING, plan.created_at - timedelta(minutes=10)
    world.db.add(plan)
    world.db.commit()
    planning.fail_if_stale(world.db, plan)
    assert plan.status == PlanStatus.FAILED and "presumed dead" in plan.error


def test_load_list_and_loading_move_stock_onto_the_van(world):
    order = world.order(lines=[(world.bed, 1), (world.frame, 2)])
    plan = world.published()
    lists = planning.load_list(world.db, plan.id)
    ((route_view, lines),) = lists
    assert [(load.item.sku, load.serials) for load in lines] == [("BED", ["BED-001"]), ("FRAME", [])]
    planning.mark_loaded(world.db, route_id=route_view.route.id, user_id=None)
    world.db.expire_all()
    asset = world.db.exec(select(Asset).where(Asset.serial == "BED-001")).one()
    assert asset.state == "loaded" and asset.van_id == world.vans[0].id
    assert get_order(world.db, order.ref).status == OrderStatus.LOADED
    with pytest.raises(InvalidTransition):
        planning.mark_loaded(world.db, route_id=route_view.route.id, user_id=None)


def test_moving_a_stop_of_a_published_plan_tells_whoever_s_window_changed(db, engine, make):
    w = build_world(db, engine, make, vans=2)
    for k in range(6):
        w.order(w.person(km_north=2 + k, km_east=(-1) ** k * 3))
    plan = w.plan()
    planning.publish_plan(db, plan_id=plan.id, user_id=None)

    def windows() -> dict[int, str]:
        return {
            sv.stop.id: f"window:{sv.stop.service_user_id}:{plan.service_date}:"
            f"{wording.visit_window(service_time.to_local(sv.stop.eta, TZ))[0]:%H%M}"
            for rv in w.view(plan).routes
            for sv in rv.stops
        }

    told_before = set(db.exec(select(Notice.event_key)))
    before = windows()
    assert set(before.values()) <= told_before
    source = max(w.view(plan).routes, key=lambda rv: len(rv.stops))
    target = next(v for v in w.vans if v.id != source.van.id)
    moved = source.stops[-1].stop.id
    planning.move_stop(db, plan_id=plan.id, stop_id=moved, van_reg=target.reg, user_id=None, tz=TZ)
    db.expire_all()

    after = windows()
    changed = {after[s] for s in after if after[s] != before[s]}
    assert after[moved] != before[moved]  # the moved visit's window is not what the person was told
    told_now = set(db.exec(select(Notice.event_key)))
    assert told_now - told_before == changed
    new_bodies = db.exec(select(Notice.body).where(Notice.event_key.in_(changed))).all()
    assert new_bodies and all("the time of your visit has changed" in b for b in new_bodies)
    first_bodies = db.exec(select(Notice.body).where(Notice.event_key.in_(told_before))).all()
    assert not any("changed" in b for b in first_bodies)
