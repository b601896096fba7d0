"""Outcomes at a stop: stock and order state, actual delays, permissions and idempotent retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from equipment import deliveries, service_time
from equipment.db import utcnow
from equipment.errors import Conflict, Forbidden, Invalid, InvalidTransition, NotFound
from equipment.models import Asset, Delay, Order, Outcome
from equipment.vocabulary import OrderKind, OrderStatus, Role
from tests.equipment.test_planning_support import TZ, build_world, get_order


@pytest.fixture
def world(db, engine, make):
    return build_world(db, engine, make, day=service_time.today(TZ))  # outcomes happen on the day


COORD = deliveries.Actor(None, Role.COORDINATOR)


def _stop_of(world, plan, ref):
    view = world.view(plan)
    return next(sv.stop for rv in view.routes for sv in rv.stops if ref in [o.ref for o in sv.orders])


def test_delivered_puts_units_on_loan_and_completes_the_order(world):
    order = world.order(lines=[(world.bed, 1), (world.frame, 2)])
    plan = world.published()
    stop = _stop_of(world, plan, order.ref)
    # Five minutes ago, but never before the service day began (the suite may run at 00:02).
    at = max(utcnow() - timedelta(minutes=5), service_time.local_midnight(world.day, TZ))
    stop, _ = deliveries.apply_outcome(
        world.db, stop_id=stop.id, status="delivered", actor=COORD, recipient="Mrs Jones", serials=["BED-001"], at=at
    )
    world.db.commit()
    assert stop.status == "done"
    order = get_order(world.db, order.ref)
    assert order.status == OrderStatus.COMPLETED and order.completed_at == at
    asset = world.db.exec(select(Asset).where(Asset.serial == "BED-001")).one()
    assert asset.state == "on_loan" and asset.service_user_id == order.service_user_id
    outcome = world.db.exec(select(Outcome)).one()
    assert outcome.recipient == "Mrs Jones" and outcome.serials == "BED-001"
    assert world.db.exec(select(Delay)).all() == []  # on time


def test_delivered_needs_a_recipient_and_the_right_serials(world):
    order = world.order(lines=[(world.bed, 1)])
    plan = world.published()
    stop = _stop_of(world, plan, order.ref)
    with pytest.raises(Invalid) as missing:
        deliveries.apply_outcome(world.db, stop_id=stop.id, status="delivered", actor=COORD, serials=["BED-001"])
    assert missing.value.field == "recipient"
    with pytest.raises(Invalid) as wrong:
        deliveries.apply_outcome(
            world.db, stop_id=stop.id, status="delivered", actor=COORD, recipient="A", serials=["BED-007"]
        )
    assert wrong.value.field == "serials" and "BED-001" in wrong.value.detail
    with pytest.raises(Invalid):
        deliveries.apply_outcome(world.db, stop_id=stop.id, status="failed", actor=COORD, reason="bored")


def test_delivery_and_collection_at_one_stop(world):
    home = world.person()
    delivery = world.order(home, lines=[(world.bed, 1)])
    collection = world.order(home, kind=OrderKind.COLLECTION, klass="urgent_collection", lines=[(world.hoist, 1)])
    serial = world.db.exec(select(Asset).where(Asset.state == "on_loan")).one().serial
    plan = world.published()
    stop = _stop_of(world, plan, delivery.ref)
    assert _stop_of(world, plan, collection.ref).id == stop.id
    s, _ = deliveries.apply_outcome(world.db, stop_id=stop.id, status="collected", actor=COORD, serials=[serial])
    assert s.status == "partial"
    s, _ = deliveries.apply_outcome(
        world.db, stop_id=stop.id, status="delivered", actor=COORD, recipient="B", serials=["BED-001"]
    )
    world.db.commit()
    assert s.status == "done"
    asset = world.db.exec(select(Asset).where(Asset.serial == serial)).one()
    assert asset.state == "quarantine" and asset.depot_id == world.depot.id and asset.service_user_id is None
    assert get_order(world.db, collection.ref).status == OrderStatus.COMPLETED


def test_late_completion_logs_an_actual_delay_with_the_predicted_cause(world):
    order = world.order(world.person(km_north=20), due=world.at(8, 5))
    plan = world.published()  # predicted late: no van capacity
    order = get_order(world.db, order.ref)
    order.due_at = utcnow() - timedelta(hours=2)  # the day has come and gone
    world.db.add(order)
    world.db.commit()
    stop = _stop_of(world, plan, order.ref)
    deliveries.apply_outcome(world.db, stop_id=stop.id, status="delivered", actor=COORD, recipient="C")
    world.db.commit()
    kinds = [(d.kind, d.cause) for d in world.db.exec(select(Delay).order_by(Delay.id))]
    assert kinds == [("predicted", "no_van_capacity"), ("actual", "no_van_capacity")]


def test_failed_visit_reschedules_and_logs_delay(world):
    due_later = world.order(klass="standard", due=utcnow() + timedelta(days=3))
    overdue = world.order(world.person(km_east=4), due=world.at(17))
    plan = world.published()
    overdue = get_order(world.db, overdue.ref)
    overdue.due_at = utcnow() - timedelta(hours=1)
    later = get_order(world.db, due_later.ref)
    later.received_at = utcnow() - timedelta(days=1)  # received before it is visited
    world.db.add_all([overdue, later])
    world.db.commit()
    for order, reason in ((due_later, "later_date_requested"), (overdue, "not_at_home")):
        stop = _stop_of(world, plan, order.ref)
        s, _ = deliveries.apply_outcome(world.db, stop_id=stop.id, status="failed", actor=COORD, reason=reason)
        assert s.status == "failed"
    world.db.commit()
    first, second = get_order(world.db, due_later.ref), get_order(world.db, overdue.ref)
    assert first.status == second.status == OrderStatus.READY
    delays = {d.order_id: d for d in world.db.exec(select(Delay))}
    assert (delays[first.id].kind, delays[first.id].cause, delays[first.id].attributable) == (
        "predicted",
        "later_date_requested",
        False,
    )
    assert first.excused
    assert (delays[second.id].kind, delays[second.id].cause) == ("actual", "not_at_home")
    with pytest.raises(InvalidTransition):
        deliveries.apply_outcome(world.db, stop_id=stop.id, status="failed", actor=COORD, reason="other")


def test_only_the_routes_driver_may_record(world):
    order = world.order()
    plan = world.published()
    stop = _stop_of(world, plan, order.ref)
    other_van = world.make.van(world.depot)
    with pytest.raises(NotFound):
        deliveries.apply_outcome(
            world.db,
            stop_id=stop.id,
            status="delivered",
            recipient="D",
            actor=deliveries.Actor(99, Role.DRIVER, other_van.id),
        )
    with pytest.raises(Forbidden):
        deliveries.apply_outcome(
            world.db, stop_id=stop.id, status="delivered", recipient="D", actor=deliveries.Actor(99, Role.CLERK)
        )
    driver = world.make.user(Role.DRIVER, van=world.vans[0])
    _, results = deliveries.apply_outcome(
        world.db,
        stop_id=stop.id,
        status="delivered",
        recipient="D",
        actor=deliveries.Actor(driver.id, Role.DRIVER, world.vans[0].id),
    )
    assert results[0][1].recorded_by == driver.id


def test_an_unpublished_route_takes_no_outcomes(world):
    order = world.order()
    plan = world.plan()
    stop = _stop_of(world, plan, order.ref)
    with pytest.raises(InvalidTransition):
        deliveries.apply_outcome(world.db, stop_id=stop.id, status="delivered", recipient="E", actor=COORD)


def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(world):
    order = world.order(lines=[(world.bed, 1)])
    plan = world.published()
    stop = _stop_of(world, plan, order.ref)
    driver = world.make.user(Role.DRIVER, van=world.vans[0])
    actor = deliveries.Actor(driver.id, Role.DRIVER, world.vans[0].id)
    payload = {"status": "delivered", "recipient": "F", "serials": ["BED-001"]}
    first = deliveries.record_outcome(
        world.db, stop_id=stop.id, actor=actor, payload=payload, idempotency_key="k-1", path="/x"
    )
    again = deliveries.record_outcome(
        world.db, stop_id=stop.id, actor=actor, payload=dict(payload), idempotency_key="k-1", path="/x"
    )
    assert first == again and first[0] == 200
    assert world.db.exec(select(func.count()).select_from(Outcome)).one() == 1
    with pytest.raises(Conflict):
        deliveries.record_outcome(
            world.db,
            stop_id=stop.id,
            actor=actor,
            payload={**payload, "recipient": "G"},
            idempotency_key="k-1",
            path="/x",
        )
    # Without a key a second delivery is refused: nothing is open any more.
    with pytest.raises(InvalidTransition):
        deliveries.record_outcome(world.db, stop_id=stop.id, actor=actor, payload=payload)
    assert world.db.exec(select(func.count()).select_from(Order).where(Order.status == "completed")).one() == 1


def test_serials_of_the_other_orders_at_the_visit_are_ignored(world):
    home = world.person()
    delivery = world.order(home, lines=[(world.bed, 1)])
    world.order(home, kind=OrderKind.COLLECTION, klass="urgent_collection", lines=[(world.hoist, 1)])
    serial = world.db.exec(select(Asset).where(Asset.state == "on_loan")).one().serial
    plan = world.published()
    stop = _stop_of(world, plan, delivery.ref)
    s, results = deliveries.apply_outcome(
        world.db, stop_id=stop.id, status="delivered", actor=COORD, recipient="H", serials=["BED-001", serial]
    )
    assert s.status == "partial" and [o.ref for o, _ in results] == [delivery.ref]
