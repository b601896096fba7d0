"""Recording delays: predicted (the plan cannot meet the due time) and actual (it was not met)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from equipment.models import Delay, Order, OrderEvent
from equipment.vocabulary import CAUSE_LABELS, NOT_ATTRIBUTABLE, DelayCause, DelayKind


def record_delay(
    session: Session,
    order: Order,
    *,
    kind: DelayKind | str,
    cause: DelayCause | str,
    expected_at: datetime | None = None,
    plan_id: int | None = None,
    user_id: int | None = None,
    note: str = "",
) -> Delay:
    """Add a delay to the log (and the order's timeline); marks the order excused when the
    cause is not the provider's. Flushes only: the caller's use case commits."""
    cause = DelayCause(cause)
    kind = DelayKind(kind)
    if order.due_at is None:
        raise ValueError(f"order {order.ref} has no due time yet")
    attributable = cause not in NOT_ATTRIBUTABLE
    delay = Delay(
        order_id=order.id,
        kind=kind,
        cause=cause,
        attributable=attributable,
        due_at=order.due_at,
        expected_at=expected_at,
        plan_id=plan_id,
        note=note[:300],
        recorded_by=user_id,
    )
    session.add(delay)
    if not attributable:
        order.excused = True
        session.add(order)
    session.add(
        OrderEvent(
            order_id=order.id,
            user_id=user_id,
            event=f"delay_{kind}",
            detail=CAUSE_LABELS[cause] + (f": {note}" if note else ""),
        )
    )
    session.flush()
    return delay
