"""The check that the ledger and the balances agree: every balance recomputed from the movements,
and for serialised items from the assets recorded in each state (`flask stock verify`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from equipment.models import Asset, Depot, Item, StockBalance, StockMovement


@dataclass
class Mismatch:
    depot: str
    sku: str
    state: str
    ledger: int
    balance: int
    assets: int | None  # serialised items: assets recorded in that state

    def __str__(self) -> str:
        assets = "" if self.assets is None else f", assets {self.assets}"
        return f"{self.depot} {self.sku} {self.state}: ledger {self.ledger}, balance {self.balance}{assets}"


def verify_ledger(session: Session) -> list[Mismatch]:
    """Recompute every balance from the movements (and count serialised assets); list disagreements."""
    totals: dict[tuple[int, int, str], list[int]] = defaultdict(lambda: [0, 0, 0])  # ledger, balance, assets
    incoming = session.exec(
        select(
            StockMovement.to_depot_id, StockMovement.item_id, StockMovement.to_state, func.sum(StockMovement.quantity)
        )
        .where(StockMovement.to_depot_id.is_not(None))
        .group_by(StockMovement.to_depot_id, StockMovement.item_id, StockMovement.to_state)
    )
    for depot_id, item_id, state, quantity in incoming:
        totals[(depot_id, item_id, state)][0] += int(quantity)
    outgoing = session.exec(
        select(
            StockMovement.from_depot_id,
            StockMovement.item_id,
            StockMovement.from_state,
            func.sum(StockMovement.quantity),
        )
        .where(StockMovement.from_depot_id.is_not(None))
        .group_by(StockMovement.from_depot_id, StockMovement.item_id, StockMovement.from_state)
    )
    for depot_id, item_id, state, quantity in outgoing:
        totals[(depot_id, item_id, state)][0] -= int(quantity)
    for row in session.exec(select(StockBalance)):
        totals[(row.depot_id, row.item_id, row.state)][1] = row.quantity
    assets = session.exec(
        select(Asset.depot_id, Asset.item_id, Asset.state, func.count()).group_by(
            Asset.depot_id, Asset.item_id, Asset.state
        )
    )
    for depot_id, item_id, state, count in assets:
        totals[(depot_id, item_id, state)][2] = count
    depots = {d.id: d.code for d in session.exec(select(Depot))}
    items = {i.id: i for i in session.exec(select(Item))}
    mismatches = []
    for (depot_id, item_id, state), (ledger, held, counted) in sorted(totals.items()):
        item = items[item_id]
        if ledger != held or (item.serialised and counted != held):
            mismatches.append(
                Mismatch(depots[depot_id], item.sku, state, ledger, held, counted if item.serialised else None)
            )
    return mismatches
