"""Prescribers: who they are, what they may order, and the rule that they see only their own
orders and the people on them. Helpers only read or flush; the order's use case commits."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from equipment.errors import Invalid, NotFound
from equipment.models import Order, Prescriber, User

CATEGORY_SEPARATOR = ";"


def categories(text: str) -> list[str]:
    """`"beds; pressure care"` -> `["beds", "pressure care"]` (lower case, no blanks)."""
    return [part.strip().lower() for part in text.split(CATEGORY_SEPARATOR) if part.strip()]


def prescriber_of_user(session: Session, user_id: int) -> Prescriber | None:
    """The prescriber record a user account is linked to, if any."""
    prescriber_id = session.exec(select(User.prescriber_id).where(User.id == user_id)).first()
    return session.get(Prescriber, prescriber_id) if prescriber_id else None


def may_order(prescriber: Prescriber, category: str) -> bool:
    allowed = categories(prescriber.orderable_categories)
    return not allowed or category.strip().lower() in allowed


def needs_their_authorisation(prescriber: Prescriber, category: str) -> bool:
    return category.strip().lower() in categories(prescriber.authorisation_categories)


def prescriber_by_id(session: Session, prescriber_id: int) -> Prescriber:
    prescriber = session.get(Prescriber, prescriber_id)
    if prescriber is None:
        raise Invalid("No prescriber with this id", field="prescriber_id")
    return prescriber


def check_categories(session: Session, prescriber_id: int, lines: Iterable[tuple[int, str]]) -> bool:
    """Refuse a line (index, category) this prescriber may not order; True when one of them
    needs authorisation because of who orders it."""
    prescriber = prescriber_by_id(session, prescriber_id)
    waits = False
    for index, category in lines:
        if not may_order(prescriber, category):
            raise Invalid(
                f"A {prescriber.profession.lower() or 'prescriber'} may not order {category}; ask a coordinator",
                field=f"lines.{index}.sku",
            )
        waits = waits or needs_their_authorisation(prescriber, category)
    return waits


def is_their_person(session: Session, prescriber_id: int, service_user_id: int) -> bool:
    """True when the person is on one of this prescriber's orders."""
    found = session.exec(
        select(Order.id).where(Order.prescriber_id == prescriber_id, Order.service_user_id == service_user_id).limit(1)
    ).first()
    return found is not None


def check_their_person(session: Session, prescriber_id: int, service_user_id: int) -> None:
    """A prescriber's collection or inspection is for someone already on one of their orders."""
    if not is_their_person(session, prescriber_id, service_user_id):
        raise Invalid(
            "You can ask for a collection only for someone you have ordered for", field="service_user.nhs_number"
        )


def check_their_order(order: Order, prescriber_id: int | None) -> None:
    """Another prescriber's order is answered as if it did not exist."""
    if prescriber_id is not None and order.prescriber_id != prescriber_id:
        raise NotFound(f"No order {order.ref}", field="ref")
