"""Reading stock: balances with low-stock warnings, the ledger of movements and the transfers.

Reading assets (timelines, what is on loan, the returns queue) is in `asset_queries`, the check
that the ledger and the balances agree in `verify`; both are re-exported here, so callers read
all of stock through `equipment.stock.queries`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from equipment.errors import NotFound
from equipment.models import Asset, Depot, Item, Order, StockBalance, StockMinimum, StockMovement, Transfer, User
from equipment.stock.asset_queries import AssetView, asset_view, depot_assets, on_loan, returns_queue
from equipment.stock.catalogue import depot_by_code, item_by_sku
from equipment.stock.ledger import asset_by_serial
from equipment.stock.verify import Mismatch, verify_ledger
from equipment.vocabulary import StockState

__all__ = [
    "STATES",
    "AssetView",
    "BalanceRow",
    "Mismatch",
    "asset_view",
    "depot_assets",
    "item_across_depots",
    "list_movements",
    "movement",
    "on_loan",
    "returns_queue",
    "stock_balances",
    "transfer_row",
    "transfers",
    "verify_ledger",
]

STATES = [str(s) for s in StockState]


@dataclass
class BalanceRow:
    depot: str
    depot_name: str
    sku: str
    name: str
    serialised: bool
    counts: dict[str, int]
    minimum: int

    @property
    def low(self) -> bool:
        return self.minimum > 0 and self.counts.get(StockState.AVAILABLE, 0) < self.minimum


def stock_balances(
    session: Session,
    *,
    depot_code: str | None = None,
    sku: str | None = None,
    q: str | None = None,
    low_only: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[BalanceRow], int]:
    """Counts per state for each depot and item that has stock or a minimum level, by depot and SKU."""
    balances = select(StockBalance.depot_id, StockBalance.item_id, StockBalance.state, StockBalance.quantity)
    minimums = select(StockMinimum.depot_id, StockMinimum.item_id, StockMinimum.minimum)
    if depot_code:
        depot = depot_by_code(session, depot_code)
        balances = balances.where(StockBalance.depot_id == depot.id)
        minimums = minimums.where(StockMinimum.depot_id == depot.id)
    if sku:
        item = item_by_sku(session, sku)
        balances = balances.where(StockBalance.item_id == item.id)
        minimums = minimums.where(StockMinimum.item_id == item.id)
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    for depot_id, item_id, state, quantity in session.exec(balances):
        counts[(depot_id, item_id)][state] = quantity
    floor = {(d, i): m for d, i, m in session.exec(minimums)}
    depots = {d.id: d for d in session.exec(select(Depot))}
    items = {i.id: i for i in session.exec(select(Item))}
    words = (q or "").lower().split()
    rows = []
    for depot_id, item_id in set(counts) | set(floor):
        item, depot = items[item_id], depots[depot_id]
        if words and not all(w in f"{item.sku} {item.name} {item.category}".lower() for w in words):
            continue
        quantities = {state: counts[(depot_id, item_id)].get(state, 0) for state in STATES}
        minimum = floor.get((depot_id, item_id), item.min_level if (depot_id, item_id) in counts else 0)
        row = BalanceRow(depot.code, depot.name, item.sku, item.name, item.serialised, quantities, minimum)
        if not low_only or row.low:
            rows.append(row)
    rows.sort(key=lambda r: (r.depot, r.sku))
    return rows[offset : offset + limit], len(rows)


def item_across_depots(session: Session, sku: str) -> tuple[Item, list[BalanceRow]]:
    """One item's counts by state at every depot."""
    item = item_by_sku(session, sku)
    rows, _ = stock_balances(session, sku=sku, limit=1000)
    return item, rows


def _movements_query():
    source, target = aliased(Depot), aliased(Depot)
    return (
        select(StockMovement, Item.sku, source.code, target.code, Asset.serial, Order.ref, User.username)
        .join(Item, Item.id == StockMovement.item_id)
        .outerjoin(source, source.id == StockMovement.from_depot_id)
        .outerjoin(target, target.id == StockMovement.to_depot_id)
        .outerjoin(Asset, Asset.id == StockMovement.asset_id)
        .outerjoin(Order, Order.id == StockMovement.order_id)
        .outerjoin(User, User.id == StockMovement.user_id)
    )


def _movement_dict(row) -> dict:
    m, sku, from_code, to_code, serial, ref, username = row
    return {
        "id": m.id,
        "at": m.at,
        "kind": m.kind,
        "sku": sku,
        "quantity": m.quantity,
        "from_depot": from_code,
        "from_state": m.from_state,
        "to_depot": to_code,
        "to_state": m.to_state,
        "serial": serial,
        "order_ref": ref,
        "user": username,
        "reason": m.reason,
        "reverses": m.reverses_id,
    }


def list_movements(
    session: Session,
    *,
    depot_code: str | None = None,
    sku: str | None = None,
    serial: str | None = None,
    order_ref: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict], int]:
    """The ledger, newest first, filtered by depot (either side), item, asset, order, kind and time."""
    query = _movements_query()
    if depot_code:
        depot = depot_by_code(session, depot_code)
        query = query.where(or_(StockMovement.from_depot_id == depot.id, StockMovement.to_depot_id == depot.id))
    if sku:
        query = query.where(StockMovement.item_id == item_by_sku(session, sku).id)
    if serial:
        query = query.where(StockMovement.asset_id == asset_by_serial(session, serial).id)
    if order_ref:
        query = query.where(Order.ref == order_ref)
    if kind:
        query = query.where(StockMovement.kind == kind)
    if since:
        query = query.where(StockMovement.at >= since)
    if until:
        query = query.where(StockMovement.at < until)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(StockMovement.at.desc(), StockMovement.id.desc()).limit(limit).offset(offset))
    return [_movement_dict(row) for row in rows], total


# Built once: the answer to every count that books a difference.
_ONE_MOVEMENT = _movements_query().where(StockMovement.id == bindparam("movement_id"))


def movement(session: Session, movement_id: int) -> dict:
    """One movement as the ledger lists it."""
    row = session.exec(_ONE_MOVEMENT, params={"movement_id": movement_id}).first()
    if row is None:
        raise NotFound(f"no movement {movement_id}", field="movement")
    return _movement_dict(row)


def transfers(session: Session, *, status: str | None = None, limit: int = 100, offset: int = 0) -> tuple[list, int]:
    source, target = aliased(Depot), aliased(Depot)
    query = (
        select(Transfer, Item.sku, source.code, target.code)
        .join(Item, Item.id == Transfer.item_id)
        .join(source, source.id == Transfer.from_depot_id)
        .join(target, target.id == Transfer.to_depot_id)
    )
    if status:
        query = query.where(Transfer.status == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(Transfer.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def transfer_row(session: Session, transfer_id: int):
    source, target = aliased(Depot), aliased(Depot)
    row = session.exec(
        select(Transfer, Item.sku, source.code, target.code)
        .join(Item, Item.id == Transfer.item_id)
        .join(source, source.id == Transfer.from_depot_id)
        .join(target, target.id == Transfer.to_depot_id)
        .where(Transfer.id == transfer_id)
    ).first()
    if row is None:
        raise NotFound(f"no transfer {transfer_id}", field="transfer")
    return row
