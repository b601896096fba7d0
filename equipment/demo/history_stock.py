"""Stock in a generated history: the spells without powered air mattresses (which show as stock
delays), and the journey of collected bulk units through the ledger: lent earlier, collected,
decontaminated, then back to stock (or scrapped and replaced)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlmodel import Session

from equipment.models import Asset, AssetEvent, StockMovement
from equipment.vocabulary import StockState

if TYPE_CHECKING:
    from equipment.demo.history import GeneratedHistory

S = StockState


def stock_out_windows(first: date, last: date, rng: random.Random) -> list[tuple[date, date]]:
    """A few spells without powered air mattresses: mostly in winter, one or two in summer."""
    windows, day = [], first
    while day <= last:
        if day.month in (12, 1, 2) and rng.random() < 0.06 or rng.random() < 0.008:
            end = day + timedelta(days=rng.randint(6, 18))
            windows.append((day, end))
            day = end + timedelta(days=rng.randint(20, 40))
        else:
            day += timedelta(days=1)
    return windows


def recycle_returns(
    history: GeneratedHistory, row: dict[str, Any], collected: datetime, lines: list[dict[str, Any]]
) -> None:
    """The collected bulk units' journey through the ledger: lent earlier, collected,
    decontaminated, then back to stock (or scrapped and replaced)."""
    rng = history.rng
    depot = row["depot_id"]
    cleaned = collected + timedelta(hours=rng.uniform(20, 70))
    back = cleaned + timedelta(hours=rng.uniform(2, 40))
    if back > history.now:
        return
    user = row["created_by"]

    def move(item: int, n: int, kind: str, source: str | None, target: str | None, at: datetime, **extra: Any) -> None:
        # A ledger entry as equipment.stock.ledger.Ledger.move books it, and its balance change.
        history.movements.append(
            {
                "at": at,
                "user_id": user,
                "item_id": item,
                "quantity": n,
                "from_depot_id": depot if source else None,
                "from_state": source,
                "to_depot_id": depot if target else None,
                "to_state": target,
                "asset_id": None,
                "order_id": extra.get("order_id"),
                "van_id": None,
                "kind": kind,
                "reason": extra.get("reason", ""),
                "reverses_id": None,
            }
        )
        if source:
            history.balance_changes[(depot, item, source)] -= n
        if target:
            history.balance_changes[(depot, item, target)] += n

    for line in lines:
        item, n = line["item_id"], line["quantity"]
        lent = collected - timedelta(days=rng.randint(14, 200))
        move(item, n, "delivery", S.AVAILABLE, S.ON_LOAN, lent)
        move(item, n, "collection", S.ON_LOAN, S.QUARANTINE, collected, order_id=row["id"])
        move(item, n, "decontaminated", S.QUARANTINE, S.DECONTAMINATED, cleaned)
        if rng.random() < 0.9:
            move(item, n, "returned_to_stock", S.DECONTAMINATED, S.AVAILABLE, back)
        else:
            move(item, n, "scrapped", S.DECONTAMINATED, S.SCRAPPED, back, reason="worn out")
            move(item, n, "receipt", None, S.AVAILABLE, back, reason="replacement for scrapped units")


OPENING_STOCK = "opening stock"


def backdate_opening_stock(session: Session, *, before: datetime) -> None:
    """The seed receives its opening stock when it runs; a history reaching back months must
    find that stock already there, or an asset's timeline shows it delivered before received."""
    a, e, m = Asset.__table__.c, AssetEvent.__table__.c, StockMovement.__table__.c
    session.execute(
        update(AssetEvent.__table__).where(e.event == "received", e.note == OPENING_STOCK).values(at=before)
    )
    session.execute(
        update(StockMovement.__table__).where(m.kind == "receipt", m.reason == OPENING_STOCK).values(at=before)
    )
    session.execute(update(Asset.__table__).where(a.received_at > before).values(received_at=before))
