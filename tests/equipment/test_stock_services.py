"""Stock use cases on a real database: the ledger, balances, assets and their guards."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from equipment import stock
from equipment.errors import Invalid, InvalidTransition, NotFound, OutOfStock
from equipment.models import Asset, AssetEvent, Order, OrderEvent, OrderLine, ResponseClass, ServiceUser, StockMovement
from equipment.service_time import today as service_today
from equipment.stock import backorders, inspections
from equipment.stock import queries as stock_queries
from equipment.stock.ledger import balance


@pytest.fixture
def depots(make):
    return make.depot("IPS"), make.depot("BSE", lat=52.25, lon=0.71)


@pytest.fixture
def clerk(make):
    return make.user("clerk")


def counts(db, depot, item):
    db.expire_all()
    return {
        s: balance(db, depot.id, item.id, s)
        for s in (
            "available",
            "allocated",
            "loaded",
            "on_loan",
            "in_transit",
            "quarantine",
            "decontaminated",
            "repair",
            "scrapped",
            "lost",
        )
    }


def agree(db):
    db.expire_all()
    assert stock_queries.verify_ledger(db) == []


def order_for(db, make, depot, lines, status="back_order", due_days=1):
    if db.get(ResponseClass, "standard") is None:
        make.response_classes()
    person = ServiceUser(name="Ada Person", address="1 Road", postcode="IP4 1AA", district="IP4", lat=52.0, lon=1.1)
    db.add(person)
    db.flush()
    order = Order(
        ref=f"EQ-{person.id:06d}",
        kind="delivery",
        response_class="standard",
        status=status,
        service_user_id=person.id,
        depot_id=depot.id,
        district="IP4",
        received_at=datetime.now(UTC),
        due_at=datetime.now(UTC) + timedelta(days=due_days),
    )
    db.add(order)
    db.flush()
    made = [OrderLine(order_id=order.id, item_id=item.id, quantity=n) for item, n in lines]
    db.add_all(made)
    db.commit()
    return order, made


def test_bulk_receipt_adjustment_and_reversal(db, make, depots, clerk):
    ips, _ = depots
    frame = make.item("FRM-1")
    receipt = stock.receive_goods(db, depot_code="IPS", sku="FRM-1", quantity=10, user_id=clerk.id)
    assert receipt.quantity == 10 and counts(db, ips, frame)["available"] == 10
    down = stock.adjust_count(db, depot_code="IPS", sku="FRM-1", counted=7, reason="damaged in store", user_id=clerk.id)
    assert down.quantity == 3 and down.from_state == "available" and down.to_depot_id is None
    assert stock.adjust_count(db, depot_code="IPS", sku="FRM-1", counted=7, reason="recount", user_id=clerk.id) is None
    back = stock.reverse_movement(db, movement_id=down.id, reason="found them", user_id=clerk.id)
    assert back.reverses_id == down.id and counts(db, ips, frame)["available"] == 10
    with pytest.raises(InvalidTransition):
        stock.reverse_movement(db, movement_id=down.id, reason="again", user_id=clerk.id)
    agree(db)


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"depot_code": "NOPE", "sku": "FRM-1", "quantity": 1}, NotFound, "depot"),
        ({"depot_code": "IPS", "sku": "NOPE", "quantity": 1}, NotFound, "sku"),
        ({"depot_code": "IPS", "sku": "FRM-1", "quantity": 0}, Invalid, "quantity"),
        ({"depot_code": "IPS", "sku": "FRM-1", "quantity": -2}, Invalid, "quantity"),
        ({"depot_code": "IPS", "sku": "FRM-1", "serials": ["A1"]}, Invalid, "serials"),
        ({"depot_code": "IPS", "sku": "BED-1", "quantity": 2}, Invalid, "serials"),
        ({"depot_code": "IPS", "sku": "BED-1", "serials": ["B1", "B1"]}, Invalid, "serials"),
        ({"depot_code": "IPS", "sku": "BED-1", "serials": ["bad serial!"]}, Invalid, "serials"),
        ({"depot_code": "IPS", "sku": "BED-1", "serials": ["OLD-1"]}, Invalid, "serials"),
    ],
)
def test_bad_receipts_write_nothing(db, make, depots, clerk, kwargs, error, field):
    make.item("FRM-1")
    make.item("BED-1", serialised=True)
    stock.receive_goods(db, depot_code="IPS", sku="BED-1", serials=["OLD-1"], user_id=clerk.id)
    before = db.exec(select(StockMovement)).all()
    with pytest.raises(error) as raised:
        stock.receive_goods(db, user_id=clerk.id, **kwargs)
    assert raised.value.field == field
    assert len(db.exec(select(StockMovement)).all()) == len(before)
    agree(db)


def test_serialised_receipt_sets_inspection_due(db, make, depots, clerk):
    make.item("HST-1", serialised=True, inspection_regime="loler_6m")
    stock.receive_goods(db, depot_code="IPS", sku="HST-1", serials=["H1", "H2"], user_id=clerk.id)
    asset = db.exec(select(Asset).where(Asset.serial == "H1")).one()
    assert asset.state == "available"
    assert asset.next_inspection_due == inspections.add_months(service_today(), 6)
    assert [e.event for e in db.exec(select(AssetEvent).where(AssetEvent.asset_id == asset.id))] == ["received"]


def test_transfer_bulk_immediate_and_in_transit(db, make, depots, clerk):
    ips, bse = depots
    frame = make.item("FRM-1")
    stock.receive_goods(db, depot_code="IPS", sku="FRM-1", quantity=5, user_id=clerk.id)
    done = stock.transfer_stock(
        db, from_depot_code="IPS", to_depot_code="BSE", sku="FRM-1", quantity=2, user_id=clerk.id
    )
    assert done.status == "received"
    assert counts(db, ips, frame)["available"] == 3 and counts(db, bse, frame)["available"] == 2
    road = stock.dispatch_transfer(
        db, from_depot_code="IPS", to_depot_code="BSE", sku="FRM-1", quantity=3, user_id=clerk.id
    )
    assert road.status == "in_transit" and counts(db, bse, frame)["in_transit"] == 3
    assert counts(db, ips, frame)["available"] == 0
    stock.receive_transfer(db, transfer_id=road.id, user_id=clerk.id)
    assert counts(db, bse, frame) | {} == counts(db, bse, frame) and counts(db, bse, frame)["available"] == 5
    with pytest.raises(InvalidTransition):
        stock.receive_transfer(db, transfer_id=road.id, user_id=clerk.id)
    with pytest.raises(OutOfStock):
        stock.transfer_stock(db, from_depot_code="IPS", to_depot_code="BSE", sku="FRM-1", quantity=1, user_id=clerk.id)
    with pytest.raises(Invalid) as same:
        stock.transfer_stock(db, from_depot_code="BSE", to_depot_code="BSE", sku="FRM-1", quantity=1, user_id=clerk.id)
    assert same.value.field == "to_depot"
    agree(db)


def test_transfer_serials(db, make, depots, clerk):
    ips, bse = depots
    bed = make.item("BED-1", serialised=True)
    stock.receive_goods(db, depot_code="IPS", sku="BED-1", serials=["B1", "B2"], user_id=clerk.id)
    stock.transfer_stock(db, from_depot_code="IPS", to_depot_code="BSE", sku="BED-1", serials=["B1"], user_id=clerk.id)
    db.expire_all()
    assert db.exec(select(Asset).where(Asset.serial == "B1")).one().depot_id == bse.id
    with pytest.raises(InvalidTransition):  # B1 is no longer at IPS
        stock.transfer_stock(
            db, from_depot_code="IPS", to_depot_code="BSE", sku="BED-1", serials=["B1"], user_id=clerk.id
        )
    assert counts(db, ips, bed)["available"] == 1 and counts(db, bse, bed)["available"] == 1
    agree(db)


def test_order_lifecycle_serialised(db, make, depots, clerk):
    ips, _ = depots
    bed = make.item("BED-1", serialised=True, inspection_regime="electrical_12m")
    stock.receive_goods(db, depot_code="IPS", sku="BED-1", serials=["B1", "B2"], user_id=clerk.id)
    # B2 is overdue for its electrical test: it must not be allocated
    b2 = db.exec(select(Asset).where(Asset.serial == "B2")).one()
    b2.next_inspection_due = service_today() - timedelta(days=1)
    db.add(b2)
    db.commit()
    assert stock.available_quantity(db, depot_id=ips.id, item_id=bed.id) == 1
    order, (line,) = order_for(db, make, ips, [(bed, 2)], status="ready")
    assert stock.reserve_for_line(db, line=line, depot_id=ips.id, user_id=clerk.id) == 1
    db.commit()
    assert line.allocated == 1
    assert stock.reserve_for_line(db, line=line, depot_id=ips.id, user_id=clerk.id) == 0
    van = make.van(ips)
    stock.load_line(db, line=line, van_id=van.id, user_id=clerk.id)
    db.commit()
    at = datetime.now(UTC)
    assert stock.deliver_line(db, line=line, service_user_id=order.service_user_id, at=at, user_id=clerk.id) == ["B1"]
    db.commit()
    b1 = db.exec(select(Asset).where(Asset.serial == "B1")).one()
    assert b1.state == "on_loan" and b1.service_user_id == order.service_user_id and b1.van_id is None
    csv_rows = stock_queries.on_loan(db)
    assert [(r["asset"], r["order_ref"], r["area"]) for r in csv_rows] == [("B1", order.ref, "IP4")]
    stock.collect_asset(db, serial="B1", depot_id=ips.id, at=at, user_id=clerk.id)
    db.commit()
    assert counts(db, ips, bed)["quarantine"] == 1
    with pytest.raises(InvalidTransition):
        inspections.record_inspection(db, serial="B1", result="pass", user_id=clerk.id)
    stock.process_asset(db, serial="B1", action="decontaminated", user_id=clerk.id)
    inspections.record_inspection(db, serial="B1", result="fail", on_fail="repair", user_id=clerk.id, note="cable")
    assert counts(db, ips, bed)["repair"] == 1
    stock.process_asset(db, serial="B1", action="repaired", user_id=clerk.id)
    inspections.record_inspection(db, serial="B1", result="pass", user_id=clerk.id)
    db.expire_all()
    b1 = db.exec(select(Asset).where(Asset.serial == "B1")).one()
    assert b1.state == "available" and b1.next_inspection_due == inspections.add_months(service_today(), 12)
    events = [e.event for e in db.exec(select(AssetEvent).where(AssetEvent.asset_id == b1.id).order_by(AssetEvent.id))]
    assert events == [
        "received",
        "allocated",
        "loaded",
        "delivered",
        "collected",
        "decontaminated",
        "inspected",
        "repaired",
        "inspected",
    ]
    agree(db)


def test_release_and_bulk_lifecycle(db, make, depots, clerk):
    ips, _ = depots
    frame = make.item("FRM-1")
    stock.receive_goods(db, depot_code="IPS", sku="FRM-1", quantity=4, user_id=clerk.id)
    order, (line,) = order_for(db, make, ips, [(frame, 3)], status="ready")
    assert stock.reserve_for_line(db, line=line, depot_id=ips.id, user_id=clerk.id) == 3
    db.commit()
    assert counts(db, ips, frame)["allocated"] == 3
    stock.release_line(db, line=line, user_id=clerk.id)
    db.commit()
    assert line.allocated == 0 and counts(db, ips, frame)["available"] == 4
    stock.reserve_for_line(db, line=line, depot_id=ips.id, user_id=clerk.id)
    van = make.van(ips)
    stock.load_line(db, line=line, van_id=van.id, user_id=clerk.id)
    stock.deliver_line(db, line=line, service_user_id=order.service_user_id, at=datetime.now(UTC), user_id=clerk.id)
    db.commit()
    assert counts(db, ips, frame)["on_loan"] == 3
    assert [(r["sku"], r["quantity"], r["order_ref"]) for r in stock_queries.on_loan(db)] == [("FRM-1", 3, order.ref)]
    stock.collect_bulk(db, item_id=frame.id, quantity=4, depot_id=ips.id, at=datetime.now(UTC), user_id=clerk.id)
    db.commit()
    assert counts(db, ips, frame)["on_loan"] == 0 and counts(db, ips, frame)["quarantine"] == 4
    stock.process_bulk(db, depot_code="IPS", sku="FRM-1", quantity=4, action="decontaminated", user_id=clerk.id)
    stock.process_bulk(db, depot_code="IPS", sku="FRM-1", quantity=3, action="returned_to_stock", user_id=clerk.id)
    with pytest.raises(OutOfStock):
        stock.process_bulk(
            db,
            depot_code="IPS",
            sku="FRM-1",
            quantity=2,
            action="scrapped",
            user_id=clerk.id,
            from_state="decontaminated",
        )
    assert counts(db, ips, frame)["available"] == 4
    agree(db)


def test_backorders_filled_earliest_due_first(db, make, depots, clerk):
    ips, _ = depots
    frame = make.item("FRM-1")
    later, _ = order_for(db, make, ips, [(frame, 2)], due_days=5)
    sooner, _ = order_for(db, make, ips, [(frame, 2)], due_days=1)
    receipt = stock.receive_goods(db, depot_code="IPS", sku="FRM-1", quantity=3, user_id=clerk.id)
    assert receipt.orders_ready == [sooner.ref]
    db.expire_all()
    assert db.get(Order, sooner.id).status == "ready" and db.get(Order, later.id).status == "back_order"
    assert db.exec(select(OrderEvent).where(OrderEvent.order_id == sooner.id)).one().event == "allocated"
    assert backorders.fill(db, depot_id=ips.id, item_id=frame.id, user_id=clerk.id) == []
    assert counts(db, ips, frame)["allocated"] == 3
    agree(db)


def test_serialised_count_books_lost_and_found(db, make, depots, clerk):
    ips, _ = depots
    bed = make.item("BED-1", serialised=True)
    stock.receive_goods(db, depot_code="IPS", sku="BED-1", serials=["B1", "B2", "B3"], user_id=clerk.id)
    with pytest.raises(Invalid) as raised:
        stock.adjust_count(db, depot_code="IPS", sku="BED-1", counted=2, reason="count", user_id=clerk.id)
    assert raised.value.field == "serials"
    stock.adjust_count(
        db, depot_code="IPS", sku="BED-1", counted=2, serials=["B1", "B2"], reason="count", user_id=clerk.id
    )
    assert counts(db, ips, bed)["lost"] == 1 and counts(db, ips, bed)["available"] == 2
    stock.adjust_count(
        db, depot_code="IPS", sku="BED-1", counted=3, serials=["B1", "B2", "B3"], reason="found", user_id=clerk.id
    )
    assert counts(db, ips, bed)["lost"] == 0 and counts(db, ips, bed)["available"] == 3
    agree(db)


def test_inspections_due_by_depot_and_area(db, make, depots, clerk):
    _, bse = depots
    make.item("HST-1", serialised=True, inspection_regime="loler_6m")
    stock.receive_goods(db, depot_code="IPS", sku="HST-1", serials=["H1", "H2"], user_id=clerk.id)
    stock.receive_goods(db, depot_code="BSE", sku="HST-1", serials=["H3"], user_id=clerk.id)
    today = service_today()
    for serial, due in [
        ("H1", today - timedelta(days=3)),
        ("H2", today + timedelta(days=10)),
        ("H3", today + timedelta(days=100)),
    ]:
        asset = db.exec(select(Asset).where(Asset.serial == serial)).one()
        asset.next_inspection_due = due
        db.add(asset)
    db.commit()
    rows, total = inspections.inspections_due(db, within_days=30)
    assert [(r["serial"], r["overdue"]) for r in rows] == [("H1", True), ("H2", False)] and total == 2
    assert inspections.inspections_due(db, depot_id=bse.id, within_days=30)[1] == 0
    assert inspections.inspections_due(db, district="IP4")[1] == 0
    with pytest.raises(Invalid):
        inspections.record_inspection(
            db, serial="H1", result="pass", user_id=clerk.id, inspected_on=today + timedelta(days=1)
        )
    inspections.record_inspection(db, serial="H1", result="pass", user_id=clerk.id, inspected_on=date.today())
    assert inspections.inspections_due(db, within_days=30)[1] == 1


def test_scrap_and_lost_and_wrong_state(db, make, depots, clerk):
    ips, _ = depots
    bed = make.item("BED-1", serialised=True)
    stock.receive_goods(db, depot_code="IPS", sku="BED-1", serials=["B1", "B2"], user_id=clerk.id)
    with pytest.raises(InvalidTransition):
        stock.process_asset(db, serial="B1", action="decontaminated", user_id=clerk.id)
    with pytest.raises(Invalid):
        stock.process_asset(db, serial="B1", action="explode", user_id=clerk.id)
    with pytest.raises(NotFound):
        stock.process_asset(db, serial="ZZ", action="lost", user_id=clerk.id)
    stock.process_asset(db, serial="B1", action="scrapped", user_id=clerk.id, note="frame cracked")
    stock.process_asset(db, serial="B2", action="lost", user_id=clerk.id)
    assert counts(db, ips, bed)["scrapped"] == 1 and counts(db, ips, bed)["lost"] == 1
    with pytest.raises(InvalidTransition):
        stock.process_asset(db, serial="B1", action="lost", user_id=clerk.id)
    agree(db)
