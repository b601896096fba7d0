"""Stock counts: the difference between what is on the shelf and the available balance.

A bulk item is counted by number; a serialised item by scanning the serials present, so that
available units not scanned are booked lost and scanned units that were lost are booked found.
One transaction per count, recorded in the general audit log as a correction.
"""

from __future__ import annotations

from sqlmodel import Session, select

from equipment import audit
from equipment.db import use_case
from equipment.errors import Invalid, InvalidTransition, NotFound
from equipment.limits import MAX_UNITS
from equipment.models import Asset, Depot, Item
from equipment.stock import backorders
from equipment.stock.ledger import (
    BeforeCommit,
    Ledger,
    Movement,
    asset_event,
    change_asset,
    clean_serials,
    depot_and_item,
    locked_balance,
)
from equipment.vocabulary import StockState

S = StockState


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
    """Book the scanned units that were lost as found, then the available units not scanned as lost."""
    if counted != len(serials):
        raise Invalid(f"counted {counted} but {len(serials)} serials were scanned", field="counted")
    scanned = {a.serial: a for a in session.exec(select(Asset).where(Asset.serial.in_(serials)))} if serials else {}
    for serial in serials:
        asset = _scanned_asset(scanned, serial, item)
        if asset.state == S.LOST:
            _book_found(session, ledger, depot, item, asset, reason)
        elif not (asset.state == S.AVAILABLE and asset.depot_id == depot.id):
            raise InvalidTransition(
                f"serial {serial} is recorded as {asset.state} elsewhere: record that first", field="serials"
            )
    for asset in _not_scanned(session, depot, item, serials):
        _book_lost(session, ledger, depot, item, asset, reason)


def _scanned_asset(scanned: dict[str, Asset], serial: str, item: Item) -> Asset:
    asset = scanned.get(serial)
    if asset is None:
        raise NotFound(f"serial {serial} is not known: receive it as goods first", field="serials")
    if asset.item_id != item.id:
        raise Invalid(f"serial {serial} is not a {item.sku}", field="serials")
    return asset


def _not_scanned(session: Session, depot: Depot, item: Item, serials: list[str]) -> list[Asset]:
    """The units recorded as available at the depot whose serials were not scanned."""
    return session.exec(
        select(Asset).where(
            Asset.depot_id == depot.id,
            Asset.item_id == item.id,
            Asset.state == S.AVAILABLE,
            Asset.serial.not_in(serials or [""]),
        )
    ).all()


def _book_found(session: Session, ledger: Ledger, depot: Depot, item: Item, asset: Asset, reason: str) -> None:
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


def _book_lost(session: Session, ledger: Ledger, depot: Depot, item: Item, asset: Asset, reason: str) -> None:
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
