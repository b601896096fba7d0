"""Recording delays: predicted (the plan cannot meet the due time) and actual (it was not met)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from equipment.models import Delay, Order, OrderEvent
from equipment.reports.attribution import DEFAULT_ATTRIBUTION, Attribution
from equipment.vocabulary import CAUSE_LABELS, DelayCause, DelayKind


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
    attribution: Attribution = DEFAULT_ATTRIBUTION,
    inside_agreed_slot: bool | None = None,
    attributable: bool | None = None,
) -> Delay:
    """Add a delay to the log (and the order's timeline); marks the order excused when the
    cause is not the provider's (`attribution`; a failed visit says whether it was inside the
    agreed slot; `attributable`, when given, was decided already). Flushes only: the caller's
    use case commits."""
    cause = DelayCause(cause)
    kind = DelayKind(kind)
    if order.due_at is None:
        raise ValueError(f"order {order.ref} has no due time yet")
    if attributable is None:
        attributable = attribution.attributable(cause, inside_agreed_slot=inside_agreed_slot)
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
