"""The demo's prescribers: the `prescriber` login is Shirley Hammond (an occupational therapist
who may order anything), and the generated history shares its orders among the prescribers."""

from __future__ import annotations

from sqlmodel import Session, col, select, update

from equipment.models import Order, Prescriber, User

DEMO_LOGIN = "prescriber"
DEMO_PRESCRIBER_EMAIL = "shirley.hammond@example.org"


def link_demo_prescriber(session: Session) -> None:
    """Link the demo `prescriber` login to its prescriber record (flushes)."""
    session.flush()
    user = session.exec(select(User).where(User.username == DEMO_LOGIN)).first()
    record = session.exec(select(Prescriber).where(Prescriber.email == DEMO_PRESCRIBER_EMAIL)).first()
    if user is None or record is None:
        return
    user.prescriber_id = record.id
    session.add(user)
    session.flush()


def share_orders_among_prescribers(session: Session) -> int:
    """Each generated order without a prescriber gets one, in turn by order id (flushes)."""
    ids = list(session.exec(select(Prescriber.id).order_by(Prescriber.id)))
    shared = 0
    for turn, prescriber_id in enumerate(ids):
        result = session.execute(
            update(Order)
            .where(col(Order.prescriber_id).is_(None), Order.id % len(ids) == turn)
            .values(prescriber_id=prescriber_id)
        )
        shared += result.rowcount or 0
    session.flush()
    return shared
