"""Stock collected from homes: units on loan arrive dirty at a depot's quarantine.

Building blocks of other use cases (a collection outcome, a return at the counter): they only
flush; the calling use case commits once. Balances are changed through the ledger, in its
fixed order, and assets with guarded UPDATEs (see equipment.stock.ledger).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from equipment.errors import Invalid
from equipment.models import Asset, StockBalance
from equipment.stock.ledger import Ledger, asset_by_serial, asset_event, change_asset
from equipment.vocabulary import StockState

S = StockState


def collect_asset(session: Session, *, serial: str, depot_id: int, at: datetime, user_id: int | None) -> Asset:
    """An asset collected from a home arrives dirty at a depot: on loan -> quarantine."""
    asset = asset_by_serial(session, serial)
    old_depot, item_id = asset.depot_id, asset.item_id
    change_asset(
        session,
        asset,
        expected=S.ON_LOAN,
        to_state=S.QUARANTINE,
        depot_id=depot_id,
        service_user_id=None,
        on_loan_since=None,
        order_line_id=None,
        van_id=None,
    )
    ledger = Ledger(session, user_id)
    ledger.move(
        item_id=item_id,
        quantity=1,
        kind="collection",
        source=(old_depot, S.ON_LOAN),
        target=(depot_id, S.QUARANTINE),
        asset_id=asset.id,
        at=at,
    )
    asset_event(
        session,
        asset,
        event="collected",
        from_state=S.ON_LOAN,
        to_state=S.QUARANTINE,
        user_id=user_id,
        depot_id=depot_id,
        at=at,
    )
    ledger.apply()
    return asset


def collect_bulk(
    session: Session, *, item_id: int, quantity: int, depot_id: int, at: datetime, user_id: int | None
) -> None:
    """Bulk units collected from a home arrive at a depot's quarantine.

    They are taken off the on-loan count of this depot first, then of other depots; units the
    ledger never saw go out (an old loan, say) come in from outside, with a reason saying so.
    """
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise Invalid("quantity must be a whole number above zero", field="quantity")
    # Lock the on-loan balances (in depot order, as everywhere) before reading them.
    held = session.exec(
        select(StockBalance.depot_id, StockBalance.quantity)
        .where(StockBalance.item_id == item_id, StockBalance.state == S.ON_LOAN, StockBalance.quantity > 0)
        .order_by(StockBalance.depot_id)
        .with_for_update()
    ).all()
    on_loan = sorted(held, key=lambda row: (row[0] != depot_id, row[0]))  # this depot's loans first
    ledger = Ledger(session, user_id)
    left = quantity
    for from_depot, held in on_loan:
        n = min(held, left)
        if n > 0:
            ledger.move(
                item_id=item_id,
                quantity=n,
                kind="collection",
                source=(from_depot, S.ON_LOAN),
                target=(depot_id, S.QUARANTINE),
                at=at,
            )
            left -= n
    if left:
        ledger.move(
            item_id=item_id,
            quantity=left,
            kind="collection",
            target=(depot_id, S.QUARANTINE),
            at=at,
            reason="not recorded as on loan",
        )
    ledger.apply()
