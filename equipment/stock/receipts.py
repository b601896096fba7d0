"""Goods received into a depot: bulk items by quantity, serialised units by serial number.

One transaction per receipt: check, create the assets, write the movements and asset events,
update balances (guarded, see equipment.stock.ledger), fill back orders, commit once. Any error
rolls the whole receipt back, so bad input writes nothing. The movements and asset events carry
who received what and when: they are the audit trail of receipts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from equipment.db import use_case
from equipment.errors import Invalid
from equipment.models import Asset, Depot, Item
from equipment.service_time import today as service_today
from equipment.stock import backorders
from equipment.stock.inspections import next_due
from equipment.stock.ledger import BeforeCommit, Ledger, asset_event, clean_serials, depot_and_item, positive
from equipment.vocabulary import StockState

S = StockState


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
    batch: str = "",
    manufactured_on: date | None = None,
    before_commit: BeforeCommit | None = None,
) -> Receipt:
    """Goods received into a depot: bulk by quantity, serialised units by serial number (with
    the manufacturer's batch and date of manufacture when known, for recalls)."""
    depot, item = depot_and_item(session, depot_code, sku)
    ledger = Ledger(session, user_id)
    if item.serialised:
        serials = _new_serials(session, item, serials, quantity)
        if manufactured_on is not None and manufactured_on > service_today():
            raise Invalid("a unit cannot have been made in the future", field="manufactured_on")
        _receive_units(session, ledger, depot, item, serials, reason, (batch.strip(), manufactured_on))
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


def _new_serials(session: Session, item: Item, serials: list[str] | None, quantity: int | None) -> list[str]:
    """The serials received, checked: given, well formed, as many as the quantity, none known yet."""
    if not serials:
        raise Invalid(f"{item.sku} is serialised: give the serial number of each unit", field="serials")
    serials = clean_serials(serials)
    if quantity is not None and quantity != len(serials):
        raise Invalid(f"quantity {quantity} does not match the {len(serials)} serials given", field="quantity")
    taken = session.exec(select(Asset.serial).where(Asset.serial.in_(serials))).first()
    if taken:
        raise Invalid(f"serial {taken} already exists", field="serials")
    return serials


def _receive_units(
    session: Session,
    ledger: Ledger,
    depot: Depot,
    item: Item,
    serials: list[str],
    reason: str,
    made: tuple[str, date | None] = ("", None),
) -> None:
    """One new available asset per serial (of batch and manufacture date `made`), each with its
    receipt movement and asset event."""
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
            batch=made[0],
            manufactured_on=made[1],
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
            user_id=ledger.user_id,
            depot_id=depot.id,
            note=reason,
        )
