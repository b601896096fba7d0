"""Stock use cases: goods received, counts and transfers between depots.

One function per use case, one transaction each: read, check, write movements and asset
events, update balances (guarded, see equipment.stock.ledger), commit once. Any error rolls
the whole use case back, so bad input writes nothing. The movements and asset events carry who
did what and when: they are the audit trail of receipts and transfers; corrections (counts,
reversals, processing steps) also go to the general audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from equipment import audit
from equipment.db import use_case, utcnow
from equipment.errors import Invalid, InvalidTransition, NotFound
from equipment.limits import MAX_UNITS
from equipment.models import Asset, Depot, Item, Transfer
from equipment.service_time import today as service_today
from equipment.stock import backorders
from equipment.stock.inspections import next_due
from equipment.stock.ledger import (
    Ledger,
    Movement,
    asset_by_serial,
    asset_event,
    change_asset,
    clean_serials,
    depot_and_item,
    depots_and_item,
    locked_balance,
    positive,
)
from equipment.vocabulary import StockState

S = StockState
_INSERT_TRANSFER = insert(Transfer.__table__).returning(Transfer.__table__.c.id)  # built once
# Called with a use case's result just before it commits: the web layer stores its answer to an
# Idempotency-Key in the same transaction, so a retry can never book the same goods twice.
BeforeCommit = Callable[[Any], None]


@dataclass
class Receipt:
    depot: str
    sku: str
    quantity: int
    serials: list[str] = field(default_factory=list)
    movement_ids: list[int] = field(default_factory=list)
    orders_ready: list[str] = field(default_factory=list)


@use_case
def receive_goods(
    session: Session,
    *,
    depot_code: str,
    sku: str,
    quantity: int | None = None,
    serials: list[str] | None = None,
    user_id: int | None,
    reason: str = "",
    before_commit: BeforeCommit | None = None,
) -> Receipt:
    """Goods received into a depot: bulk by quantity, serialised units by serial number."""
    depot, item = depot_and_item(session, depot_code, sku)
    ledger = Ledger(session, user_id)
    if item.serialised:
        if not serials:
            raise Invalid(f"{item.sku} is serialised: give the serial number of each unit", field="serials")
        serials = clean_serials(serials)
        if quantity is not None and quantity != len(serials):
            raise Invalid(f"quantity {quantity} does not match the {len(serials)} serials given", field="quantity")
        taken = session.exec(select(Asset.serial).where(Asset.serial.in_(serials))).first()
        if taken:
            raise Invalid(f"serial {taken} already exists", field="serials")
        today = service_today()
        due = next_due(item.inspection_regime, today)
        assets = [
            Asset(
                serial=serial,
                item_id=item.id,
                depot_id=depot.id,
                state=S.AVAILABLE,
                last_inspected_on=today if due else None,
                next_inspection_due=due,
            )
            for serial in serials
        ]
        session.add_all(assets)
        try:
            session.flush()
        except IntegrityError as exc:  # a concurrent receipt of the same serial won the race
            raise Invalid("one of these serials already exists", field="serials") from exc
        for asset in assets:
            ledger.move(
                item_id=item.id,
                quantity=1,
                kind="receipt",
                target=(depot.id, S.AVAILABLE),
                asset_id=asset.id,
                reason=reason,
            )
            asset_event(
                session,
                asset,
                event="received",
                from_state=None,
                to_state=S.AVAILABLE,
                user_id=user_id,
                depot_id=depot.id,
                note=reason,
            )
        quantity = len(serials)
    else:
        if serials:
            raise Invalid(f"{item.sku} is counted, not serialised: give a quantity", field="serials")
        quantity = positive(quantity)
        ledger.move(item_id=item.id, quantity=quantity, kind="receipt", target=(depot.id, S.AVAILABLE), reason=reason)
    ledger.apply()
    ready = backorders.fill(session, depot_id=depot.id, item_id=item.id, user_id=user_id)
    receipt = Receipt(depot.code, item.sku, quantity, list(serials or []), [m.id for m in ledger.movements], ready)
    if before_commit:
        before_commit(receipt)
    return receipt


@use_case
def adjust_count(
    session: Session,
    *,
    depot_code: str,
    sku: str,
    counted: int,
    reason: str,
    user_id: int | None,
    serials: list[str] | None = None,
    before_commit: BeforeCommit | None = None,
) -> Movement | None:
    """A stock count: the difference from the available balance is booked as an adjustment.

    Serialised items are counted by scanning the serials present: available units not scanned
    are booked lost, scanned units that were lost are booked found. None when nothing differs.
    """
    depot, item = depot_and_item(session, depot_code, sku)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("say why the count differs (a reason is required)", field="reason")
    if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
        raise Invalid("counted must be a whole number, zero or more", field="counted")
    if counted > MAX_UNITS:
        raise Invalid(f"counted can be at most {MAX_UNITS:,}", field="counted")
    ledger = Ledger(session, user_id)
    # Lock the available balance as it is read (PostgreSQL): a count is absolute, and two counts
    # booked at once must not both subtract the same difference.
    current = locked_balance(session, (depot.id, item.id, S.AVAILABLE))
    if item.serialised:
        if serials is None:
            if counted == current:
                session.rollback()  # nothing to book: release the lock at once
                return None
            raise Invalid(f"{item.sku} is serialised: scan the serial of each unit present", field="serials")
        _count_assets(session, ledger, depot, item, clean_serials(serials) if serials else [], counted, reason)
    elif counted != current:
        difference = counted - current
        side = {"target": (depot.id, S.AVAILABLE)} if difference > 0 else {"source": (depot.id, S.AVAILABLE)}
        ledger.move(item_id=item.id, quantity=abs(difference), kind="adjustment", reason=reason, **side)
    if not ledger.movements:
        session.rollback()
        return None
    ledger.apply()
    backorders.fill(session, depot_id=depot.id, item_id=item.id, user_id=user_id)
    audit.record(
        session,
        user_id=user_id,
        action="stock_counted",
        entity="item",
        entity_id=item.sku,
        detail=f"{depot.code}: counted {counted}, was {current}; {reason}",
    )
    if before_commit:
        before_commit(ledger.movements[0])
    return ledger.movements[0]


def _count_assets(
    session: Session, ledger: Ledger, depot: Depot, item: Item, serials: list[str], counted: int, reason: str
) -> None:
    if counted != len(serials):
        raise Invalid(f"counted {counted} but {len(serials)} serials were scanned", field="counted")
    scanned = {a.serial: a for a in session.exec(select(Asset).where(Asset.serial.in_(serials)))} if serials else {}
    for serial in serials:
        asset = scanned.get(serial)
        if asset is None:
            raise NotFound(f"serial {serial} is not known: receive it as goods first", field="serials")
        if asset.item_id != item.id:
            raise Invalid(f"serial {serial} is not a {item.sku}", field="serials")
        if asset.state == S.LOST:
            lost_at = asset.depot_id
            change_asset(session, asset, expected=S.LOST, to_state=S.AVAILABLE, depot_id=depot.id)
            ledger.move(
                item_id=item.id,
                quantity=1,
                kind="adjustment",
                source=(lost_at, S.LOST),
                target=(depot.id, S.AVAILABLE),
                asset_id=asset.id,
                reason=f"found: {reason}",
            )
            asset_event(
                session,
                asset,
                event="found",
                from_state=S.LOST,
                to_state=S.AVAILABLE,
                user_id=ledger.user_id,
                depot_id=depot.id,
                note=reason,
            )
        elif not (asset.state == S.AVAILABLE and asset.depot_id == depot.id):
            raise InvalidTransition(
                f"serial {serial} is recorded as {asset.state} elsewhere: record that first", field="serials"
            )
    missing = session.exec(
        select(Asset).where(
            Asset.depot_id == depot.id,
            Asset.item_id == item.id,
            Asset.state == S.AVAILABLE,
            Asset.serial.not_in(serials or [""]),
        )
    ).all()
    for asset in missing:
        change_asset(session, asset, expected=S.AVAILABLE, to_state=S.LOST)
        ledger.move(
            item_id=item.id,
            quantity=1,
            kind="adjustment",
            source=(depot.id, S.AVAILABLE),
            target=(depot.id, S.LOST),
            asset_id=asset.id,
            reason=f"not found in count: {reason}",
        )
        asset_event(
            session,
            asset,
            event="lost",
            from_state=S.AVAILABLE,
            to_state=S.LOST,
            user_id=ledger.user_id,
            depot_id=depot.id,
            note=f"not found in count: {reason}",
        )


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
    if item.serialised:
        if not serials:
            raise Invalid(f"{item.sku} is serialised: give the serials to transfer", field="serials")
        serials = clean_serials(serials)
        if quantity is not None and quantity != len(serials):
            raise Invalid(f"quantity {quantity} does not match the {len(serials)} serials given", field="quantity")
        quantity = len(serials)
    else:
        if serials:
            raise Invalid(f"{item.sku} is counted, not serialised: give a quantity", field="serials")
        quantity = positive(quantity)
    transfer = Transfer(
        item_id=item.id,
        quantity=quantity,
        from_depot_id=source.id,
        to_depot_id=target.id,
        serials=" ".join(serials or []),
        dispatched_by=user_id,
    )
    if receive:  # booked as received in the same insert: the arrival is part of this transaction
        transfer.status, transfer.received_at, transfer.received_by = "received", transfer.dispatched_at, user_id
    # One Core INSERT, like the ledger's movements; the transfer returned is not in the session.
    transfer.id = session.exec(_INSERT_TRANSFER, params=transfer.model_dump(exclude={"id"})).scalar_one()
    note = reason or f"transfer {transfer.id} {source.code} to {target.code}"
    for asset in _transfer_assets(session, serials or [], item, source):
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
            user_id=user_id,
            depot_id=source.id,
            note=note,
        )
    if not item.serialised:
        ledger.move(
            item_id=item.id,
            quantity=quantity,
            kind="transfer_out",
            source=(source.id, S.AVAILABLE),
            target=(target.id, S.IN_TRANSIT),
            reason=note,
        )
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
