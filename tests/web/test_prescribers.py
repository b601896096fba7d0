"""Prescribers: they order for the people they name, within what they may order, and see only
their own orders and the people on them (API and pages); another prescriber's order is 404."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import func, select

from equipment.models import AuditEvent, Order, Outcome, Plan, Prescriber, Route, Stop, StopOrder
from tests.conftest import post_form, sign_in
from tests.equipment.test_orders_support import VALID_NHS, build_world, order_data, person, receive


@pytest.fixture
def world(db):
    return build_world(db)


def make_prescriber(db, make, username: str, **fields) -> tuple:
    """A prescriber record and a `prescriber` login linked to it."""
    record = Prescriber(
        name=fields.pop("name", username.title()),
        profession=fields.pop("profession", "Occupational therapist"),
        **fields,
    )
    db.add(record)
    db.commit()
    user = make.user("prescriber", username=username)
    user.prescriber_id = record.id
    db.add(user)
    db.commit()
    return user, record


@pytest.fixture
def pat(db, make, world):
    return make_prescriber(db, make, "pat")


@pytest.fixture
def sam(db, make, world):
    return make_prescriber(db, make, "sam")


def bearer(make, user) -> dict[str, str]:
    return {"Authorization": f"Bearer {make.token(user)}"}


def order_as(client, make, user, **overrides):
    return client.post("/api/v1/orders", json=order_data(**overrides), headers=bearer(make, user))


def test_a_prescriber_orders_as_themselves_and_sees_only_their_own(client, db, make, world, pat, sam):
    receive(db, "IPS", "FRAME", quantity=5)
    mine = order_as(client, make, pat[0], prescriber_id=sam[1].id)  # another's id is ignored
    assert mine.status_code == 201, mine.json
    theirs = order_as(
        client, make, sam[0], service_user=person(name="Bo Peep", nhs_number=VALID_NHS[1], address="3 Lane")
    )
    assert theirs.status_code == 201, theirs.json
    assert db.exec(select(Order.prescriber_id).where(Order.ref == mine.json["ref"])).one() == pat[1].id

    listed = client.get("/api/v1/orders", headers=bearer(make, pat[0])).json
    assert [o["ref"] for o in listed["items"]] == [mine.json["ref"]] and listed["total"] == 1
    assert listed["items"][0]["service_user"]["name"] == "Ada Lovelace"
    one = client.get(f"/api/v1/orders/{mine.json['ref']}", headers=bearer(make, pat[0]))
    assert one.status_code == 200 and one.json["service_user"]["nhs_number"] == VALID_NHS[0]
    assert one.json["tracking"]["visit_date"] is None
    other = client.get(f"/api/v1/orders/{theirs.json['ref']}", headers=bearer(make, pat[0]))
    assert other.status_code == 404 and other.mimetype == "application/problem+json"
    assert other.json["detail"] == f"No order {theirs.json['ref']}"  # as for an order that does not exist


def test_another_prescribers_order_is_not_found_on_the_pages(client, db, make, world, pat, sam):
    receive(db, "IPS", "FRAME", quantity=5)
    theirs = order_as(client, make, sam[0]).json["ref"]
    mine = order_as(client, make, pat[0], service_user=person(name="Cy Twombly", nhs_number=VALID_NHS[2])).json["ref"]
    sign_in(client, "pat")
    page = client.get("/prescriber/orders").get_data(as_text=True)
    assert mine in page and "Cy Twombly" in page
    assert theirs not in page and "Ada Lovelace" not in page
    assert client.get(f"/prescriber/orders/{mine}").status_code == 200
    assert client.get(f"/prescriber/orders/{theirs}").status_code == 404
    # Coordinators' pages and the person look-up are not theirs at all.
    assert client.get("/orders").status_code == 403
    assert client.get(f"/api/v1/orders/person?nhs_number={VALID_NHS[0]}").status_code == 403


def test_an_unlinked_prescriber_account_sees_nothing_and_cannot_order(client, db, make, world, pat):
    receive(db, "IPS", "FRAME", quantity=5)
    ref = order_as(client, make, pat[0]).json["ref"]
    loose = make.user("prescriber", username="loose")
    assert client.get("/api/v1/orders", headers=bearer(make, loose)).json["total"] == 0
    assert client.get(f"/api/v1/orders/{ref}", headers=bearer(make, loose)).status_code == 404
    refused = order_as(client, make, loose)
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "prescriber_id"


def test_what_a_prescriber_may_order_and_what_waits_for_authorisation(client, db, make, world):
    nurse, _ = make_prescriber(
        db,
        make,
        "nina",
        profession="District nurse",
        orderable_categories="walking; beds",
        authorisation_categories="beds",
    )
    receive(db, "IPS", "FRAME", quantity=5)
    receive(db, "IPS", "BED", serials=["BED-1"])
    receive(db, "IPS", "HOIST", serials=["HOIST-1"])
    before = db.exec(select(func.count()).select_from(Order)).one()
    hoist = order_as(client, make, nurse, lines=[{"sku": "FRAME"}, {"sku": "HOIST"}])
    assert hoist.status_code == 422 and hoist.json["errors"][0]["field"] == "lines.1.sku"
    assert "may not order hoists" in hoist.json["detail"]
    assert db.exec(select(func.count()).select_from(Order)).one() == before
    frame = order_as(client, make, nurse)
    assert frame.json["status"] == "ready"
    bed = order_as(client, make, nurse, lines=[{"sku": "BED"}])
    assert bed.status_code == 201 and bed.json["status"] == "awaiting_authorisation"


def test_a_prescriber_collects_only_for_their_own_people(client, db, make, world, pat, sam):
    receive(db, "IPS", "BED", serials=["BED-1", "BED-2"])
    delivered = order_as(client, make, pat[0], lines=[{"sku": "BED"}]).json["ref"]
    order = db.exec(select(Order).where(Order.ref == delivered)).one()
    lend(db, "BED-1", order)
    collect = {"kind": "collection", "response_class": "standard_collection", "lines": [{"serial": "BED-1"}]}
    refused = order_as(client, make, sam[0], **collect)
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "service_user.nhs_number"
    sign_in(client, "pat")
    detail = client.get(f"/prescriber/orders/{delivered}").get_data(as_text=True)
    assert "BED-1" in detail and "Ask for a collection" in detail
    answer = post_form(
        client,
        f"/prescriber/orders/{delivered}",
        {"serial": "BED-1"},
        action=f"/prescriber/orders/{delivered}/collection",
    )
    assert answer.status_code == 302
    collection = db.exec(select(Order).where(Order.kind == "collection")).one()
    assert collection.prescriber_id == pat[1].id and collection.response_class == "standard_collection"
    assert collection.service_user_id == order.service_user_id


def lend(db, serial: str, order: Order) -> None:
    """The asset is in the person's home, as after a delivery."""
    from equipment.models import Asset, OrderLine

    asset = db.exec(select(Asset).where(Asset.serial == serial)).one()
    line = db.exec(select(OrderLine).where(OrderLine.order_id == order.id)).first()
    asset.state, asset.service_user_id, asset.order_line_id = "on_loan", order.service_user_id, line.id
    asset.on_loan_since = datetime.now(UTC)
    db.add(asset)
    db.commit()


