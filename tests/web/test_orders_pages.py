"""The coordinators' order pages: new-order form, list, order page with its timeline and actions."""

import re
from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from equipment.models import AuditEvent, Order, OrderLine, ServiceUser
from tests.conftest import post_form, sign_in
from tests.equipment.test_orders_support import VALID_NHS, build_world, receive


@pytest.fixture
def world(db):
    return build_world(db)


@pytest.fixture
def coordinator(client, make, world):
    user = make.user("coordinator")
    sign_in(client, user.username)
    return user


FORM = {
    "kind": "delivery",
    "response_class": "three_day",
    "received_at": "",
    "su_nhs_number": VALID_NHS[0],
    "su_name": "Ada Lovelace",
    "su_address": "12 Test Street, Ipswich",
    "su_postcode": "ip4 2qj",
    "su_phone": "01632 960000",
    "su_access_notes": "Key safe",
    "su_safety_alerts": "",
    "lines-0-sku": "frame",
    "lines-0-quantity": "2",
    "lines-0-serial": "",
    "lines-1-sku": "",
    "lines-1-quantity": "",
    "lines-1-serial": "",
    "slot_date": "",
    "slot_window": "",
    "slot_start": "",
    "slot_end": "",
    "notes": "From the OT",
}


def test_new_order_page_renders_for_coordinators_only(client, make, coordinator):
    page = client.get("/orders/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name in ("su_nhs_number", "su_postcode", "lines-0-sku", "response_class", "slot_window", "item-search"):
        assert f'id="{name}"' in html or f'name="{name}"' in html
    assert "orders.js" in html and "if taken now" in html  # due times without the script
    officer = make.user("officer")
    sign_in(client, officer.username)
    assert client.get("/orders/new").status_code == 403
    assert client.get("/orders").status_code == 403


def test_taking_an_order_through_the_form(client, db, coordinator):
    receive(db, "IPS", "FRAME", quantity=5)
    response = post_form(client, "/orders/new", FORM)
    assert response.status_code == 302
    order = db.exec(select(Order)).one()
    assert response.headers["Location"].endswith(f"/orders/{order.ref}")
    assert order.status == "ready" and order.notes == "From the OT" and order.created_by == coordinator.id
    assert db.exec(select(OrderLine)).one().quantity == 2
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"Order {order.ref} taken" in html and "Ada Lovelace" in html and "943 476 5919" in html
    assert "received" in html and "reserved" in html  # the timeline, in plain words
    viewed = db.exec(select(AuditEvent).where(AuditEvent.action == "viewed")).all()
    assert viewed and viewed[-1].user_id == coordinator.id


@pytest.mark.parametrize(
    "changes, field, words",
    [
        ({"su_nhs_number": "9434765918"}, "su_nhs_number", "check digit"),
        ({"su_postcode": "NOWHERE"}, "su_postcode", "not a UK postcode"),
        ({"lines-0-sku": "", "lines-1-sku": "NOPE", "lines-1-quantity": "1"}, "lines-1-sku", "No catalogue item"),
        ({"lines-0-quantity": "zero"}, "lines-0-quantity", "whole number"),
        ({"lines-0-sku": ""}, "lines", "at least one item"),
        ({"su_name": ""}, "su_name", "Enter the person"),
        (
            {"slot_date": "2026-12-01", "slot_window": "custom", "slot_start": "14:00", "slot_end": "10:00"},
            "slot",
            "end after it starts",
        ),
        ({"slot_date": "2020-01-06", "slot_window": "am"}, "slot", "in the past"),
        (
            {"slot_date": "2099-01-06", "slot_window": "custom", "slot_start": "21:00", "slot_end": "23:00"},
            "slot",
            "no van",
        ),
        ({"received_at": "2999-01-01T10:00"}, "received_at", "too far ahead"),
        ({"received_at": "2098-01-01T10:00"}, "received_at", "future"),
        ({"slot_date": "0001-01-01", "slot_window": "am"}, "slot", "too far in the past"),
        ({"su_access_notes": "Key\x00safe"}, "su_access_notes", "cannot be saved"),
        ({"prescriber_id": "999"}, "prescriber_id", "prescriber on record"),
        ({"prescriber_id": "x"}, "prescriber_id", "Choose the prescriber"),
    ],
)
def test_mistakes_are_shown_beside_the_field_and_nothing_is_written(client, db, coordinator, changes, field, words):
    response = post_form(client, "/orders/new", {**FORM, **changes})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    message = re.search(rf'<p class="error" id="{re.escape(field)}-error"[^>]*>([^<]*)</p>', html)
    assert message, html[:3000]
    assert words.lower() in message.group(1).lower()
    assert db.exec(select(Order)).first() is None and db.exec(select(ServiceUser)).first() is None
    assert 'value="Ada Lovelace"' in html or field == "su_name"  # what was typed is kept


def test_order_list_filters_and_shows_people(client, db, coordinator):
    receive(db, "IPS", "FRAME", quantity=5)
    post_form(client, "/orders/new", FORM)
    post_form(
        client,
        "/orders/new",
        {**FORM, "response_class": "standard", "su_name": "Bob Brown", "su_nhs_number": VALID_NHS[1]},
    )
    html = client.get("/orders").get_data(as_text=True)
    assert "Ada Lovelace" in html and "Bob Brown" in html and 'Orders <span class="muted">(2)' in html
    filtered = client.get("/orders?response_class=standard").get_data(as_text=True)
    assert "Bob Brown" in filtered and "Ada Lovelace" not in filtered
    assert "No order matches" in client.get("/orders?status=back_order").get_data(as_text=True)
    assert "No order matches" in client.get("/orders?depot=BSE").get_data(as_text=True)
    assert client.get("/orders?due_from=nonsense").status_code == 422


def test_authorise_change_and_cancel_from_the_order_page(client, db, coordinator):
    receive(db, "IPS", "BARI", serials=["X1"])
    receive(db, "IPS", "FRAME", quantity=5)
    post_form(client, "/orders/new", {**FORM, "lines-0-sku": "BARI", "lines-0-quantity": "1"})
    order = db.exec(select(Order)).one()
    assert order.status == "awaiting_authorisation"
    page_url = f"/orders/{order.ref}"
    assert "Authorise" in client.get(page_url).get_data(as_text=True)
    post_form(client, page_url, {"note": "Panel agreed"}, action=f"{page_url}/authorise")
    db.refresh(order)
    assert order.status == "ready" and order.authorised_by == coordinator.id

    edit = client.get(f"{page_url}/edit")
    assert edit.status_code == 200 and 'value="BARI"' in edit.get_data(as_text=True)
    changed = post_form(
        client,
        f"{page_url}/edit",
        {
            "response_class": "standard",
            "lines-0-sku": "FRAME",
            "lines-0-quantity": "3",
            "lines-0-serial": "",
            "slot_date": (date.today() + timedelta(days=7)).isoformat(),
            "slot_window": "am",
            "notes": "",
            "reason": "Smaller bed not needed",
        },
    )
    assert changed.status_code == 302
    db.refresh(order)
    assert order.response_class == "standard" and order.slot_start is not None
    assert [(line.quantity, line.allocated) for line in db.exec(select(OrderLine))] == [(3, 3)]
    bad = post_form(
        client, f"{page_url}/edit", {"response_class": "standard", "lines-0-sku": "NOPE", "lines-0-quantity": "1"}
    )
    assert bad.status_code == 422 and 'id="lines-0-sku-error"' in bad.get_data(as_text=True)

    post_form(client, page_url, {"reason": "Went into care"}, action=f"{page_url}/cancel")
    db.refresh(order)
    assert order.status == "cancelled"
    html = client.get(page_url).get_data(as_text=True)
    assert "cancelled" in html and "Went into care" in html and "Cancel the order" not in html


def test_review_back_orders_button(client, db, coordinator):
    post_form(client, "/orders/new", FORM)
    order = db.exec(select(Order)).one()
    assert order.status == "back_order"
    receive(db, "BSE", "FRAME", quantity=5)
    response = post_form(client, "/orders", {}, action="/orders/review-back-orders")
    assert response.status_code == 302
    db.refresh(order)
    assert order.status == "ready"
    assert "1 now ready" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_collect_what_a_delivery_left(client, db, coordinator):
    from equipment import stock

    receive(db, "IPS", "BED", serials=["B1"])
    receive(db, "IPS", "FRAME", quantity=2)
    post_form(client, "/orders/new", {**FORM, "lines-1-sku": "BED", "lines-1-quantity": "1"})
    delivery = db.exec(select(Order)).one()
    for line in db.exec(select(OrderLine).where(OrderLine.order_id == delivery.id)):
        stock.deliver_line(
            db, line=line, service_user_id=delivery.service_user_id, at=delivery.received_at, user_id=None
        )
    delivery.status, delivery.completed_at = "completed", delivery.received_at
    db.add(delivery)
    db.commit()
    assert "Collect this equipment" in client.get(f"/orders/{delivery.ref}").get_data(as_text=True)
    url = f"/orders/new?for={delivery.ref}&kind=collection"
    html = client.get(url).get_data(as_text=True)
    assert 'value="Ada Lovelace"' in html and 'value="B1"' in html and 'value="FRAME"' in html
    form = {
        **FORM,
        "kind": "collection",
        "response_class": "standard_collection",
        "lines-0-sku": "",
        "lines-0-serial": "B1",
        "lines-0-quantity": "1",
    }
    response = post_form(client, url, form, action="/orders/new")
    assert response.status_code == 302
    collection = db.exec(select(Order).where(Order.kind == "collection")).one()
    assert collection.service_user_id == delivery.service_user_id and collection.status == "ready"


def test_every_mistake_shows_at_once_in_plain_words_and_rows_never_multiply(client, db, coordinator):
    typed = {
        **FORM,
        "su_name": "",
        "su_postcode": "NOWHERE",
        "su_nhs_number": "9434765918",
        "lines-0-sku": "NOPE",
        "lines-1-sku": "FRAME",
        "lines-1-quantity": "zero",
        "lines-2-sku": "",
        "lines-3-sku": "",
        "lines-4-sku": "",
    }
    html = ""
    for _ in range(3):  # each failed submit sends back what the page showed
        answer = post_form(client, "/orders/new", typed)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 422
        rows = re.findall(r'name="(lines-\d+)-sku"', html)
        typed = {k: v for k, v in typed.items() if not k.startswith("lines-")}
        for n, row in enumerate(rows):
            sku = re.search(rf'name="{row}-sku"[^>]*value="([^"]*)"', html).group(1)
            quantity = re.search(rf'name="{row}-quantity"[^>]*value="([^"]*)"', html).group(1)
            typed.update({f"lines-{n}-sku": sku, f"lines-{n}-quantity": quantity, f"lines-{n}-serial": ""})
    assert len(rows) == 3  # the two typed rows and one empty, however often it fails
    for field in ("su_name", "su_postcode", "su_nhs_number", "lines-0-sku", "lines-1-quantity"):
        assert f'id="{field}-error"' in html, field
    for raw in ("String should", "Input should", "valid integer", "Value error"):
        assert raw not in html
    assert 'value="NOWHERE"' in html and "Key safe" in html  # what was typed is kept
    assert db.exec(select(Order)).first() is None


def test_the_prescriber_picker_names_the_orders_prescriber(client, db, coordinator):
    from equipment.models import Prescriber

    shirley = Prescriber(name="Shirley Hammond", profession="Occupational therapist")
    db.add(shirley)
    db.commit()
    html = client.get("/orders/new").get_data(as_text=True)
    assert 'id="prescriber_id"' in html and "Shirley Hammond · Occupational therapist" in html
    receive(db, "IPS", "FRAME", quantity=5)
    bad = post_form(client, "/orders/new", {**FORM, "prescriber_id": str(shirley.id), "su_name": ""})
    assert f'<option value="{shirley.id}" selected>' in bad.get_data(as_text=True)  # kept on a failed submit
    answer = post_form(client, "/orders/new", {**FORM, "prescriber_id": str(shirley.id)})
    assert answer.status_code == 302
    assert db.exec(select(Order)).one().prescriber_id == shirley.id


def test_the_form_records_how_the_person_wants_to_hear_and_a_blank_keeps_it(client, db, coordinator):
    receive(db, "IPS", "FRAME", quantity=5)
    chosen = {**FORM, "su_email": "ada@example.org", "su_contact_by": "email", "su_contact_consent": "yes"}
    assert post_form(client, "/orders/new", chosen).status_code == 302
    db.expire_all()
    ada = db.exec(select(ServiceUser)).one()
    assert (ada.email, ada.contact_by, ada.contact_consent) == ("ada@example.org", "email", True)
    db.commit()
    assert post_form(client, "/orders/new", FORM).status_code == 302  # nothing chosen: as recorded
    db.expire_all()
    assert db.exec(select(ServiceUser.contact_consent)).one() is True
    db.commit()
    bad = post_form(client, "/orders/new", {**FORM, "su_email": "not an address", "su_contact_by": "pigeon"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="su_email-error"' in html and 'id="su_contact_by-error"' in html
    assert db.exec(select(func.count()).select_from(Order)).one() == 2
