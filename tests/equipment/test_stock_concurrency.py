"""Reservations racing each other on a real database: never more than there is, never a unit twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from equipment import stock
from equipment.db import new_session
from equipment.models import Asset, AssetEvent, Order, OrderLine, ResponseClass, ServiceUser
from equipment.stock import queries as stock_queries
from equipment.stock.ledger import balance

RACERS = 20


def lines_waiting(db, make, depot, item, n):
    if db.get(ResponseClass, "standard") is None:
        make.response_classes()
    person = ServiceUser(name="P", address="1 Road", postcode="IP4 1AA", district="IP4", lat=52.0, lon=1.1)
    db.add(person)
    db.flush()
    made = []
    for k in range(n):
        order = Order(
            ref=f"EQ-{k:06d}",
            kind="delivery",
            response_class="standard",
            status="back_order",
            service_user_id=person.id,
            depot_id=depot.id,
            received_at=datetime.now(UTC),
        )
        db.add(order)
        db.flush()
        line = OrderLine(order_id=order.id, item_id=item.id, quantity=1)
        db.add(line)
        made.append(line)
    db.commit()
    return [line.id for line in made]


def race(engine, line_ids, depot_id):
    start = threading.Barrier(len(line_ids))
    got: list[int] = []
    failures: list[BaseException] = []

    def one(line_id: int) -> None:
        with new_session(engine) as session:
            start.wait()
            try:
                line = session.get(OrderLine, line_id)
                got.append(stock.reserve_for_line(session, line=line, depot_id=depot_id, user_id=None))
                session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

    threads = [threading.Thread(target=one, args=(line_id,)) for line_id in line_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    return got


@pytest.mark.parametrize("serialised", [True, False])
def test_racing_reservations_take_exactly_what_there_is(engine, db, make, serialised):
    depot = make.depot("IPS")
    item = make.item("BED-1" if serialised else "FRM-1", serialised=serialised)
    if serialised:
        stock.receive_goods(db, depot_code="IPS", sku=item.sku, serials=[f"B{n}" for n in range(5)], user_id=None)
    else:
        stock.receive_goods(db, depot_code="IPS", sku=item.sku, quantity=5, user_id=None)
    line_ids = lines_waiting(db, make, depot, item, RACERS)
    got = race(engine, line_ids, depot.id)
    assert sorted(got) == [0] * (RACERS - 5) + [1] * 5
    db.expire_all()
    assert balance(db, depot.id, item.id, "available") == 0 and balance(db, depot.id, item.id, "allocated") == 5
    if serialised:
        holders = [a.order_line_id for a in db.exec(select(Asset))]
        assert len(set(holders)) == 5 and None not in holders
        assert len(db.exec(select(AssetEvent).where(AssetEvent.event == "allocated")).all()) == 5
    assert sum(line.allocated for line in db.exec(select(OrderLine))) == 5
    assert stock_queries.verify_ledger(db) == []