def publish_visit(db, make, order: Order, eta: datetime) -> Stop:
    van = make.van(world_depot(db, order))
    plan = Plan(service_date=eta.date(), status="done", published_at=datetime.now(UTC))
    db.add(plan)
    db.flush()
    route = Route(plan_id=plan.id, van_id=van.id)
    db.add(route)
    db.flush()
    stop = Stop(route_id=route.id, sequence=1, service_user_id=order.service_user_id, lat=52, lon=1, eta=eta)
    db.add(stop)
    db.flush()
    db.add(StopOrder(stop_id=stop.id, order_id=order.id))
    db.commit()
    return stop


def world_depot(db, order: Order):
    from equipment.models import Depot

    return db.get(Depot, order.depot_id)


def test_the_prescriber_follows_the_visit_window_proof_of_delivery_and_a_rebooking(client, db, make, world, pat):
    receive(db, "IPS", "FRAME", quantity=5)
    ref = order_as(client, make, pat[0]).json["ref"]
    order = db.exec(select(Order).where(Order.ref == ref)).one()
    first_eta = datetime(2030, 3, 4, 10, 30, tzinfo=UTC)
    stop = publish_visit(db, make, order, first_eta)
    tracked = client.get(f"/api/v1/orders/{ref}", headers=bearer(make, pat[0])).json["tracking"]
    assert tracked["visit_date"] == "2030-03-04"
    assert datetime.fromisoformat(tracked["window_start"]) == first_eta - timedelta(hours=1)
    assert datetime.fromisoformat(tracked["window_end"]) == first_eta + timedelta(hours=1)

    db.add(Outcome(stop_id=stop.id, order_id=order.id, status="failed", reason="not_at_home", at=first_eta))
    db.commit()
    second_eta = datetime(2030, 3, 6, 14, 0, tzinfo=UTC)
    second = publish_visit(db, make, order, second_eta)
    tracked = client.get(f"/api/v1/orders/{ref}", headers=bearer(make, pat[0])).json["tracking"]
    assert tracked["failure_reason"] == "Person not at home"
    assert datetime.fromisoformat(tracked["rebooked_for"]) == second_eta
    assert tracked["visit_date"] == "2030-03-06"

    db.add(Outcome(stop_id=second.id, order_id=order.id, status="delivered", recipient="Mrs Lovelace", at=second_eta))
    db.commit()
    sign_in(client, "pat")
    page = client.get(f"/prescriber/orders/{ref}").get_data(as_text=True)
    assert "received by Mrs Lovelace" in page and "Wed 06 Mar 2030 14:00" in page
    assert "Person not at home" in page
    assert date(2030, 3, 6).strftime("%a %d %b %Y") in page


