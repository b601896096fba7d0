"""Transfers of available stock between depots: dispatched (in transit), then received.

One transaction per use case. A transfer received at once books its dispatch and its arrival
in the same transaction; one dispatched only stays in transit until `receive_transfer`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, select

from equipment import audit
from equipment.db import use_case, utcnow
from equipment.errors import Invalid, InvalidTransition, NotFound
from equipment.models import Asset, Depot, Item, Transfer
from equipment.stock import backorders
from equipment.stock.ledger import (
    BeforeCommit,
    Ledger,
    asset_by_serial,
    asset_event,
    change_asset,
    clean_serials,
    depots_and_item,
    positive,
)
from equipment.vocabulary import StockState

S = StockState
_INSERT_TRANSFER = insert(Transfer.__table__).returning(Transfer.__table__.c.id)  # built once


@use_case
def transfer_stock(
    session: Session,
    *,
    from_depot_code: str,
    to_depot_code: str,
    sku: str,
    quantity: int | None = None,
    serials: list[str] | None = None,
    user_id: int | None,
    receive: bool = True,
    reason: str = "",
    before_commit: BeforeCommit | None = None,
) -> Transfer:
    """Move available stock between depots: dispatched (in transit), and received at once unless
    `receive` is false (then `receive_transfer` books its arrival later)."""
    (source, target), item = depots_and_item(session, {"from_depot": from_depot_code, "to_depot": to_depot_code}, sku)
    if source.id == target.id:
        raise Invalid("a transfer goes to a different depot", field="to_depot")
    ledger = Ledger(session, user_id)
    serials, quantity = _what_moves(item, serials, quantity)
    transfer = _insert_transfer(session, item, source, target, quantity, serials, user_id, receive)
    note = reason or f"transfer {transfer.id} {source.code} to {target.code}"
    _dispatch(session, ledger, transfer, item, source, target, serials, note)
    if receive:
        _arrive(session, ledger, transfer, item, note)
    ledger.apply()
    if receive:
        backorders.fill(session, depot_id=target.id, item_id=item.id, user_id=user_id)
    if before_commit:
        before_commit(transfer)
    return transfer


def dispatch_transfer(session: Session, **kwargs: Any) -> Transfer:
    """Dispatch a transfer and leave it in transit until `receive_transfer`."""
    return transfer_stock(session, **{**kwargs, "receive": False})


def _what_moves(item: Item, serials: list[str] | None, quantity: int | None) -> tuple[list[str], int]:
    """The serials (none for a bulk item) and the number of units a transfer moves, checked."""
    if item.serialised:
        if not serials:
            raise Invalid(f"{item.sku} is serialised: give the serials to transfer", field="serials")
        serials = clean_serials(serials)
        if quantity is not None and quantity != len(serials):
            raise Invalid(f"quantity {quantity} does not match the {len(serials)} serials given", field="quantity")
        return serials, len(serials)
    if serials:
        raise Invalid(f"{item.sku} is counted, not serialised: give a quantity", field="serials")
    return [], positive(quantity)


def _insert_transfer(
    session: Session,
    item: Item,
    source: Depot,
    target: Depot,
    quantity: int,
    serials: list[str],
    user_id: int | None,
    receive: bool,
) -> Transfer:
    transfer = Transfer(
        item_id=item.id,
        quantity=quantity,
        from_depot_id=source.id,
        to_depot_id=target.id,
        serials=" ".join(serials),
        dispatched_by=user_id,
    )
    if receive:  # booked as received in the same insert: the arrival is part of this transaction
        transfer.status, transfer.received_at, transfer.received_by = "received", transfer.dispatched_at, user_id
    # One Core INSERT, like the ledger's movements; the transfer returned is not in the session.
    transfer.id = session.exec(_INSERT_TRANSFER, params=transfer.model_dump(exclude={"id"})).scalar_one()
    return transfer


def _dispatch(
    session: Session,
    ledger: Ledger,
    transfer: Transfer,
    item: Item,
    source: Depot,
    target: Depot,
    serials: list[str],
    note: str,
) -> None:
    """Book the units out of the source depot's available stock, in transit to the target."""
    for asset in _transfer_assets(session, serials, item, source):
        change_asset(session, asset, expected=S.AVAILABLE, to_state=S.IN_TRANSIT, depot_id=target.id)
        ledger.move(
            item_id=item.id,
            quantity=1,
            kind="transfer_out",
            source=(source.id, S.AVAILABLE),
            target=(target.id, S.IN_TRANSIT),
            asset_id=asset.id,
            reason=note,
        )
        asset_event(
            session,
            asset,
            event="dispatched",
            from_state=S.AVAILABLE,
            to_state=S.IN_TRANSIT,
            user_id=ledger.user_id,
            depot_id=source.id,
            note=note,
        )
    if not item.serialised:
        ledger.move(
            item_id=item.id,
            quantity=transfer.quantity,
            kind="transfer_out",
            source=(source.id, S.AVAILABLE),
            target=(target.id, S.IN_TRANSIT),
            reason=note,
        )


