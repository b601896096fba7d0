"""The stock guarantees under real concurrent HTTP requests, against a live threaded server."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlmodel import func, select
from werkzeug.serving import make_server

from equipment import stock
from equipment.models import Asset, StockMovement, Transfer
from equipment.stock import queries as stock_queries
from equipment.stock.ledger import balance


@pytest.fixture
def live(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def post(url: str, body: dict, headers: dict) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={**headers, "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def fire(url: str, bodies: list[dict], headers: dict) -> Counter:
    """Send every body at once (threads released together) and count the statuses."""
    start = threading.Barrier(len(bodies))
    statuses: list[int] = []
    lock = threading.Lock()

    def one(body: dict) -> None:
        start.wait()
        status = post(url, body, headers)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=one, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return Counter(statuses)


@pytest.fixture
def setting(db, make):
    ips, bse = make.depot("IPS"), make.depot("BSE")
    clerk = make.user("clerk")
    return ips, bse, clerk, {"Authorization": f"Bearer {make.token(clerk)}"}


def test_fifty_transfers_for_the_last_five_units(db, make, live, setting):
    ips, bse, clerk, headers = setting
    frame = make.item("FRM-1")
    stock.receive_goods(db, depot_code="IPS", sku="FRM-1", quantity=5, user_id=clerk.id)
    body = {"from_depot": "IPS", "to_depot": "BSE", "sku": "FRM-1", "quantity": 1}
    statuses = fire(f"{live}/api/v1/stock/transfers", [body] * 50, headers)
    assert statuses == Counter({201: 5, 409: 45})
    db.expire_all()
    assert balance(db, ips.id, frame.id, "available") == 0 and balance(db, bse.id, frame.id, "available") == 5
    assert db.exec(select(func.count()).select_from(Transfer)).one() == 5
    assert db.exec(select(func.count()).select_from(StockMovement)).one() == 1 + 5 * 2
    assert stock_queries.verify_ledger(db) == []


def test_fifty_transfers_for_five_serialised_units(db, make, live, setting):
    ips, bse, clerk, headers = setting
    bed = make.item("BED-1", serialised=True)
    serials = [f"B{n}" for n in range(5)]
    stock.receive_goods(db, depot_code="IPS", sku="BED-1", serials=serials, user_id=clerk.id)
    bodies = [{"from_depot": "IPS", "to_depot": "BSE", "sku": "BED-1", "serials": [serials[n % 5]]} for n in range(50)]
    statuses = fire(f"{live}/api/v1/stock/transfers", bodies, headers)
    assert statuses == Counter({201: 5, 409: 45})
    db.expire_all()
    assert {a.depot_id for a in db.exec(select(Asset))} == {bse.id}
    assert balance(db, bse.id, bed.id, "available") == 5 and balance(db, ips.id, bed.id, "available") == 0
    assert stock_queries.verify_ledger(db) == []


def test_transfers_both_ways_at_once_all_succeed(db, make, live, setting):
    ips, bse, clerk, headers = setting
    frame = make.item("FRM-1")
    stock.receive_goods(db, depot_code="IPS", sku="FRM-1", quantity=30, user_id=clerk.id)
    stock.receive_goods(db, depot_code="BSE", sku="FRM-1", quantity=30, user_id=clerk.id)
    there = {"from_depot": "IPS", "to_depot": "BSE", "sku": "FRM-1", "quantity": 1}
    back = {"from_depot": "BSE", "to_depot": "IPS", "sku": "FRM-1", "quantity": 1}
    statuses = fire(f"{live}/api/v1/stock/transfers", [there, back] * 20, headers)
    assert statuses == Counter({201: 40})
    db.expire_all()
    assert balance(db, ips.id, frame.id, "available") == 30 and balance(db, bse.id, frame.id, "available") == 30
    assert stock_queries.verify_ledger(db) == []


def test_ten_retries_at_once_with_one_idempotency_key_book_once(db, make, live, setting):
    ips, _, _, headers = setting
    frame = make.item("FRM-1")
    body = {"depot": "IPS", "sku": "FRM-1", "quantity": 2}
    statuses = fire(f"{live}/api/v1/stock/receipts", [body] * 10, {**headers, "Idempotency-Key": "same-scan"})
    assert statuses == Counter({201: 10})
    db.expire_all()
    assert balance(db, ips.id, frame.id, "available") == 2
    assert db.exec(select(func.count()).select_from(StockMovement)).one() == 1