def test_ordering_on_the_page_for_a_new_person(client, db, make, world, pat):
    receive(db, "IPS", "BED", serials=["BED-1"])
    sign_in(client, "pat")
    form = client.get("/prescriber/orders/new").get_data(as_text=True)
    assert "Due:" in form and 'data-availability-url="/api/v1/orders/availability"' in form
    fields = {
        "su_name": "Dora Maar",
        "su_address": "9 Quay Street, Ipswich",
        "su_postcode": "ip4 1aa",
        "su_nhs_number": VALID_NHS[3],
        "response_class": "next_day",
        "lines-0-sku": "bed",
        "lines-0-quantity": "1",
    }
    bad = post_form(client, "/prescriber/orders/new", {**fields, "su_nhs_number": "1234567890", "su_name": ""})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Enter the person&#39;s name" in text and 'value="9 Quay Street, Ipswich"' in text
    assert db.exec(select(func.count()).select_from(Order)).one() == 0
    done = post_form(client, "/prescriber/orders/new", fields)
    assert done.status_code == 302
    order = db.exec(select(Order)).one()
    assert order.prescriber_id == pat[1].id and order.status == "ready"
    listed = client.get("/prescriber/orders").get_data(as_text=True)
    assert order.ref in listed and "Dora Maar" in listed
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "listed", AuditEvent.user_id == pat[0].id)).first()


def test_the_page_says_beside_the_line_what_the_prescriber_may_not_order(client, db, make, world):
    make_prescriber(db, make, "nina", profession="District nurse", orderable_categories="walking")
    receive(db, "IPS", "HOIST", serials=["HOIST-1"])
    sign_in(client, "nina")
    fields = {
        "su_name": "Dora Maar",
        "su_address": "9 Quay Street, Ipswich",
        "su_postcode": "IP4 1AA",
        "response_class": "next_day",
        "lines-0-sku": "",
        "lines-1-sku": "",
        "lines-7-sku": "hoist",
        "lines-7-quantity": "1",
    }
    answer = post_form(client, "/prescriber/orders/new", fields)
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert 'id="lines-2-sku-error"' in text and "may not order hoists" in text
    assert text.count('name="lines-') == 3 * 4  # the three rows typed and one blank: never more
    assert db.exec(select(func.count()).select_from(Order)).one() == 0


def test_a_coordinator_naming_an_unknown_prescriber_gets_422_and_nothing_is_written(client, db, make, world):
    receive(db, "IPS", "FRAME", quantity=2)
    headers = bearer(make, world["staff"]["coordinator"])
    for kind, rc in (("delivery", "three_day"), ("collection", "standard_collection")):
        body = order_data(kind=kind, response_class=rc, prescriber_id=999)
        answer = client.post("/api/v1/orders", json=body, headers=headers)
        assert answer.status_code == 422 and answer.json["errors"][0]["field"] == "prescriber_id"
    assert db.exec(select(func.count()).select_from(Order)).one() == 0


def test_the_prescribers_pages_name_their_record_and_an_unlinked_account_is_told(client, seeded, make):
    """The base layout's own `me` (the signed-in user) must not hide the prescriber record."""
    sign_in(client, "prescriber", "demo-equipment")
    listing = client.get("/prescriber/orders").get_data(as_text=True)
    assert "Shirley Hammond · Occupational therapist · Hospital discharge" in listing
    assert "not linked to a prescriber record" not in client.get("/prescriber/orders/new").get_data(as_text=True)
    unlinked = make.user("prescriber")
    other = client.application.test_client()
    sign_in(other, unlinked.username)
    assert "not linked to a prescriber record" in other.get("/prescriber/orders/new").get_data(as_text=True)
