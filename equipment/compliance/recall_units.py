"""A clerk's work on a recall's units at a depot: quarantine a flagged unit once it is back in
stock, and release a quarantined one after the depot has inspected or modified it (a withdrawn
unit is never released: it is scrapped or returned to the manufacturer)."""

from __future__ import annotations

from sqlmodel import Session, select

from equipment import audit
from equipment.compliance.recalls import IN_STOCK, quarantine
from equipment.db import use_case, utcnow
from equipment.errors import Invalid, InvalidTransition, NotFound
from equipment.models import Asset, Recall, RecallUnit
from equipment.stock.ledger import asset_event

UNIT_ACTIONS = ("quarantine", "release")


@use_case
def act_on_recall_unit(
    session: Session, *, recall_id: int, serial: str, action: str, user_id: int | None, note: str = ""
) -> RecallUnit:
    """Quarantine a flagged unit now in a depot, or release a quarantined one; commits."""
    if action not in UNIT_ACTIONS:
        raise Invalid(f"action must be one of {', '.join(UNIT_ACTIONS)}", field="action")
    recall = session.get(Recall, recall_id)
    if recall is None:
        raise NotFound(f"no recall {recall_id}", field="id")
    found = session.exec(
        select(RecallUnit, Asset)
        .join(Asset, Asset.id == RecallUnit.asset_id)
        .where(RecallUnit.recall_id == recall.id, Asset.serial == serial.strip())
        .with_for_update()
    ).first()
    if found is None:
        raise NotFound(f"recall {recall.reference} does not name {serial}", field="serial")
    unit, asset = found
    if recall.status != "open":
        raise InvalidTransition(f"recall {recall.reference} is closed", field="id")
    if action == "quarantine":
        if unit.status != "flagged" or asset.state not in IN_STOCK:
            raise InvalidTransition(f"{serial} is {asset.state} ({unit.status}): nothing to quarantine", field="serial")
        quarantine(session, recall, asset, user_id=user_id)
        unit.status, unit.done_at = "quarantined", utcnow()
    else:
        if recall.action == "withdraw":
            raise InvalidTransition("a withdrawn unit is never released into stock", field="action")
        if unit.status != "quarantined":
            raise InvalidTransition(f"{serial} is {unit.status}: only a quarantined unit is released", field="serial")
        unit.status = "released"
    unit.note = note.strip()[:300]
    session.add(unit)
    asset_event(
        session,
        asset,
        event=f"recall_{action}",
        from_state=asset.state,
        to_state=asset.state,
        user_id=user_id,
        depot_id=asset.depot_id,
        note=f"{recall.reference}: {note.strip()}",
    )
    audit.record(
        session,
        user_id=user_id,
        action=f"recall_unit_{action}",
        entity="recall",
        entity_id=recall.reference,
        detail=serial,
    )
    session.flush()
    return unit


@use_case
def close_recall(session: Session, *, recall_id: int, user_id: int | None) -> Recall:
    """The notice is dealt with: its units are no longer held; commits."""
    recall = session.get(Recall, recall_id)
    if recall is None:
        raise NotFound(f"no recall {recall_id}", field="id")
    if recall.status != "open":
        raise InvalidTransition(f"recall {recall.reference} is already closed")
    left = session.exec(
        select(RecallUnit.id).where(
            RecallUnit.recall_id == recall.id, RecallUnit.status.in_(("visit_planned", "flagged"))
        )
    ).first()
    if left is not None:
        raise InvalidTransition("some units still wait for a visit or a clerk: the recall stays open")
    recall.status = "closed"
    session.add(recall)
    audit.record(session, user_id=user_id, action="recall_closed", entity="recall", entity_id=recall.reference)
    session.flush()
    return recall
