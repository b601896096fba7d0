"""The history generator: the live rules (clocks, delays, ledger), the service's shape, speed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from equipment import reports
from equipment.demo.history import generate_history
from equipment.models import Asset, Delay, Order, OrderLine, ResponseClass
from equipment.orders import clocks
from equipment.reports.attribution import DEFAULT_ATTRIBUTION
from equipment.stock.queries import verify_ledger

LONDON = ZoneInfo("Europe/London")
WINTER_NOW = datetime(2026, 2, 20, 9, 30, tzinfo=UTC)


def test_two_generated_winter_months_follow_the_live_rules(db, seeded):
    """One generation (two winter months of a service a quarter of Suffolk's size) read by
    each check below: generating it is most of this test's time."""
    winter = generate_history(db, months=2, now=WINTER_NOW, items_per_working_day=100)
    _orders_follow_the_clocks_and_the_delay_rules(db, winter)
    _shape_of_the_service(db, winter)
    _kpis_recompute_from_the_generated_rows_and_the_ledger_balances(db)
    _every_unit_on_loan_links_to_its_order_and_carries_its_batch(db)


def _orders_follow_the_clocks_and_the_delay_rules(db, winter):
    classes = {rc.code: rc for rc in db.execute(select(ResponseClass)).scalars()}
    orders = db.execute(select(Order)).scalars().all()
    assert len(orders) == winter["orders"] > 1500
    for order in orders:
        assert order.due_at == clocks.due_at(classes[order.response_class], order.received_at)
        assert order.received_at < WINTER_NOW and order.ref == f"EQ-{order.id:06d}"
        if order.completed_at:
            assert order.status == "completed" and order.received_at < order.completed_at <= WINTER_NOW
    delays = db.execute(select(Delay)).scalars().all()
    by_order: dict[int, list[Delay]] = {}
    slotted = {o.id for o in orders if o.slot_start is not None}
    for d in delays:
        by_order.setdefault(d.order_id, []).append(d)
        # The history's people not at home who had agreed a slot were visited inside it.
        assert d.attributable == DEFAULT_ATTRIBUTION.attributable(d.cause, inside_agreed_slot=d.order_id in slotted)
    for order in orders:
        mine = by_order.get(order.id, [])
        # Excused exactly when a non-attributable delay was recorded (record_delay's rule).
        assert order.excused == any(not d.attributable for d in mine)
        if order.completed_at and order.completed_at > order.due_at:
            assert any(d.kind == "actual" for d in mine), order.ref
        if order.completed_at and order.completed_at <= order.due_at:
            assert not any(d.kind == "actual" for d in mine)
    causes = Counter(d.cause for d in delays)
    assert len(causes) >= 8 and causes["stock_unavailable"] > 0 and causes["later_date_requested"] > 0
    not_in = [d for d in delays if d.cause == "not_at_home"]
    assert any(d.attributable for d in not_in) and any(not d.attributable for d in not_in)


def _shape_of_the_service(db, winter):
    rows = db.execute(
        select(Order.received_at, func.sum(OrderLine.quantity))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .group_by(Order.id, Order.received_at)
    ).all()
    per_day: Counter = Counter()
    for received, units in rows:
        per_day[received.astimezone(LONDON).date()] += units
    working = [d for d in per_day if clocks.is_working_day(d)]
    mondays = [per_day[d] for d in working if d.weekday() == 0]
    others = [per_day[d] for d in working if d.weekday() in (2, 3)]
    assert sum(mondays) / len(mondays) > 1.15 * sum(others) / len(others)
    average = sum(per_day[d] for d in working) / len(working)
    assert 95 < average < 135  # 100 a working day, with winter pressure
    weekend = [per_day.get(d, 0) for d in per_day if d.weekday() >= 5]
    assert max(weekend) < average / 3
    # Stock-outs of powered air mattresses show as stock delays on orders holding them.
    stock_delays = db.execute(
        select(func.count(func.distinct(Delay.order_id)))
        .join(OrderLine, OrderLine.order_id == Delay.order_id)
        .where(Delay.cause == "stock_unavailable")
    ).scalar_one()
    assert stock_delays > 5 and winter["stock_outs"] >= 1


def _kpis_recompute_from_the_generated_rows_and_the_ledger_balances(db):
    p = reports.period(date(2026, 1, 1), date(2026, 1, 31))
    rows = {r.response_class: r.figures for r in reports.kpis(db, p, now=WINTER_NOW)}
    raw = db.execute(select(Order.response_class, Order.status, Order.due_at, Order.completed_at, Order.excused)).all()
    for code, f in rows.items():
        mine = [r for r in raw if r.response_class == code and r.status != "cancelled" and p.start <= r.due_at < p.end]
        late = [
            r
            for r in mine
            if (r.completed_at and r.completed_at > r.due_at) or (not r.completed_at and r.due_at < WINTER_NOW)
        ]
        assert f.due == len(mine)
        assert f.on_time == sum(1 for r in mine if r.completed_at and r.completed_at <= r.due_at)
        assert f.late == len(late) and f.excused == sum(1 for r in late if r.excused)
    assert 80 < reports.totals(list(reports.kpis(db, p, now=WINTER_NOW))).percent_on_time < 99
    assert verify_ledger(db) == []
    # Recent deliveries that have not come back are on loan, assets with their person.
    loans = reports.on_loan(db)
    assert sum(r.serialised_units for r in loans) > 0 and sum(r.bulk_units for r in loans) > 0
    lent = db.execute(select(Asset).where(Asset.state == "on_loan")).scalars().all()
    assert lent and all(a.service_user_id and a.on_loan_since <= WINTER_NOW for a in lent)
    recycled = reports.recycling(db, p)
    assert sum(r.collected for r in recycled) > 0 and sum(r.scrapped for r in recycled) > 0
    # Orders still open hold stock or wait for it, like live ones.
    open_statuses = Counter(db.execute(select(Order.status).where(Order.completed_at.is_(None))).scalars())
    assert set(open_statuses) <= {"ready", "back_order", "cancelled"} and open_statuses["ready"] > 0
    unallocated = db.execute(
        select(func.count())
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.status == "ready", Order.kind == "delivery", OrderLine.allocated < OrderLine.quantity)
    ).scalar_one()
    assert unallocated == 0


def test_history_is_refused_without_a_seeded_service(db):
    from equipment.errors import Conflict

    with pytest.raises(Conflict):
        generate_history(db, months=1)
    with pytest.raises(ValueError):
        generate_history(db, months=0)


def test_cli_seed_with_history(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--demo", "--history", "1"])
    assert result.exit_code == 0, result.output
    assert "History of 1 months" in result.output and "orders" in result.output
    assert runner.invoke(args=["seed", "--history", "0"]).exit_code != 0


def _every_unit_on_loan_links_to_its_order_and_carries_its_batch(db):
    from equipment.stock.asset_queries import on_loan

    rows = [r for r in on_loan(db) if r["asset"]]
    assert rows and all(r["order_ref"].startswith("EQ-") for r in rows)
    lent = db.execute(select(Asset).where(Asset.state == "on_loan")).scalars().all()
    assert all(a.batch and a.manufactured_on for a in lent)
