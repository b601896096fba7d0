"""/api/v1/orders through the test client: contract fields, roles, privacy, audit, bad input."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from equipment.models import AuditEvent, Order, ServiceUser
from tests.equipment.test_orders_support import VALID_NHS, build_world, order_data, person, receive


@pytest.fixture
def world(db):
    return build_world(db)


@pytest.fixture
def auth(world, make):
    return {role: {"Authorization": f"Bearer {make.token(user)}"} for role, user in world["staff"].items()}


def post_order(client, auth, role="coordinator", **overrides):
    return client.post("/api/v1/orders", json=order_data(**overrides), headers=auth[role])


def test_create_returns_the_contract_fields(client, db, auth):
    receive(db, "IPS", "FRAME", quantity=2)
    received = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    response = post_order(client, auth, received_at=received)
    assert response.status_code == 201, response.json
    body = response.json
    assert {"ref", "status", "due_at", "response_class"} <= set(body)
    assert body["ref"].startswith("EQ-") and len(body["ref"]) == 9
    assert body["status"] == "ready" and body["depot"] == "IPS" and body["response_class"] == "three_day"
    due = datetime.fromisoformat(body["due_at"])
    assert due.utcoffset() is not None and due > datetime.now(UTC)


def test_list_filters_and_paging(client, db, auth):
    receive(db, "IPS", "FRAME", quantity=10)
    refs = [post_order(client, auth, response_class=c).json["ref"] for c in ("standard", "next_day", "three_day")]
    collection = post_order(
        client, auth, kind="collection", response_class="standard_collection", lines=[{"sku": "FRAME"}]
    ).json["ref"]
    everything = client.get("/api/v1/orders", headers=auth["coordinator"]).json
    assert everything["total"] == 4
    first = everything["items"][0]
    for key in ("ref", "status", "response_class", "depot", "received_at", "due_at", "completed_at", "excused"):
        assert key in first
    assert first["ref"] == refs[1]  # earliest due first
    assert first["service_user"] == {"name": "Ada Lovelace", "postcode": "IP4 2QJ"}
    page = client.get("/api/v1/orders?limit=2&offset=2", headers=auth["coordinator"]).json
    assert page["total"] == 4 and len(page["items"]) == 2
    one = client.get("/api/v1/orders?response_class=standard", headers=auth["coordinator"]).json
    assert [o["ref"] for o in one["items"]] == [refs[0]]
    assert client.get("/api/v1/orders?status=ready&depot=IPS", headers=auth["officer"]).json["total"] == 4
    assert client.get("/api/v1/orders?depot=BSE", headers=auth["officer"]).json["total"] == 0
    assert client.get("/api/v1/orders?depot=NONE", headers=auth["officer"]).json["total"] == 0
    assert client.get("/api/v1/orders?kind=collection", headers=auth["officer"]).json["items"][0]["ref"] == collection
    due_next = client.get("/api/v1/orders", headers=auth["officer"]).json["items"][0]["due_at"]
    day = datetime.fromisoformat(due_next).date().isoformat()
    same_day = client.get(f"/api/v1/orders?due_from={day}&due_to={day}", headers=auth["officer"]).json
    assert [o["ref"] for o in same_day["items"]] == [refs[1]]
    exact = client.get("/api/v1/orders", query_string={"due_to": due_next}, headers=auth["officer"]).json
    assert exact["total"] == 1


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=nope", "status"),
        ("due_to=2026-13-01", "due_to"),
        ("due_from=yesterday", "due_from"),
        ("limit=0", "limit"),
        ("response_class=slow", "response_class"),
    ],
)
def test_bad_filters_are_422(client, auth, query, field):
    response = client.get(f"/api/v1/orders?{query}", headers=auth["coordinator"])
    assert response.status_code == 422
    assert response.json["errors"][0]["field"].split(".")[0] == field


def test_officers_never_see_people(client, db, auth):
    ref = post_order(client, auth).json["ref"]
    listed = client.get("/api/v1/orders", headers=auth["officer"]).json["items"][0]
    assert listed["service_user"] is None
    detail = client.get(f"/api/v1/orders/{ref}", headers=auth["officer"])
    assert detail.status_code == 200
    text = detail.get_data(as_text=True)
    for secret in ("Ada", "Lovelace", "Test Street", VALID_NHS[0], "01632", "Key safe"):
        assert secret not in text
    assert detail.json["ref"] == ref and detail.json["district"] == "IP4" and detail.json["depot"] == "IPS"
    assert client.get(f"/api/v1/orders/{ref}", headers=auth["clerk"]).json["service_user"] is None
    assert client.get("/api/v1/orders", headers=auth["driver"]).status_code == 403
    assert post_order(client, auth, role="officer").status_code == 403


def test_coordinator_view_of_a_person_is_audited(client, db, auth, world):
    ref = post_order(client, auth).json["ref"]
    before = len(db.exec(select(AuditEvent).where(AuditEvent.action == "viewed")).all())
    detail = client.get(f"/api/v1/orders/{ref}", headers=auth["coordinator"]).json
    assert detail["service_user"]["nhs_number"] == VALID_NHS[0]
    assert detail["service_user"]["access_notes"] == "Key safe 1234"
    assert detail["lines"][0]["sku"] == "FRAME" and detail["events"][0]["event"] == "received"
    assert detail["events"][0]["user"] == world["user"].username
    views = db.exec(select(AuditEvent).where(AuditEvent.action == "viewed")).all()
    assert len(views) == before + 1
    assert views[-1].user_id == world["user"].id and views[-1].entity == "service_user"
    assert client.get("/api/v1/orders/EQ-999999", headers=auth["coordinator"]).status_code == 404


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"service_user": person(nhs_number="9434765918")}, "service_user.nhs_number"),
        ({"service_user": person(postcode="XX")}, "service_user.postcode"),
        ({"lines": [{"sku": "NOPE"}]}, "lines.0.sku"),
        ({"lines": [{"sku": "FRAME", "quantity": 0}]}, "lines.0.quantity"),
        ({"slot": {"start": "2026-11-24T12:00:00+00:00", "end": "2026-11-24T11:00:00+00:00"}}, "slot.end"),
        ({"received_at": "2999-01-01T10:00:00+00:00"}, "received_at"),
        ({"kind": "teleport"}, "kind"),
        ({"lines": []}, "lines"),
        ({"colour": "blue"}, "colour"),
        (
            {"kind": "collection", "response_class": "standard_collection", "lines": [{"serial": "NOPE"}]},
            "lines.0.serial",
        ),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_nothing_is_written(client, db, auth, overrides, field):
    response = post_order(client, auth, **overrides)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert field in [e["field"] for e in response.json["errors"]]
    assert db.exec(select(Order)).first() is None and db.exec(select(ServiceUser)).first() is None


def test_cancel_authorise_and_amend(client, db, auth):
    receive(db, "IPS", "BARI", serials=["X1"])
    ref = post_order(client, auth, lines=[{"sku": "BARI"}]).json["ref"]
    assert client.get(f"/api/v1/orders/{ref}", headers=auth["officer"]).json["status"] == "awaiting_authorisation"
    assert client.post(f"/api/v1/orders/{ref}/authorise", json={}, headers=auth["officer"]).status_code == 403
    authorised = client.post(f"/api/v1/orders/{ref}/authorise", json={"note": "Panel agreed"}, headers=auth["admin"])
    assert authorised.status_code == 200 and authorised.json["status"] == "ready"
    again = client.post(f"/api/v1/orders/{ref}/authorise", json={}, headers=auth["admin"])
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    amended = client.patch(
        f"/api/v1/orders/{ref}",
        json={"response_class": "standard", "reason": "not urgent"},
        headers=auth["coordinator"],
    )
    assert amended.status_code == 200 and amended.json["response_class"] == "standard"
    cancelled = client.post(f"/api/v1/orders/{ref}/cancel", json={"reason": "Duplicate"}, headers=auth["coordinator"])
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert client.post(f"/api/v1/orders/{ref}/cancel", json={}, headers=auth["coordinator"]).status_code == 409
    events = [e["event"] for e in client.get(f"/api/v1/orders/{ref}", headers=auth["coordinator"]).json["events"]]
    assert events == ["received", "awaiting_authorisation", "authorised", "allocated", "amended", "cancelled"]


def test_preview_due_and_availability(client, db, auth):
    receive(db, "IPS", "FRAME", quantity=4)
    receive(db, "BSE", "FRAME", quantity=1)
    preview = client.get(
        "/api/v1/orders/preview-due?response_class=emergency&received_at=2026-11-23T19:00", headers=auth["coordinator"]
    ).json
    assert datetime.fromisoformat(preview["due_at"]) == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert preview["clock_starts"] == "received"
    bad = client.get("/api/v1/orders/preview-due?response_class=zzz", headers=auth["coordinator"])
    assert bad.status_code == 422 and bad.json["errors"][0]["field"].startswith("response_class")
    found = client.get("/api/v1/orders/availability?postcode=IP4%202QJ&q=frame", headers=auth["coordinator"]).json
    assert found["depot"] == "IPS" and found["district"] == "IP4"
    assert found["items"] == [
        {
            "sku": "FRAME",
            "name": "Walking frame",
            "serialised": False,
            "needs_authorisation": False,
            "available": 4,
            "elsewhere": 1,
        }
    ]
    outside = client.get("/api/v1/orders/availability?postcode=SW1A%201AA", headers=auth["coordinator"]).json
    assert outside["depot"] is None and outside["district"] == "SW1A" and outside["items"][0]["available"] == 0
    assert client.get("/api/v1/orders/availability?postcode=XX", headers=auth["coordinator"]).status_code == 422


def test_openapi_describes_the_orders_api(client):
    spec = client.get("/api/v1/openapi.json").json
    assert {"/api/v1/orders", "/api/v1/orders/{ref}", "/api/v1/orders/{ref}/cancel"} <= set(spec["paths"])
    create = spec["paths"]["/api/v1/orders"]["post"]
    assert "201" in create["responses"] and "422" in create["responses"]


def test_find_a_known_person_by_nhs_number(client, db, auth, world):
    ref = post_order(client, auth).json["ref"]
    found = client.get(f"/api/v1/orders/person?nhs_number={VALID_NHS[0]}", headers=auth["coordinator"])
    assert found.status_code == 200
    assert found.json["service_user"]["name"] == "Ada Lovelace" and found.json["open_orders"] == [ref]
    audit = db.exec(select(AuditEvent).where(AuditEvent.detail == "looked up by NHS number")).one()
    assert audit.user_id == world["user"].id
    assert (
        client.get(f"/api/v1/orders/person?nhs_number={VALID_NHS[1]}", headers=auth["coordinator"]).status_code == 404
    )
    assert client.get("/api/v1/orders/person?nhs_number=9434765918", headers=auth["coordinator"]).status_code == 404
    assert client.get("/api/v1/orders/person?nhs_number=12", headers=auth["coordinator"]).status_code == 422
    assert client.get(f"/api/v1/orders/person?nhs_number={VALID_NHS[0]}", headers=auth["officer"]).status_code == 403


def test_review_back_orders(client, db, auth):
    ref = post_order(client, auth, response_class="standard").json["ref"]
    assert client.post("/api/v1/orders/review-back-orders", headers=auth["officer"]).status_code == 403
    receive(db, "BSE", "FRAME", quantity=1)
    review = client.post("/api/v1/orders/review-back-orders", headers=auth["coordinator"])
    assert review.status_code == 200 and review.json == {"ready": [ref], "delayed": []}
    assert client.get(f"/api/v1/orders/{ref}", headers=auth["officer"]).json["depot"] == "BSE"


def test_look_ups_that_find_no_one_are_audited_and_limited_per_user(client, db, auth, world, make):
    post_order(client, auth)
    coordinator = auth["coordinator"]
    before = len(db.exec(select(AuditEvent).where(AuditEvent.action == "not_found")).all())
    misses = ["9434765918", VALID_NHS[1]] * 10  # a bad check digit and an unknown number: both misses
    for number in misses:
        assert client.get(f"/api/v1/orders/person?nhs_number={number}", headers=coordinator).status_code == 404
    audited = db.exec(select(AuditEvent).where(AuditEvent.action == "not_found")).all()[before:]
    assert len(audited) == 20 and {a.user_id for a in audited} == {world["user"].id}
    assert all(VALID_NHS[1] not in a.detail and a.entity == "service_user" for a in audited)
    # Spent: every look-up is refused now, a find included, so a refusal tells nothing.
    for number in (VALID_NHS[1], VALID_NHS[0]):
        refused = client.get(f"/api/v1/orders/person?nhs_number={number}", headers=coordinator)
        assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
        assert refused.headers["Retry-After"]
    # The limit is this user's: another coordinator still finds the person.
    other = make.headers("coordinator")
    assert client.get(f"/api/v1/orders/person?nhs_number={VALID_NHS[0]}", headers=other).status_code == 200
