"""How a person asked to be told is recorded from the order, and can be changed or withdrawn."""

import pytest
from sqlmodel import select

from equipment.models import Order, ServiceUser
from equipment.notices.channels import channel_for
from tests.equipment.test_orders_support import build_world, order_data, person, receive


@pytest.fixture
def headers(db, make):
    world = build_world(db)
    receive(db, "IPS", "FRAME", quantity=5)
    return {"Authorization": f"Bearer {make.token(world['staff']['coordinator'])}"}


def _post(client, headers, **fields):
    return client.post("/api/v1/orders", json=order_data(service_user=person(**fields)), headers=headers)


def _the_person(db) -> ServiceUser:
    db.expire_all()
    found = db.exec(select(ServiceUser)).one()
    db.commit()
    return found


def test_the_order_records_the_channel_and_consent_and_a_later_order_withdraws_it(client, db, headers):
    first = _post(client, headers, email="ada@example.org", contact_by="email", contact_consent=True)
    assert first.status_code == 201, first.json
    ada = _the_person(db)
    assert (ada.email, ada.contact_by, ada.contact_consent) == ("ada@example.org", "email", True)
    assert channel_for(ada) == "email"
    detail = client.get(f"/api/v1/orders/{first.json['ref']}", headers=headers).json["service_user"]
    assert detail["contact_by"] == "email" and detail["contact_consent"] is True

    assert _post(client, headers).status_code == 201  # saying nothing changes nothing
    assert _the_person(db).contact_consent is True
    assert _post(client, headers, contact_consent=False).status_code == 201
    withdrawn = _the_person(db)
    assert withdrawn.contact_consent is False and channel_for(withdrawn) == "letter"


@pytest.mark.parametrize(
    "fields, field",
    [({"email": "not an address"}, "service_user.email"), ({"contact_by": "pigeon"}, "service_user.contact_by")],
)
def test_a_bad_contact_detail_is_refused_beside_its_field_and_nothing_is_written(client, db, headers, fields, field):
    answer = _post(client, headers, **fields)
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert field in [e["field"] for e in answer.json["errors"]]
    assert db.exec(select(Order)).first() is None and db.exec(select(ServiceUser)).first() is None
