"""The clerk's stock pages: forms that take a scanner's input, messages beside fields, roles."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from equipment import stock
from equipment.models import Item, StockMinimum, StockMovement
from equipment.stock.ledger import balance
from tests.conftest import post_form, sign_in


@pytest.fixture
def clerk_client(client, make):
    make.depot("IPS")
    make.depot("BSE")
    make.item("FRM-1", name="Zimmer frame")
    make.item("BED-1", name="Profiling bed", serialised=True, inspection_regime="electrical_12m")
    sign_in(client, make.user("clerk").username)
    return client


def movements(db) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(StockMovement)).one()


def test_receive_bulk_and_scan_serials(clerk_client, db):
    done = post_form(clerk_client, "/stock/receive", {"depot": "IPS", "sku": "FRM-1", "quantity": "6", "serial": ""})
    assert done.status_code == 302 and "sku=FRM-1" in done.headers["Location"]
    page = clerk_client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Received 6 units of FRM-1 at IPS" in page
    # With the item chosen, the serial field has the focus: a scanner's Enter submits each unit.
    assert 'name="serial"' in page and "autofocus" in page.split('name="serial"')[1].split(">")[0]
    for serial in ["B-001", "B-002"]:
        scanned = post_form(
            clerk_client,
            "/stock/receive?depot=IPS&sku=BED-1",
            {"depot": "IPS", "sku": "BED-1", "serial": serial, "quantity": ""},
        )
        assert scanned.status_code == 302
    ips = db.exec(select(Item).where(Item.sku == "BED-1")).one()
    assert balance(db, 1, ips.id, "available") == 2


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"depot": "IPS", "sku": "FRM-1", "quantity": "0"}, "quantity", "above zero"),
        ({"depot": "IPS", "sku": "FRM-1", "quantity": "lots"}, "quantity", "whole number"),
        ({"depot": "IPS", "sku": "NOPE", "quantity": "1"}, "sku", "NOPE"),
        ({"depot": "XX", "sku": "FRM-1", "quantity": "1"}, "depot", "XX"),
        ({"depot": "IPS", "sku": "BED-1", "serial": "B-OLD"}, "serial", "already exists"),
        ({"depot": "IPS", "sku": "BED-1", "quantity": "2"}, "serial", "serial"),
    ],
)
def test_bad_receipt_shows_message_beside_field_and_writes_nothing(clerk_client, db, data, field, words):
    stock.receive_goods(db, depot_code="IPS", sku="BED-1", serials=["B-OLD"], user_id=None)
    before = movements(db)
    response = post_form(clerk_client, "/stock/receive", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    message = html.split(f'id="{field}-error"')[1].split("</p>")[0]
    assert words in message
    assert movements(db) == before


def test_transfer_count_and_in_transit(clerk_client, db):
    stock.receive_goods(db, depot_code="IPS", sku="FRM-1", quantity=5, user_id=None)
    same = post_form(
        clerk_client, "/stock/transfer", {"from_depot": "IPS", "to_depot": "IPS", "sku": "FRM-1", "quantity": "1"}
    )
    assert same.status_code == 422 and 'id="to_depot-error"' in same.get_data(as_text=True)
    short = post_form(
        clerk_client, "/stock/transfer", {"from_depot": "IPS", "to_depot": "BSE", "sku": "FRM-1", "quantity": "9"}
    )
    assert short.status_code == 422 and "not enough" in short.get_data(as_text=True)
    kept = post_form(
        clerk_client,
        "/stock/transfer",
        {"from_depot": "IPS", "to_depot": "BSE", "sku": "FRM-1", "quantity": "2", "in_transit": "1"},
    )
    assert kept.status_code == 302
    page = clerk_client.get("/stock/transfer").get_data(as_text=True)
    assert "in transit" in page and "Received</button>" in page
    counted = post_form(
        clerk_client, "/stock/adjust", {"depot": "IPS", "sku": "FRM-1", "counted": "2", "reason": "shelf count"}
    )
    assert counted.status_code == 302
    no_reason = post_form(clerk_client, "/stock/adjust", {"depot": "IPS", "sku": "FRM-1", "counted": "1", "reason": ""})
    assert no_reason.status_code == 422 and 'id="reason-error"' in no_reason.get_data(as_text=True)


def test_overview_low_stock_item_and_asset_pages(clerk_client, db):
    frame = db.exec(select(Item).where(Item.sku == "FRM-1")).one()
    db.add(StockMinimum(depot_id=1, item_id=frame.id, minimum=10))
    db.commit()
    stock.receive_goods(db, depot_code="IPS", sku="FRM-1", quantity=3, user_id=None)
    stock.receive_goods(db, depot_code="IPS", sku="BED-1", serials=["B-9"], user_id=None)
    overview = clerk_client.get("/stock?depot=IPS").get_data(as_text=True)
    assert "Low stock" in overview and "minimum 10" in overview
    assert "FRM-1" in clerk_client.get("/stock?depot=IPS&q=zimmer").get_data(as_text=True)
    assert "FRM-1" not in clerk_client.get("/stock?depot=IPS&q=bed").get_data(as_text=True).split("<table")[1]
    item = clerk_client.get("/stock/items/BED-1").get_data(as_text=True)
    assert "B-9" in item
    asset = clerk_client.get("/stock/assets/B-9").get_data(as_text=True)
    assert "received" in asset and "next due" in asset
    assert clerk_client.get("/stock/assets?serial=B-9").status_code == 302
    assert clerk_client.get("/stock/assets?serial=NOPE").status_code == 404


def test_returns_and_inspection_by_scan(clerk_client, db):
    stock.receive_goods(db, depot_code="IPS", sku="BED-1", serials=["B-1"], user_id=None)
    wrong = post_form(clerk_client, "/stock/returns", {"serial": "B-1", "action": "decontaminated", "depot": "IPS"})
    assert wrong.status_code == 422 and 'id="serial-error"' in wrong.get_data(as_text=True)
    assert post_form(clerk_client, "/stock/returns", {"serial": "B-1", "action": "quarantined"}).status_code == 302
    assert post_form(clerk_client, "/stock/returns", {"serial": "B-1", "action": "decontaminated"}).status_code == 302
    queue = clerk_client.get("/stock/returns").get_data(as_text=True)
    assert "Decontaminated: to inspect (1)" in queue
    failed = post_form(clerk_client, "/stock/inspections", {"serial": "B-1", "result": "fail", "on_fail": "repair"})
    assert failed.status_code == 302
    db.expire_all()
    ips_bed = db.exec(select(Item).where(Item.sku == "BED-1")).one()
    assert balance(db, 1, ips_bed.id, "repair") == 1
    bulk = post_form(
        clerk_client, "/stock/returns", {"depot": "IPS", "sku": "FRM-1", "quantity": "2", "action": "decontaminated"}
    )
    assert bulk.status_code == 422 and "not enough" in bulk.get_data(as_text=True)


def test_roles_on_pages(client, make):
    make.depot("IPS")
    sign_in(client, make.user("coordinator").username)
    page = client.get("/stock/inspections")
    assert page.status_code == 200 and "Record an inspection" not in page.get_data(as_text=True)
    assert client.get("/stock/receive").status_code == 403
    assert client.get("/stock").status_code == 200


def test_depot_stock_page_with_two_thousand_assets_is_quick(clerk_client, db):
    import time

    stock.receive_goods(db, depot_code="IPS", sku="BED-1", serials=[f"P-{n:05d}" for n in range(2000)], user_id=None)
    stock.receive_goods(db, depot_code="IPS", sku="FRM-1", quantity=40, user_id=None)
    clerk_client.get("/stock?depot=IPS")  # warm the template cache
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        page = clerk_client.get("/stock?depot=IPS")
        timings.append(time.perf_counter() - started)
        assert page.status_code == 200 and "2000" in page.get_data(as_text=True)
    # The target is 200 ms (bench/stock_writes.py measures it under gunicorn); the test only
    # guards against a page that walks every asset.
    assert sorted(timings)[2] < 0.5
    listed = clerk_client.get("/stock/items/BED-1?depot=IPS").get_data(as_text=True)
    assert "Showing the first 500" in listed


def test_on_loan_csv_link_works_with_the_page_session(clerk_client):
    page = clerk_client.get("/stock").get_data(as_text=True)
    assert "/api/v1/exports/on-loan.csv" in page
    exported = clerk_client.get("/api/v1/exports/on-loan.csv")
    assert exported.status_code == 200 and exported.get_data(as_text=True).startswith("asset,sku,item,quantity")
