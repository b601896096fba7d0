"""Processing returns and correcting mistakes: quarantine -> decontaminated -> (inspected, see
equipment.inspections) -> available; repair; scrap; lost; and reversing a bulk movement.

One use case per function, one transaction each, like equipment.stock (which re-exports these).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from equipment import audit
from equipment.db import use_case, utcnow
from equipment.errors import Invalid, InvalidTransition, NotFound
from equipment.models import Asset, StockMovement
from equipment.stock import backorders
from equipment.stock.catalogue import depot_by_code
from equipment.stock.collection import collect_asset
from equipment.stock.ledger import (
    Ledger,
    Movement,
    asset_by_serial,
    asset_event,
    change_asset,
    depot_and_item,
    positive,
)
from equipment.vocabulary import StockState

S = StockState


ASSET_STEPS: dict[str, tuple[tuple[str, ...], str]] = {
    # action: (states it may start from, the state it leads to)
    "decontaminated": ((S.QUARANTINE,), S.DECONTAMINATED),
    "repaired": ((S.REPAIR,), S.DECONTAMINATED),  # back to the inspection queue before it is lent again
    "quarantined": ((S.AVAILABLE, S.DECONTAMINATED, S.REPAIR), S.QUARANTINE),
    "scrapped": ((S.QUARANTINE, S.DECONTAMINATED, S.REPAIR, S.AVAILABLE), S.SCRAPPED),
    "lost": ((S.AVAILABLE, S.QUARANTINE, S.DECONTAMINATED, S.REPAIR, S.ON_LOAN, S.IN_TRANSIT), S.LOST),
}
BULK_STEPS: dict[str, tuple[tuple[str, ...], str]] = {
    "decontaminated": ((S.QUARANTINE,), S.DECONTAMINATED),
    "returned_to_stock": ((S.DECONTAMINATED,), S.AVAILABLE),
    "scrapped": ((S.QUARANTINE, S.DECONTAMINATED, S.REPAIR, S.AVAILABLE), S.SCRAPPED),
    "lost": ((S.AVAILABLE,), S.LOST),
}


@use_case
def process_asset(session: Session, *, serial: str, action: str, user_id: int | None, note: str = "") -> Asset:
    """One step of a returned asset's processing (see ASSET_STEPS), recorded on its timeline."""
    if action not in ASSET_STEPS:
        raise Invalid(f"action must be one of {', '.join(ASSET_STEPS)}", field="action")
    asset = asset_by_serial(session, serial)
    from_states, to_state = ASSET_STEPS[action]
    depot_id, item_id = asset.depot_id, asset.item_id
    extra = {"service_user_id": None, "on_loan_since": None, "order_line_id": None} if action == "lost" else {}
    before = change_asset(session, asset, expected=from_states, to_state=to_state, **extra)
    ledger = Ledger(session, user_id)
    ledger.move(
        item_id=item_id,
        quantity=1,
        kind=action,
        source=(depot_id, before),
        target=(depot_id, to_state),
        asset_id=asset.id,
        reason=note,
    )
    asset_event(
        session,
        asset,
        event=action,
        from_state=before,
        to_state=to_state,
        user_id=user_id,
        depot_id=depot_id,
        note=note,
    )
    ledger.apply()
    audit.record(session, user_id=user_id, action=f"asset_{action}", entity="asset", entity_id=serial, detail=note)
    return asset


@use_case
def process_bulk(
    session: Session,
    *,
    depot_code: str,
    sku: str,
    quantity: int,
    action: str,
    user_id: int | None,
    note: str = "",
    from_state: str | None = None,
) -> Movement:
    """Process returned bulk units: decontaminated, returned to stock, scrapped or lost."""
    if action not in BULK_STEPS:
        raise Invalid(f"action must be one of {', '.join(BULK_STEPS)}", field="action")
    depot, item = depot_and_item(session, depot_code, sku)
    if item.serialised:
        raise Invalid(f"{item.sku} is serialised: process each unit by its serial", field="serial")
    quantity = positive(quantity)
    states, to_state = BULK_STEPS[action]
    source = from_state or states[0]
    if source not in states:
        raise Invalid(f"{action} starts from {', '.join(states)}", field="from_state")
    ledger = Ledger(session, user_id)
    movement = ledger.move(
        item_id=item.id,
        quantity=quantity,
        kind=action,
        source=(depot.id, source),
        target=(depot.id, to_state),
        reason=note,
    )
    ledger.apply()
    if to_state == S.AVAILABLE:
        backorders.fill(session, depot_id=depot.id, item_id=item.id, user_id=user_id)
    audit.record(
        session,
        user_id=user_id,
        action=f"bulk_{action}",
        entity="item",
        entity_id=item.sku,
        detail=f"{quantity} at {depot.code}",
    )
    return movement


@use_case
def reverse_movement(session: Session, *, movement_id: int, reason: str, user_id: int | None) -> Movement:
    """Undo a bulk receipt or adjustment booked by mistake with a movement the other way."""
    # Locked (PostgreSQL) so that two people reversing the same movement cannot both do it.
    original = session.exec(select(StockMovement).where(StockMovement.id == movement_id).with_for_update()).first()
    if original is None:
        raise NotFound(f"no movement {movement_id}", field="movement")
    if not (reason or "").strip():
        raise Invalid("say why the movement is reversed", field="reason")
    if original.asset_id is not None or original.kind not in ("receipt", "adjustment"):
        raise InvalidTransition(
            "only bulk receipts and adjustments can be reversed; use the asset's steps", field="movement"
        )
    already = session.exec(select(StockMovement.id).where(StockMovement.reverses_id == movement_id)).first()
    if already:
        raise InvalidTransition(f"movement {movement_id} was already reversed by {already}", field="movement")
    ledger = Ledger(session, user_id)
    back = ledger.move(
        item_id=original.item_id,
        quantity=original.quantity,
        kind="reversal",
        reason=reason.strip(),
        source=(original.to_depot_id, original.to_state) if original.to_depot_id else None,
        target=(original.from_depot_id, original.from_state) if original.from_depot_id else None,
        reverses_id=original.id,
    )
    ledger.apply()
    audit.record(
        session, user_id=user_id, action="movement_reversed", entity="movement", entity_id=movement_id, detail=reason
    )
    return back


@use_case
def return_asset(
    session: Session, *, serial: str, depot_code: str, user_id: int | None, at: datetime | None = None
) -> Asset:
    """An asset on loan comes back to a depot outside a planned collection: it goes to quarantine."""
    depot = depot_by_code(session, depot_code)
    return collect_asset(session, serial=serial, depot_id=depot.id, at=at or utcnow(), user_id=user_id)