def _transfer_assets(session: Session, serials: list[str], item: Item, source: Depot) -> list[Asset]:
    if not serials:
        return []
    found = {a.serial: a for a in session.exec(select(Asset).where(Asset.serial.in_(serials)))}
    for serial in serials:
        asset = found.get(serial)
        if asset is None:
            raise NotFound(f"no asset with serial {serial!r}", field="serials")
        if asset.item_id != item.id:
            raise Invalid(f"serial {serial} is not a {item.sku}", field="serials")
        if asset.depot_id != source.id:
            raise InvalidTransition(f"serial {serial} is not at {source.code}", field="serials")
    return sorted(found.values(), key=lambda a: a.id)  # a fixed order: concurrent transfers cannot deadlock


def _arrive(session: Session, ledger: Ledger, transfer: Transfer, item: Item, note: str) -> None:
    if item.serialised:
        for serial in transfer.serials.split():
            asset = asset_by_serial(session, serial)
            change_asset(session, asset, expected=S.IN_TRANSIT, to_state=S.AVAILABLE)
            ledger.move(
                item_id=item.id,
                quantity=1,
                kind="transfer_in",
                source=(transfer.to_depot_id, S.IN_TRANSIT),
                target=(transfer.to_depot_id, S.AVAILABLE),
                asset_id=asset.id,
                reason=note,
            )
            asset_event(
                session,
                asset,
                event="received",
                from_state=S.IN_TRANSIT,
                to_state=S.AVAILABLE,
                user_id=ledger.user_id,
                depot_id=transfer.to_depot_id,
                note=note,
            )
    else:
        ledger.move(
            item_id=item.id,
            quantity=transfer.quantity,
            kind="transfer_in",
            source=(transfer.to_depot_id, S.IN_TRANSIT),
            target=(transfer.to_depot_id, S.AVAILABLE),
            reason=note,
        )
    if transfer.received_at is None:
        transfer.status, transfer.received_at, transfer.received_by = "received", utcnow(), ledger.user_id
        session.add(transfer)


@use_case
def receive_transfer(session: Session, *, transfer_id: int, user_id: int | None) -> Transfer:
    """A transfer in transit arrives at its depot and its units become available there."""
    transfer = session.get(Transfer, transfer_id)
    if transfer is None:
        raise NotFound(f"no transfer {transfer_id}", field="transfer")
    table = Transfer.__table__
    claimed = session.exec(
        update(table).where(table.c.id == transfer_id, table.c.status == "in_transit").values(status="received")
    )
    if claimed.rowcount != 1:
        raise InvalidTransition(f"transfer {transfer_id} has already been received", field="transfer")
    item = session.get(Item, transfer.item_id)
    ledger = Ledger(session, user_id)
    _arrive(session, ledger, transfer, item, f"transfer {transfer.id} received")
    ledger.apply()
    backorders.fill(session, depot_id=transfer.to_depot_id, item_id=item.id, user_id=user_id)
    audit.record(session, user_id=user_id, action="transfer_received", entity="transfer", entity_id=transfer.id)
    return transfer
