"""Collections asked for without an account: a match becomes a collection order; the answer never
tells a match from a miss; rate-limited; a bad label writes nothing; CSRF on the page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import func, select

from equipment.models import Asset, AuditEvent, Order, OrderEvent, OrderLine, ServiceUser
from equipment.web import collection_limits
from tests.conftest import csrf_token_from
from tests.equipment.test_orders_support import build_world, receive

URL = "/api/v1/collection-requests"


@pytest.fixture
def on_loan(db):
    """BED-7 on loan to a person at IP4 2QJ."""
    build_world(db)
    receive(db, "IPS", "BED", serials=["BED-7", "BED-8"])
    person = ServiceUser(
        name="Ada Lovelace", address="12 Test Street", postcode="IP4 2QJ", district="IP4", lat=52.06, lon=1.18
    )
    db.add(person)
    db.flush()
    asset = db.exec(select(Asset).where(Asset.serial == "BED-7")).one()
    asset.state, asset.service_user_id, asset.on_loan_since = "on_loan", person.id, datetime.now(UTC)
    db.add(asset)
    db.commit()
    return person


def written(db) -> tuple[int, ...]:
    return tuple(
        db.exec(select(func.count()).select_from(table)).one()
        for table in (Order, OrderLine, OrderEvent, AuditEvent, ServiceUser)
    )


def test_a_match_becomes_a_standard_collection(client, db, on_loan):
    answer = client.post(URL, json={"label": " bed-7 ", "postcode": "ip42qj"})
    assert answer.status_code == 202, answer.json
    assert answer.json["reference"].startswith("CR-")
    order = db.exec(select(Order)).one()
    assert order.kind == "collection" and order.response_class == "standard_collection"
    assert order.service_user_id == on_loan.id and order.status == "ready" and order.due_at is not None
    assert answer.json["reference"] in order.notes
    assert db.exec(select(OrderLine.serial)).one() == "BED-7"
    assert db.exec(select(func.count()).select_from(ServiceUser)).one() == 1  # the same person, not a new one
    again = client.post(URL, json={"label": "BED-7", "postcode": "IP4 2QJ"})
    assert again.status_code == 202 and again.json["message"] == answer.json["message"]
    assert db.exec(select(func.count()).select_from(Order)).one() == 1  # already being collected


@pytest.mark.parametrize(
    "label, postcode",
    [("BED-7", "IP4 9ZZ"), ("BED-8", "IP4 2QJ"), ("NO-SUCH-1", "IP4 2QJ")],
    ids=["wrong postcode", "not on loan", "unknown label"],
)
def test_no_match_answers_the_same_and_writes_nothing(client, db, on_loan, label, postcode):
    matched = client.post(URL, json={"label": "BED-7", "postcode": "IP4 2QJ"}).json
    before = written(db)
    answer = client.post(URL, json={"label": label, "postcode": postcode})
    assert answer.status_code == 202
    assert set(answer.json) == set(matched) and answer.json["message"] == matched["message"]
    assert answer.json["reference"].startswith("CR-") and answer.json["reference"] != matched["reference"]
    assert written(db) == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"label": "<script>", "postcode": "IP4 2QJ"}, "label"),
        ({"label": "B", "postcode": "IP4 2QJ"}, "label"),
        ({"label": "BED-7", "postcode": "nowhere"}, "postcode"),
        ({"label": "x" * 61, "postcode": "IP4 2QJ"}, "label"),
        ({"postcode": "IP4 2QJ"}, "label"),
    ],
)
def test_a_bad_label_or_postcode_is_422_and_writes_nothing(client, db, on_loan, body, field):
    before = written(db)
    answer = client.post(URL, json=body)
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert answer.json["errors"][0]["field"] == field
    assert written(db) == before


def test_requests_are_limited_per_address_and_per_label(client, db, on_loan):
    per_label = collection_limits.PER_LABEL.amount
    for _ in range(per_label):
        assert client.post(URL, json={"label": "NO-SUCH-1", "postcode": "IP4 2QJ"}).status_code == 202
    limited = client.post(URL, json={"label": " no-such  1", "postcode": "IP4 9ZZ"})
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    per_address = collection_limits.PER_ADDRESS.amount
    for n in range(per_address - per_label - 1):
        assert client.post(URL, json={"label": f"OTHER-{n}", "postcode": "IP4 2QJ"}).status_code == 202
    before = written(db)
    refused = client.post(URL, json={"label": "BED-7", "postcode": "IP4 2QJ"})  # would match: still refused
    assert refused.status_code == 429
    assert written(db) == before
    other_address = client.post(
        URL, json={"label": "BED-7", "postcode": "IP4 2QJ"}, environ_base={"REMOTE_ADDR": "192.0.2.9"}
    )
    assert other_address.status_code == 202


def test_the_public_page_asks_without_an_account_with_csrf(client, db, on_loan):
    page = client.get("/collection-request")
    assert page.status_code == 200 and "Number on the label" in page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    assert client.post("/collection-request", data={"label": "BED-7", "postcode": "IP4 2QJ"}).status_code == 400
    assert db.exec(select(func.count()).select_from(Order)).one() == 0
    bad = client.post("/collection-request", data={"label": "!!", "postcode": "IP4 2QJ", "csrf_token": token})
    assert bad.status_code == 422 and "Enter the number printed on the label" in bad.get_data(as_text=True)
    miss = client.post("/collection-request", data={"label": "BED-8", "postcode": "IP4 2QJ", "csrf_token": token})
    hit = client.post("/collection-request", data={"label": "BED-7", "postcode": "IP4 2QJ", "csrf_token": token})
    assert miss.status_code == hit.status_code == 200
    strip = lambda html: html.split('id="collection-reference">')[0]  # noqa: E731 - all but the reference
    assert strip(miss.get_data(as_text=True)) == strip(hit.get_data(as_text=True))
    assert db.exec(select(func.count()).select_from(Order)).one() == 1
