"""The demo's prescriber login and its orders; revision 0008_prescribers when users.prescriber_id
is already there (revision 0007_users adds it too)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import func, select

from equipment.demo.history import generate_history
from equipment.models import Order, Prescriber
from equipment.people import prescribers
from equipment.people.users import authenticate


def test_the_demo_prescriber_signs_in_linked_to_a_seeded_prescriber_with_orders(db, seeded):
    user = authenticate(db, "prescriber", "demo-equipment")
    assert user is not None and user.role == "prescriber"
    record = db.get(Prescriber, user.prescriber_id)
    assert record.name == "Shirley Hammond" and record.team == "Hospital discharge"
    nurse = db.exec(select(Prescriber).where(Prescriber.profession == "District nurse")).first()
    assert "pressure care" in prescribers.categories(nurse.orderable_categories)
    assert prescribers.categories(nurse.authorisation_categories) == ["seating"]

    generate_history(db, months=1, now=datetime(2026, 2, 20, 9, 30, tzinfo=UTC), items_per_working_day=40)
    theirs = db.exec(select(func.count()).select_from(Order).where(Order.prescriber_id == record.id)).one()
    everyone = db.exec(select(func.count()).select_from(Order)).one()
    unowned = db.exec(select(func.count()).select_from(Order).where(Order.prescriber_id.is_(None))).one()
    assert theirs >= 5 and unowned == 0 and theirs < everyone / 10
