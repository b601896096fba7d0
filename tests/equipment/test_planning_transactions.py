"""No solve runs inside a database transaction, and a plan that changed while the router was
thinking is not overwritten (Conflict). The router is observed, not mocked: every solve goes
through the real `routing.solve_json`, wrapped to look at the database first."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text
from sqlmodel import select

import routing
from equipment import planning
from equipment.db import new_session
from equipment.errors import Conflict
from equipment.models import Plan, Route, Stop
from equipment.vocabulary import OrderStatus
from tests.conftest import on_postgres
from tests.equipment.test_planning_support import TZ, build_world, get_order, order_refs_on_routes


def _assert_nobody_holds_a_transaction(engine) -> None:
    """On SQLite another connection can take the write lock at once; on PostgreSQL no other
    connection of the test database sits inside a transaction."""
    if on_postgres():
        with engine.connect() as connection:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
                )
            ).scalar_one()
        assert waiting == 0, "a transaction is open during the solve"
        return
    other = sqlite3.connect(engine.url.database, timeout=0.2, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # raises "database is locked" while a writer holds it
        other.execute("ROLLBACK")
    finally:
        other.close()


@pytest.fixture
def solves(monkeypatch, engine, db):
    """Every solve, with whether the test's session was inside a transaction when it began;
    `solves.during` (if set) runs once inside the next solve, as another user would."""
    real = routing.solve_json
    seen: list[bool] = []

    def observed(problem: dict, **options) -> dict:
        seen.append(db.in_transaction())
        _assert_nobody_holds_a_transaction(engine)
        during, observed.during = observed.during, None
        if during is not None:
            during()
        return real(problem, **options)

    observed.during = None
    observed.seen = seen
    monkeypatch.setattr(routing, "solve_json", observed)
    return observed


def test_plan_move_reoptimise_and_urgent_insertion_solve_with_no_transaction_open(db, engine, make, solves):
    w = build_world(db, engine, make, vans=2)
    for k in range(4):
        w.order(w.person(km_north=2 + k, km_east=(-1) ** k * 3))
    plan = w.plan()  # run_plan
    view = w.view(plan)
    source = max(view.routes, key=lambda rv: len(rv.stops))
    target = next(v for v in w.vans if v.id != source.van.id)
    planning.move_stop(db, plan_id=plan.id, stop_id=source.stops[0].stop.id, van_reg=target.reg, user_id=None, tz=TZ)
    planning.reoptimise(db, plan_id=plan.id, seconds=0.3, user_id=None, tz=TZ)
    planning.publish_plan(db, plan_id=plan.id, user_id=None)
    urgent = w.order(w.person(km_north=-4), klass="emergency")
    w.view(plan)  # the session is inside a read transaction when the insertion starts
    planning.insert_urgent(db, plan_id=plan.id, order_ref=urgent.ref, dry_run=True, user_id=None, tz=TZ)
    planning.insert_urgent(db, plan_id=plan.id, order_ref=urgent.ref, dry_run=False, user_id=None, tz=TZ)
    assert len(solves.seen) == 5 and not any(solves.seen)
    assert get_order(db, urgent.ref).status == OrderStatus.PLANNED


def test_an_insertion_into_a_plan_that_changed_during_the_solve_is_refused(db, engine, make, solves):
    w = build_world(db, engine, make)
    w.order()
    plan = w.published()
    urgent = w.order(w.person(km_north=-4), klass="emergency")
    before = order_refs_on_routes(w.view(plan))
    stop_id = w.view(plan).routes[0].stops[0].stop.id

    def driver_records_an_outcome() -> None:
        with new_session(engine) as other:
            stop = other.get(Stop, stop_id)
            stop.status = "done"
            other.add(stop)
            other.commit()

    solves.during = driver_records_an_outcome
    with pytest.raises(Conflict):
        planning.insert_urgent(db, plan_id=plan.id, order_ref=urgent.ref, dry_run=False, user_id=None, tz=TZ)
    assert get_order(db, urgent.ref).status == OrderStatus.READY
    assert order_refs_on_routes(w.view(plan)) == before


def test_reoptimising_a_plan_whose_route_was_locked_during_the_solve_is_refused(db, engine, make, solves):
    w = build_world(db, engine, make, vans=2)
    for k in range(4):
        w.order(w.person(km_north=2 + k, km_east=(-1) ** k * 3))
    plan = w.plan()
    kept = [(sv.stop.id, sv.stop.eta) for rv in w.view(plan).routes for sv in rv.stops]
    route_id = w.view(plan).routes[0].route.id

    def coordinator_locks_a_route() -> None:
        with new_session(engine) as other:
            planning.set_route_lock(other, plan_id=plan.id, route_id=route_id, locked=True, user_id=None)

    solves.during = coordinator_locks_a_route
    with pytest.raises(Conflict):
        planning.reoptimise(db, plan_id=plan.id, seconds=0.3, user_id=None, tz=TZ)
    assert [(sv.stop.id, sv.stop.eta) for rv in w.view(plan).routes for sv in rv.stops] == kept
    assert db.exec(select(Route.locked).where(Route.id == route_id)).one() is True
    assert db.get(Plan, plan.id).status == "done"
