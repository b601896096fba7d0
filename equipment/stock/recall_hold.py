"""Units a field safety notice holds out of use: never allocated, never passed back into stock."""

from __future__ import annotations

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from equipment.models import Recall, RecallUnit

# A unit stays held until its recall is closed, or (inspect, modify) until the work is done.
STILL_HELD = ("quarantined", "flagged", "visit_planned")


def held_units():
    """A subquery of the asset ids that an open recall holds."""
    return (
        select(RecallUnit.asset_id)
        .join(Recall, Recall.id == RecallUnit.recall_id)
        .where(
            Recall.status == "open",
            or_(RecallUnit.status.in_(STILL_HELD), and_(Recall.action == "withdraw", RecallUnit.status != "released")),
        )
    )


def holding_recall(session: Session, asset_id: int) -> str | None:
    """The reference of an open recall holding this unit, if one does."""
    return session.exec(
        select(Recall.reference)
        .join(RecallUnit, RecallUnit.recall_id == Recall.id)
        .where(RecallUnit.asset_id == asset_id, RecallUnit.asset_id.in_(held_units()))
    ).first()
