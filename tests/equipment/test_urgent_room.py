"""Making room for urgent work: the offers when an emergency fits nowhere, choosing one (the stops
given up go back to be planned, with their predicted delay), declining, and bad choices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from equipment import planning, service_time
from equipment.errors import Conflict, Invalid, InvalidTransition
from equipment.models import AuditEvent, Delay, OrderEvent, Stop, Unplanned
from equipment.planning.problem import build_day_problem
from equipment.vocabulary import OrderStatus
from tests.equipment.test_planning_support import TZ, build_world, get_order, order_refs_on_routes
from tests.equipment.test_planning_transactions import solves  # noqa: F401 (a fixture)


def full_van(db, engine, make, **world):
    """One van of 24 volume units carrying 20: an order brought forward (due in four days) and
    one due today; an emergency of 6 units fits only if one of them gives way."""
    w = build_world(db, engine, make, volume_capacity=24, **world)
    later = w.order(w.person(km_north=4), klass="standard", due=w.at(17) + timedelta(days=4), lines=[(w.frame, 5)])
    today = w.order(w.person(km_north=6), due=w.at(16), lines=[(w.frame, 5)])
    plan = w.published()
    assert sorted(sum(order_refs_on_routes(w.view(plan)), [])) == sorted([later.ref, today.ref])
    urgent = w.order(w.person(km_east=3), klass="emergency", due=w.at(12), lines=[(w.frame, 3)])
    return w, plan, later, today, urgent


def stop_of(w, plan, ref: str) -> Stop:
    return next(sv.stop for rv in w.view(plan).routes for sv in rv.stops if ref in [o.ref for o in sv.orders])


def audit_actions(db) -> list[str]:
    return list(db.exec(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_an_emergency_that_fits_nowhere_is_offered_room_brought_forward_first(db, engine, make):
    w, plan, later, today, urgent = full_van(db, engine, make)
    dry = planning.insert_urgent(db, plan_id=plan.id, order_ref=urgent.ref, dry_run=True, user_id=None, tz=TZ)
    assert not dry.inserted and dry.stop is None and "capacity" in dry.reason
    assert len(dry.offers) == 1
    offer = dry.offers[0]
    assert offer.van == w.vans[0].reg
    assert [d.order_refs for d in offer.displaced] == [[later.ref]]
    assert offer.displaced[0].brought_forward and not offer.displaced[0].misses_due
    assert offer.made_late == [] and offer.stop.order_refs == [urgent.ref] and not offer.stop.late
    assert "urgent_no_room" not in audit_actions(db)  # a dry run writes nothing
    real = planning.insert_urgent(db, plan_id=plan.id, order_ref=urgent.ref, dry_run=False, user_id=None, tz=TZ)
    assert not real.inserted and len(real.offers) == 1
    assert audit_actions(db)[-1] == "urgent_no_room"
    assert get_order(db, urgent.ref).status == OrderStatus.READY


def test_choosing_an_offer_puts_the_emergency_in_and_sends_the_displaced_order_back(db, engine, make):
    w, plan, later, today, urgent = full_van(db, engine, make)
    user = make.user("coordinator")
    given_up = stop_of(w, plan, later.ref)
    result = planning.insert_urgent(
        db, plan_id=plan.id, order_ref=urgent.ref, dry_run=False, user_id=user.id, tz=TZ, displace=[given_up.id]
    )
    assert result.inserted and result.stop.stop_id and [d.stop_id for d in result.displaced] == [given_up.id]
    refs = sum(order_refs_on_routes(w.view(plan)), [])
    assert sorted(refs) == sorted([today.ref, urgent.ref])
    assert db.get(Stop, given_up.id) is None
    assert get_order(db, urgent.ref).status == OrderStatus.PLANNED
    assert get_order(db, later.ref).status == OrderStatus.READY  # back to be planned
    assert [o.ref for o, _ in w.view(plan).unplanned] == [later.ref]
    assert db.exec(select(Delay).where(Delay.order_id == later.id)).all() == []  # due in four days: no delay
    events = db.exec(select(OrderEvent.event).where(OrderEvent.order_id == later.id).order_by(OrderEvent.id)).all()
    assert events[-1] == "displaced"
    assert audit_actions(db)[-2:] == ["stop_displaced", "urgent_inserted"]
    detail = db.exec(select(AuditEvent.detail).where(AuditEvent.action == "urgent_inserted")).one()
    assert later.ref in detail and urgent.ref in detail
    # Back to be planned: the next day's plan takes it.
    w.day += timedelta(days=1)
    next_day = w.plan()
    assert [[later.ref]] == order_refs_on_routes(w.view(next_day))


def test_displacing_an_order_due_today_records_its_predicted_delay(db, engine, make):
    w, plan, later, today, urgent = full_van(db, engine, make)
    planning.insert_urgent(
        db,
        plan_id=plan.id,
        order_ref=urgent.ref,
        dry_run=False,
        user_id=None,
        tz=TZ,
        displace=[stop_of(w, plan, today.ref).id],
    )
    delay = db.exec(select(Delay).where(Delay.order_id == today.id)).one()
    assert delay.kind == "predicted" and delay.cause == "no_van_capacity" and delay.plan_id == plan.id
    assert delay.note == f"displaced by urgent order {urgent.ref}"
    assert get_order(db, today.ref).status == OrderStatus.READY


def test_the_offer_says_what_a_choice_makes_late(db, engine, make):
    """Nothing brought forward on the van: the offer gives up the order due latest, which then
    misses its due time."""
    w = build_world(db, engine, make, volume_capacity=24)
    early = w.order(w.person(km_north=4), due=w.at(13), lines=[(w.frame, 5)])
    latest = w.order(w.person(km_north=6), due=w.at(16), lines=[(w.frame, 5)])
    plan = w.published()
    urgent = w.order(w.person(km_east=3), klass="emergency", due=w.at(12), lines=[(w.frame, 3)])
    dry = planning.insert_urgent(db, plan_id=plan.id, order_ref=urgent.ref, dry_run=True, user_id=None, tz=TZ)
    offer = dry.offers[0]
    assert [d.order_refs for d in offer.displaced] == [[latest.ref]]
    assert offer.displaced[0].misses_due and offer.made_late == [latest.ref]
    assert early.ref not in offer.made_late


def test_declining_leaves_the_emergency_ready_with_its_predicted_delay(db, engine, make):
    w, plan, later, today, urgent = full_van(db, engine, make)
    before = sorted(sum(order_refs_on_routes(w.view(plan)), []))
    planning.decline_urgent(db, plan_id=plan.id, order_ref=urgent.ref, user_id=None)
    assert sorted(sum(order_refs_on_routes(w.view(plan)), [])) == before
    assert get_order(db, urgent.ref).status == OrderStatus.READY
    delay = db.exec(select(Delay).where(Delay.order_id == urgent.id)).one()
    assert delay.kind == "predicted" and "declined" in delay.note
    assert audit_actions(db)[-1] == "urgent_room_declined"


def test_bad_choices_are_refused_and_write_nothing(db, engine, make):
    w, plan, later, today, urgent = full_van(db, engine, make)
    stop = stop_of(w, plan, later.ref)
    counts = _counts(db)

    def insert(displace):
        return planning.insert_urgent(
            db, plan_id=plan.id, order_ref=urgent.ref, dry_run=False, user_id=None, tz=TZ, displace=displace
        )

    with pytest.raises(Invalid, match="no stop 999999"):
        insert([999999])
    with pytest.raises(Invalid, match="twice"):
        insert([stop.id, stop.id])
    done = stop_of(w, plan, today.ref)
    done.status = "done"
    db.add(done)
    db.commit()
    with pytest.raises(InvalidTransition, match="cannot give way"):
        insert([done.id])
    with pytest.raises(Conflict, match="does not make room"):
        _tiny_stop_does_not_make_room(db, w, plan, urgent)
    assert _counts(db) == counts
    assert get_order(db, urgent.ref).status == OrderStatus.READY
    assert get_order(db, later.ref).status == OrderStatus.PLANNED


def _tiny_stop_does_not_make_room(db, w, plan, urgent):
    """The emergency grows to 22 units: giving up 10 of 20 is not enough."""
    from equipment.models import OrderLine

    line = db.exec(select(OrderLine).where(OrderLine.order_id == urgent.id)).one()
    line.quantity = 11
    db.add(line)
    db.commit()
    stop = next(sv.stop for rv in w.view(plan).routes for sv in rv.stops)
    planning.insert_urgent(
        db, plan_id=plan.id, order_ref=urgent.ref, dry_run=False, user_id=None, tz=TZ, displace=[stop.id]
    )


def _counts(db) -> tuple:
    return tuple(
        db.exec(select(func.count()).select_from(model)).one() for model in (AuditEvent, Delay, Stop, Unplanned)
    )


def test_stops_on_two_routes_cannot_both_give_way(db, engine, make):
    w = build_world(db, engine, make, vans=2, volume_capacity=24)
    for k in range(4):
        w.order(w.person(km_north=3 + k, km_east=(-1) ** k * 4), lines=[(w.frame, 5)])
    plan = w.published()
    view = w.view(plan)
    assert len(view.routes) == 2
    urgent = w.order(w.person(km_east=3), klass="emergency", due=w.at(12))
    one_each = [rv.stops[0].stop.id for rv in view.routes]
    with pytest.raises(Invalid, match="one route"):
        planning.insert_urgent(
            db, plan_id=plan.id, order_ref=urgent.ref, dry_run=False, user_id=None, tz=TZ, displace=one_each
        )


def on_a_line(db, engine, make):
    """A route depot -> A (3 km north, an hour's visit) -> B (6 km north). An emergency at 3.5 km
    due 08:45 costs least after A (on the way) but is on time only before it."""
    from equipment import stock

    w = build_world(db, engine, make)
    slow = make.item("SLOW", volume=5, install_minutes=60)
    stock.receive_goods(db, depot_code="IPS", sku="SLOW", quantity=5, user_id=None)
    a = w.order(w.person(km_north=3), lines=[(slow, 1)], slot=(w.at(8), w.at(9)))  # so the route runs A, B
    b = w.order(w.person(km_north=6), slot=(w.at(10), w.at(17)))
    plan = w.published()
    assert sum(order_refs_on_routes(w.view(plan)), []) == [a.ref, b.ref]
    urgent = w.order(w.person(km_north=3.5), klass="emergency", due=w.at(8, 45))
    return w, plan, a, urgent


def test_the_urgent_order_s_due_time_goes_to_the_router(db, engine, make):
    from equipment.models import Plan
    from equipment.planning.keep_order import NEW_JOB_BASE, fixed_routes

    w, plan, a, urgent = on_a_line(db, engine, make)
    kept = {"tz": TZ, "osrm_url": None, "extra": [[get_order(db, urgent.ref)]]}
    aimed = fixed_routes(db, db.get(Plan, plan.id), aim_at_due=True, **kept).built.problem
    job = next(j for j in aimed["jobs"] if j["id"] == NEW_JOB_BASE)
    assert job["deadline"] == 8 * 3600 + 45 * 60  # seconds of the service day
    cost_only = fixed_routes(db, db.get(Plan, plan.id), **kept).built.problem
    assert "deadline" not in next(j for j in cost_only["jobs"] if j["id"] == NEW_JOB_BASE)
    db.commit()


def test_the_insertion_aims_at_the_due_time_then_at_cost(db, engine, make):
    w, plan, a, urgent = on_a_line(db, engine, make)
    common = {"plan_id": plan.id, "order_ref": urgent.ref, "dry_run": True, "user_id": None, "tz": TZ}
    aimed = planning.insert_urgent(db, **common)
    assert aimed.stop.sequence == 1 and not aimed.stop.late
    by_cost = planning.insert_urgent(db, aim_at_due=False, **common)
    assert by_cost.stop.sequence > 1 and by_cost.stop.late  # on the way, after the hour at A


def test_nothing_goes_in_front_of_a_stop_whose_time_has_passed(db, engine, make):
    w, plan, a, urgent = on_a_line(db, engine, make)
    stop_a = stop_of(w, plan, a.ref)
    now = stop_a.eta + timedelta(minutes=10)  # the van is at A
    result = planning.insert_urgent(
        db, plan_id=plan.id, order_ref=urgent.ref, dry_run=True, user_id=None, tz=TZ, now=now
    )
    assert result.stop.sequence == 2 and result.stop.eta >= now


def test_making_room_solves_outside_transactions_and_refuses_a_plan_that_changed(db, engine, make, solves):  # noqa: F811
    from equipment.db import new_session

    w, plan, later, today, urgent = full_van(db, engine, make)
    planning.insert_urgent(db, plan_id=plan.id, order_ref=urgent.ref, dry_run=True, user_id=None, tz=TZ)
    assert solves.seen and not any(solves.seen)  # every solve of the offers ran with no transaction open
    given_up = stop_of(w, plan, later.ref).id
    counts = _counts(db)

    def driver_reaches_the_stop() -> None:
        with new_session(engine) as other:
            stop = other.get(Stop, given_up)
            stop.status = "done"
            other.add(stop)
            other.commit()

    solves.during = driver_reaches_the_stop
    with pytest.raises(Conflict, match="changed"):
        planning.insert_urgent(
            db, plan_id=plan.id, order_ref=urgent.ref, dry_run=False, user_id=None, tz=TZ, displace=[given_up]
        )
    assert _counts(db) == counts
    assert get_order(db, later.ref).status == OrderStatus.PLANNED
    assert get_order(db, urgent.ref).status == OrderStatus.READY


def test_a_stop_overdue_before_the_day_is_never_reported_as_made_late_by_an_insertion(db, engine, make):
    """An overdue order's visit was late before the day began: an insertion that moves it later
    does not make it late (issue #14: late versus overdue)."""
    world = build_world(db, engine, make, day=service_time.today(TZ) + timedelta(days=1))
    overdue = world.order(person=world.person(1), due=world.at(9) - timedelta(days=2))
    plan = world.published()
    urgent = world.order(person=world.person(0.5), klass="emergency", due=world.at(9))
    result = planning.insert_urgent(db, plan_id=plan.id, order_ref=urgent.ref, dry_run=True, user_id=None, tz=TZ)
    assert result.stop is not None
    assert overdue.ref not in [ref for change in result.late_stops for ref in change.order_refs]


def test_a_swap_of_unsafe_equipment_is_planned_as_an_emergency_and_never_displaced(db, engine, make):
    w = build_world(db, engine, make, volume_capacity=24)
    swap = w.order(w.person(km_north=4), klass="swap", due=w.at(12), lines=[(w.frame, 5)])
    today = w.order(w.person(km_north=6), due=w.at(16), lines=[(w.frame, 5)])
    built = build_day_problem(db, service_date=w.day, depot_codes=None, tz=TZ)
    priority = {built.jobs[j["id"]].orders[0].ref: j["priority"] for j in built.problem["jobs"]}
    assert priority == {swap.ref: 100, today.ref: 80}  # the hours clock of the swap class, like an emergency
    plan = w.published()
    urgent = w.order(w.person(km_east=3), klass="emergency", due=w.at(12), lines=[(w.frame, 3)])
    dry = planning.insert_urgent(db, plan_id=plan.id, order_ref=urgent.ref, dry_run=True, user_id=None, tz=TZ)
    assert [[d.order_refs for d in offer.displaced] for offer in dry.offers] == [[[today.ref]]]
