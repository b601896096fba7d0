"""A safety notice that reaches a home tells the person a visit is coming, once, without naming
the item."""

from __future__ import annotations

from sqlmodel import select

from equipment import compliance
from equipment.compliance.schemas import RecallCreate
from equipment.models import Notice
from tests.equipment.compliance_support import build_compliance_world


def test_a_recall_tells_each_home_once_and_names_no_item(db, engine, make):
    cw = build_compliance_world(db, engine, make)
    home = cw.world.person(phone="07700 900009", contact_by="sms", contact_consent=True)
    first = cw.lend(home, cw.lifter, due_in_days=100)
    second = cw.lend(home, cw.lifter, due_in_days=100)
    data = RecallCreate(
        reference="MHRA-2026-009", skus=["LIFT-L"], serials=[first.serial, second.serial], action="inspect"
    )
    recall = compliance.record_recall(db, data=data, user_id=None)
    db.expire_all()
    told = db.exec(select(Notice).where(Notice.kind == "recall")).all()
    assert len(told) == 1 and told[0].service_user_id == home.id and told[0].channel == "sms"
    assert told[0].event_key == f"recall:{recall.id}:{home.id}"
    assert "safety notice" in told[0].body and "check it" in told[0].body
    assert cw.lifter.name not in told[0].body and "LIFT" not in told[0].body and first.serial not in told[0].body


def test_a_withdrawal_says_the_equipment_will_be_replaced(db, engine, make):
    cw = build_compliance_world(db, engine, make)
    home = cw.world.person()
    lent = cw.lend(home, cw.lifter, due_in_days=100)
    data = RecallCreate(reference="MHRA-2026-010", skus=["LIFT-L"], serials=[lent.serial], action="withdraw")
    compliance.record_recall(db, data=data, user_id=None)
    db.expire_all()
    (told,) = db.exec(select(Notice).where(Notice.kind == "recall")).all()
    assert told.channel == "letter" and "replace it" in told.body
