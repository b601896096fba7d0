"""An order's life through the public API: taken, planned (a delivery and a collection at one
address become one visit), published, delivered; then its asset is collected by serial."""

import time

import pytest

from equipment import service_time
from tests.equipment.test_orders_support import build_world, order_data, receive


@pytest.fixture
def world(db):
    return build_world(db)


def wait_done(client, headers, plan_id: int, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/v1/plans/{plan_id}", headers=headers).get_json()
        if body["status"] in ("done", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_order_to_delivery_to_collection(client, db, make, world):
    make.van(world["depots"]["IPS"])
    receive(db, "IPS", "BED", serials=["B1"])
    headers = {"Authorization": f"Bearer {make.token(world['user'])}"}

    delivery = client.post(
        "/api/v1/orders", json=order_data(response_class="next_day", lines=[{"sku": "BED"}]), headers=headers
    ).get_json()
    assert delivery["status"] == "ready"
    collection = client.post(
        "/api/v1/orders",
        json=order_data(kind="collection", response_class="urgent_collection", lines=[{"sku": "FRAME"}]),
        headers=headers,
    ).get_json()
    assert collection["status"] == "ready"
    day = service_time.today().isoformat()  # brought forward: an outcome is recorded on its route's day

    plan_id = client.post("/api/v1/plans", json={"date": day, "seconds": 0.5}, headers=headers).get_json()["id"]
    plan = wait_done(client, headers, plan_id)
    assert plan["status"] == "done", plan
    (route,) = plan["routes"]
    (stop,) = route["stops"]
    assert sorted(stop["order_refs"]) == sorted([delivery["ref"], collection["ref"]])  # one visit
    assert client.post(f"/api/v1/plans/{plan_id}/publish", headers=headers).status_code == 200
    assert client.get(f"/api/v1/orders/{delivery['ref']}", headers=headers).get_json()["status"] == "planned"

    done = client.post(
        f"/api/v1/stops/{stop['id']}/outcome",
        headers=headers,
        json={"status": "delivered", "recipient": "Ada", "serials": ["B1"], "order_refs": [delivery["ref"]]},
    )
    assert done.status_code == 200, done.get_json()
    detail = client.get(f"/api/v1/orders/{delivery['ref']}", headers=headers).get_json()
    assert detail["status"] == "completed" and detail["completed_at"]
    assert detail["outcomes"][0]["status"] == "delivered" and detail["outcomes"][0]["serials"] == ["B1"]

    # The bed is now on loan to Ada: a collection by serial is accepted; another person's is not.
    by_serial = client.post(
        "/api/v1/orders",
        json=order_data(kind="collection", response_class="standard_collection", lines=[{"serial": "B1"}]),
        headers=headers,
    )
    assert by_serial.status_code == 201 and by_serial.get_json()["status"] == "ready"
    other = order_data(kind="collection", response_class="standard_collection", lines=[{"serial": "B1"}])
    other["service_user"] = {**other["service_user"], "nhs_number": None, "name": "Someone Else"}
    refused = client.post("/api/v1/orders", json=other, headers=headers)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "lines.0.serial"
