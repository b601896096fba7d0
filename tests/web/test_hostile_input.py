"""Input meant to hurt: numbers past what the domain allows, bodies too big or nested too deep.
Each is refused with a 4xx problem and changes nothing (issue #15, findings 4 and 5)."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from equipment import stock
from equipment.errors import Invalid
from equipment.limits import MAX_UNITS
from equipment.models import StockBalance, StockMovement

HUGE = [2**62, 2**63, 2**64 + 1, MAX_UNITS + 1]


@pytest.fixture
def clerk(db, make):
    make.depot("IPS")
    make.depot("BSE")
    make.item("FRM-1", name="Zimmer frame")
    return make.headers("clerk")


def movement_count(db) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(StockMovement)).one()


@pytest.mark.parametrize("quantity", HUGE)
def test_quantities_past_the_ceiling_are_refused_beside_the_field(client, db, clerk, quantity):
    writes = [
        ("/api/v1/stock/receipts", {"depot": "IPS", "sku": "FRM-1", "quantity": quantity}, "quantity"),
        (
            "/api/v1/stock/adjustments",
            {"depot": "IPS", "sku": "FRM-1", "counted": quantity, "reason": "count"},
            "counted",
        ),
        (
            "/api/v1/stock/transfers",
            {"from_depot": "IPS", "to_depot": "BSE", "sku": "FRM-1", "quantity": quantity},
            "quantity",
        ),
        (
            "/api/v1/stock/returns",
            {"depot": "IPS", "sku": "FRM-1", "quantity": quantity, "action": "decontaminated"},
            "quantity",
        ),
    ]
    for path, body, field in writes:
        for _ in range(2):
            answer = client.post(path, json=body, headers=clerk)
            assert answer.status_code == 422, (path, answer.json)
            assert answer.mimetype == "application/problem+json"
            assert field in str(answer.json), answer.json
    assert movement_count(db) == 0
    assert client.get("/api/v1/stock", headers=clerk).status_code == 200


def test_the_ceiling_holds_below_the_api_too(db, clerk):
    with pytest.raises(Invalid) as refused:
        stock.receive_goods(db, depot_code="IPS", sku="FRM-1", quantity=MAX_UNITS + 1, user_id=None)
    assert refused.value.field == "quantity"
    with pytest.raises(Invalid):
        stock.adjust_count(db, depot_code="IPS", sku="FRM-1", counted=MAX_UNITS + 1, reason="count", user_id=None)
    assert movement_count(db) == 0
    stock.receive_goods(db, depot_code="IPS", sku="FRM-1", quantity=MAX_UNITS, user_id=None)
    db.expire_all()
    assert sum(b.quantity for b in db.exec(select(StockBalance))) == MAX_UNITS


def test_an_id_past_the_database_range_is_refused(client, clerk):
    answer = client.post("/api/v1/stock/transfers/2199023255552/receive", headers=clerk)
    assert answer.status_code == 404


def test_a_body_past_the_size_limit_is_refused_unread(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = b'{"username": "' + b"x" * limit + b'", "password": "p"}'
    answer = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert answer.status_code == 413
    assert answer.mimetype == "application/problem+json"


@pytest.mark.parametrize("depth", [2_000, 200_000])
def test_json_nested_absurdly_deep_is_a_400(client, depth):
    body = "[" * depth + "]" * depth
    answer = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("post", "/api/v1/stock/receipts", {"depot": "IP\x00S", "sku": "FRM-1", "quantity": 1}, "depot"),
        ("post", "/api/v1/stock/adjustments", {"depot": "IPS", "sku": "FRM\x00", "counted": 1, "reason": "x"}, "sku"),
        ("get", "/api/v1/stock?sku=FRM%00", None, "sku"),
        ("get", "/api/v1/assets/A%00B", None, "serial"),
    ],
)
def test_a_nul_character_is_refused_beside_the_field(client, db, clerk, method, url, body, field):
    """PostgreSQL cannot hold or compare text with a NUL in it (it was a 500 there); no field means one."""
    before = movement_count(db)
    response = getattr(client, method)(url, json=body, headers=clerk)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert [e["field"] for e in response.json["errors"]] == [field]
    assert movement_count(db) == before
