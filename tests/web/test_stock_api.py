"""The stock, assets and exports API: contract, validation, roles, and nothing written on bad input."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlmodel import func, select

from equipment import stock
from equipment.models import Item, OrderLine, StockMinimum, StockMovement


@pytest.fixture
def base(db, make):
    ips, bse = make.depot("IPS"), make.depot("BSE")
    make.item("FRM-1", name="Zimmer frame")
    make.item("HST-1", name="Mobile hoist", serialised=True, inspection_regime="loler_6m")
    return ips, bse, make.headers("clerk")


def movements(db) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(StockMovement)).one()


def test_receipt_transfer_adjustment_and_balances(client, db, make, base):
    _, _, clerk = base
    made = client.post("/api/v1/stock/receipts", json={"depot": "IPS", "sku": "FRM-1", "quantity": 8}, headers=clerk)
    assert made.status_code == 201 and made.json["quantity"] == 8 and len(made.json["movements"]) == 1
    serial = client.post(
        "/api/v1/stock/receipts", json={"depot": "IPS", "sku": "HST-1", "serials": ["H1", "H2"]}, headers=clerk
    )
    assert serial.status_code == 201 and serial.json["serials"] == ["H1", "H2"]
    moved = client.post(
        "/api/v1/stock/transfers",
        json={"from_depot": "IPS", "to_depot": "BSE", "sku": "FRM-1", "quantity": 3, "receive": False},
        headers=clerk,
    )
    assert moved.status_code == 201 and moved.json["status"] == "in_transit"
    listed = client.get("/api/v1/stock/transfers?status=in_transit", headers=clerk).json
    assert listed["total"] == 1
    got = client.post(f"/api/v1/stock/transfers/{moved.json['id']}/receive", headers=clerk)
    assert got.status_code == 200 and got.json["status"] == "received"
    assert client.post(f"/api/v1/stock/transfers/{moved.json['id']}/receive", headers=clerk).status_code == 409
    count = client.post(
        "/api/v1/stock/adjustments",
        json={"depot": "IPS", "sku": "FRM-1", "counted": 4, "reason": "annual count"},
        headers=clerk,
    )
    assert count.status_code == 201 and count.json["movement"]["quantity"] == 1
    same = client.post(
        "/api/v1/stock/adjustments",
        json={"depot": "IPS", "sku": "FRM-1", "counted": 4, "reason": "recount"},
        headers=clerk,
    )
    assert same.status_code == 200 and same.json == {"changed": False, "movement": None}
    balances = client.get("/api/v1/stock?depot=IPS", headers=make.headers("officer")).json
    rows = {r["sku"]: r for r in balances["items"]}
    assert rows["FRM-1"]["available"] == 4 and rows["HST-1"]["available"] == 2 and rows["FRM-1"]["depot"] == "IPS"
    ledger = client.get("/api/v1/stock/movements?depot=BSE&sku=FRM-1", headers=make.headers("coordinator")).json
    assert [m["kind"] for m in ledger["items"]] == ["transfer_in", "transfer_out"]
    reversed_ = client.post(
        f"/api/v1/stock/movements/{count.json['movement']['id']}/reverse", json={"reason": "miscounted"}, headers=clerk
    )
    assert reversed_.status_code == 201 and reversed_.json["reverses"] == count.json["movement"]["id"]


def test_low_stock_against_minimum(client, db, make, base):
    ips, _, clerk = base
    frame = db.exec(select(Item).where(Item.sku == "FRM-1")).one()
    db.add(StockMinimum(depot_id=ips.id, item_id=frame.id, minimum=5))
    db.commit()
    stock.receive_goods(db, depot_code="IPS", sku="FRM-1", quantity=3, user_id=None)
    low = client.get("/api/v1/stock?low=true", headers=clerk).json
    assert [(r["sku"], r["available"], r["minimum"], r["low"]) for r in low["items"]] == [("FRM-1", 3, 5, True)]


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/api/v1/stock/receipts", {"depot": "XXX", "sku": "FRM-1", "quantity": 1}, 404, None),
        ("/api/v1/stock/receipts", {"depot": "IPS", "sku": "NOPE", "quantity": 1}, 404, None),
        ("/api/v1/stock/receipts", {"depot": "IPS", "sku": "FRM-1", "quantity": 0}, 422, "quantity"),
        ("/api/v1/stock/receipts", {"depot": "IPS", "sku": "FRM-1", "quantity": -3}, 422, "quantity"),
        ("/api/v1/stock/receipts", {"depot": "IPS", "sku": "FRM-1"}, 422, "body"),
        ("/api/v1/stock/receipts", {"depot": "IPS", "sku": "FRM-1", "quantity": 1, "colour": "red"}, 422, "colour"),
        ("/api/v1/stock/receipts", {"depot": "IPS", "sku": "HST-1", "serials": ["OLD"]}, 422, "serials"),
        ("/api/v1/stock/receipts", {"depot": "IPS", "sku": "HST-1", "quantity": 2}, 422, "serials"),
        (
            "/api/v1/stock/transfers",
            {"from_depot": "IPS", "to_depot": "IPS", "sku": "FRM-1", "quantity": 1},
            422,
            "to_depot",
        ),
        (
            "/api/v1/stock/transfers",
            {"from_depot": "IPS", "to_depot": "BSE", "sku": "FRM-1", "quantity": 99},
            409,
            None,
        ),
        ("/api/v1/stock/adjustments", {"depot": "IPS", "sku": "FRM-1", "counted": -1, "reason": "x"}, 422, "counted"),
        ("/api/v1/stock/adjustments", {"depot": "IPS", "sku": "FRM-1", "counted": 1, "reason": ""}, 422, "reason"),
        ("/api/v1/assets/OLD/actions", {"action": "repaired"}, 409, None),
        ("/api/v1/assets/NOPE/actions", {"action": "lost"}, 404, None),
        ("/api/v1/assets/OLD/inspections", {"result": "maybe"}, 422, "result"),
    ],
)
def test_bad_input_is_a_clear_4xx_and_writes_nothing(client, db, make, base, path, body, status, field):
    _, _, clerk = base
    stock.receive_goods(db, depot_code="IPS", sku="HST-1", serials=["OLD"], user_id=None)
    before = movements(db)
    response = client.post(path, json=body, headers=clerk)
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    if field:
        assert field in {e["field"] for e in response.json["errors"]}
    assert movements(db) == before


def test_roles(client, make, base):
    body = {"depot": "IPS", "sku": "FRM-1", "quantity": 1}
    for role, expected in [("coordinator", 403), ("officer", 403), ("driver", 403), ("admin", 201), ("clerk", 201)]:
        assert client.post("/api/v1/stock/receipts", json=body, headers=make.headers(role)).status_code == expected
    for role, expected in [("officer", 200), ("coordinator", 200), ("driver", 403)]:
        assert client.get("/api/v1/stock", headers=make.headers(role)).status_code == expected
    assert client.get("/api/v1/stock/movements", headers=make.headers("officer")).status_code == 403
    assert client.get("/api/v1/assets/X", headers=make.headers("officer")).status_code == 403


def test_asset_history_inspection_and_on_loan_export(client, db, make, make_order, base):
    ips, _, clerk = base
    stock.receive_goods(db, depot_code="IPS", sku="HST-1", serials=["H1"], user_id=None)
    person = make.person(name="Secret Name", address="2 Lane", postcode="IP4 2BB", lat=52, lon=1.1)
    hoist = db.exec(select(Item).where(Item.sku == "HST-1")).one()
    order = make_order("standard", ref="EQ-000042", depot=ips, person=person, lines=[(hoist, 1)])
    line = db.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    stock.deliver_line(db, line=line, service_user_id=person.id, at=datetime.now(UTC), user_id=None)
    db.commit()
    asset = client.get("/api/v1/assets/H1", headers=clerk).json
    assert asset["state"] == "on_loan" and asset["order_ref"] == "EQ-000042" and asset["area"] == "IP4"
    assert [h["event"] for h in asset["history"]] == ["received", "allocated", "delivered"]
    assert asset["next_inspection_due"] and asset["overdue"] is False
    exported = client.get("/api/v1/exports/on-loan.csv", headers=make.headers("officer"))
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert "Secret Name" not in exported.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0]["asset"] == "H1" and rows[0]["order_ref"] == "EQ-000042" and rows[0]["area"] == "IP4"
    assert rows[0]["next_inspection_due"] == asset["next_inspection_due"]
    assert client.get("/api/v1/exports/on-loan.csv", headers=make.headers("driver")).status_code == 403
    due = client.get("/api/v1/inspections/due?within_days=366&district=IP4", headers=make.headers("officer")).json
    assert [r["serial"] for r in due["items"]] == ["H1"]
    back = client.post("/api/v1/assets/H1/return", json={"depot": "IPS"}, headers=clerk)
    assert back.status_code == 200 and back.json["state"] == "quarantine" and back.json["area"] is None
    assert (
        client.post("/api/v1/assets/H1/actions", json={"action": "decontaminated"}, headers=clerk).json["state"]
        == "decontaminated"
    )
    failed = client.post(
        "/api/v1/assets/H1/inspections", json={"result": "fail", "on_fail": "quarantine"}, headers=clerk
    )
    assert failed.status_code == 201 and failed.json["state"] == "quarantine"
    assert failed.json["history"][-1]["result"] == "fail"


def test_openapi_describes_the_stock_api(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in [
        "/api/v1/stock",
        "/api/v1/stock/receipts",
        "/api/v1/stock/adjustments",
        "/api/v1/stock/transfers",
        "/api/v1/stock/movements",
        "/api/v1/assets/{serial}",
        "/api/v1/exports/on-loan.csv",
    ]:
        assert path in paths, path
    receipt = paths["/api/v1/stock/receipts"]["post"]
    assert "201" in receipt["responses"] and "409" in receipt["responses"]


def test_movements_by_time_local_or_with_offset(client, db, make, base):
    _, _, clerk = base
    stock.receive_goods(db, depot_code="IPS", sku="FRM-1", quantity=2, user_id=None)
    for query in ["from=2020-01-01T00:00:00", "from=2020-01-01T00:00:00%2B01:00", "to=2999-01-01T10:00:00Z"]:
        found = client.get(f"/api/v1/stock/movements?{query}", headers=clerk)
        assert found.status_code == 200 and found.json["total"] == 1, query
    assert client.get("/api/v1/stock/movements?from=2999-01-01", headers=clerk).json["total"] == 0
    assert client.get("/api/v1/stock/movements?from=soon", headers=clerk).status_code == 422
    assert client.get("/api/v1/stock/movements?depot=NOPE", headers=clerk).status_code == 404


def test_idempotency_key_makes_retries_safe(client, db, make, base):
    _, _, clerk = base
    retry = {**clerk, "Idempotency-Key": "phone-42"}
    body = {"depot": "IPS", "sku": "FRM-1", "quantity": 4}
    first = client.post("/api/v1/stock/receipts", json=body, headers=retry)
    again = client.post("/api/v1/stock/receipts", json=body, headers=retry)
    assert first.status_code == again.status_code == 201 and first.json == again.json
    assert movements(db) == 1
    other = client.post("/api/v1/stock/receipts", json={**body, "quantity": 5}, headers=retry)
    assert other.status_code == 409 and movements(db) == 1
    moved = {"from_depot": "IPS", "to_depot": "BSE", "sku": "FRM-1", "quantity": 3}
    key = {**clerk, "Idempotency-Key": "phone-43"}
    assert client.post("/api/v1/stock/transfers", json=moved, headers=key).status_code == 201
    assert client.post("/api/v1/stock/transfers", json=moved, headers=key).json["quantity"] == 3
    assert movements(db) == 3
    count = {"depot": "IPS", "sku": "FRM-1", "counted": 0, "reason": "recount"}
    key = {**clerk, "Idempotency-Key": "phone-44"}
    assert client.post("/api/v1/stock/adjustments", json=count, headers=key).json["changed"] is True
    assert client.post("/api/v1/stock/adjustments", json=count, headers=key).json["changed"] is True
    assert movements(db) == 4
    unchanged = {**clerk, "Idempotency-Key": "phone-45"}
    assert client.post("/api/v1/stock/adjustments", json=count, headers=unchanged).status_code == 200
    bad = {**clerk, "Idempotency-Key": "phone-46"}
    assert client.post("/api/v1/stock/receipts", json={**body, "quantity": 0}, headers=bad).status_code == 422
    assert client.post("/api/v1/stock/receipts", json=body, headers=bad).status_code == 201
