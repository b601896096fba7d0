"""Reading stock: balances with low-stock warnings, the ledger, asset timelines, what is on loan,
and the check that the ledger and the balances agree."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from equipment.errors import NotFound
from equipment.models import (
    Asset,
    AssetEvent,
    Depot,
    Item,
    Order,
    OrderLine,
    ServiceUser,
    StockBalance,
    StockMinimum,
    StockMovement,
    Transfer,
    User,
)
from equipment.service_time import today as service_today
from equipment.stock.catalogue import depot_by_code, item_by_sku
from equipment.stock.ledger import asset_by_serial
from equipment.vocabulary import StockState

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


def depot_assets(
    session: Session,
    *,
    depot_id: int | None,
    sku: str | None = None,
    state: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[tuple[Asset, str]], int]:
    """Assets recorded at a depot (all depots if None), with their SKU, optionally of one item or state."""
    query = select(Asset, Item.sku).join(Item, Item.id == Asset.item_id)
    if depot_id is not None:
        query = query.where(Asset.depot_id == depot_id)
    if sku:
        query = query.where(Item.sku == sku)
    if state:
        query = query.where(Asset.state == state)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(Item.sku, Asset.serial).limit(limit).offset(offset)).all()
    return list(rows), total


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


@dataclass
class AssetView:
    asset: Asset
    item: Item
    depot: Depot
    order_ref: str | None
    district: str | None
    overdue: bool
    events: list[dict]


def asset_view(session: Session, serial: str) -> AssetView:
    """One asset with its whole timeline (no personal names: order ref and district only)."""
    asset = asset_by_serial(session, serial)
    session.refresh(asset)
    item, depot = session.get(Item, asset.item_id), session.get(Depot, asset.depot_id)
    order_ref = district = None
    if asset.order_line_id:
        order_ref = session.exec(
            select(Order.ref).join(OrderLine, OrderLine.order_id == Order.id).where(OrderLine.id == asset.order_line_id)
        ).first()
    if asset.service_user_id:
        district = session.exec(select(ServiceUser.district).where(ServiceUser.id == asset.service_user_id)).first()
    events = session.exec(
        select(AssetEvent, Depot.code, Order.ref, User.username)
        .outerjoin(Depot, Depot.id == AssetEvent.depot_id)
        .outerjoin(Order, Order.id == AssetEvent.order_id)
        .outerjoin(User, User.id == AssetEvent.user_id)
        .where(AssetEvent.asset_id == asset.id)
        .order_by(AssetEvent.at, AssetEvent.id)
    )
    timeline = [
        {
            "at": e.at,
            "event": e.event,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "depot": code,
            "order_ref": ref,
            "user": username,
            "result": e.result,
            "note": e.note,
        }
        for e, code, ref, username in events
    ]
    due = asset.next_inspection_due
    overdue = due is not None and due < service_today()
    return AssetView(asset, item, depot, order_ref, district, overdue, timeline)


def on_loan(session: Session) -> list[dict]:
    """Everything on loan, with its order ref, area and next inspection due (no names)."""
    rows = session.exec(
        select(Asset, Item.sku, Item.name, Depot.code, Order.ref, ServiceUser.district)
        .join(Item, Item.id == Asset.item_id)
        .join(Depot, Depot.id == Asset.depot_id)
        .outerjoin(OrderLine, OrderLine.id == Asset.order_line_id)
        .outerjoin(Order, Order.id == OrderLine.order_id)
        .outerjoin(ServiceUser, ServiceUser.id == Asset.service_user_id)
        .where(Asset.state == StockState.ON_LOAN)
        .order_by(Asset.serial)
    )
    out = [
        {
            "asset": a.serial,
            "sku": sku,
            "item": name,
            "quantity": 1,
            "order_ref": ref or "",
            "area": district or "",
            "depot": code,
            "since": a.on_loan_since,
            "next_inspection_due": a.next_inspection_due,
        }
        for a, sku, name, code, ref, district in rows
    ]
    out.extend(_bulk_on_loan(session))
    return out


def _bulk_on_loan(session: Session) -> list[dict]:
    """Bulk units on loan: what each order delivered of a returnable item, less what came back, per depot.

    Collections of bulk items are not tied to the delivering order, so returns are taken off the
    oldest deliveries of that item from that depot first.
    """
    deliveries = session.exec(
        select(StockMovement, Item.sku, Item.name, Depot.code, Order.ref, Order.district)
        .join(Item, Item.id == StockMovement.item_id)
        .join(Depot, Depot.id == StockMovement.to_depot_id)
        .outerjoin(Order, Order.id == StockMovement.order_id)
        .where(StockMovement.to_state == StockState.ON_LOAN, StockMovement.asset_id.is_(None))
        .order_by(StockMovement.at, StockMovement.id)
    ).all()
    out_now = {
        (d, i): q
        for d, i, q in session.exec(
            select(StockBalance.depot_id, StockBalance.item_id, StockBalance.quantity).where(
                StockBalance.state == StockState.ON_LOAN
            )
        )
    }
    # Walk newest first: the newest deliveries are the ones still out.
    rows = []
    for movement, sku, name, code, ref, district in reversed(deliveries):
        key = (movement.to_depot_id, movement.item_id)
        left = out_now.get(key, 0)
        if left <= 0:
            continue
        n = min(left, movement.quantity)
        out_now[key] = left - n
        rows.append(
            {
                "asset": "",
                "sku": sku,
                "item": name,
                "quantity": n,
                "order_ref": ref or "",
                "area": district or "",
                "depot": code,
                "since": movement.at,
                "next_inspection_due": None,
            }
        )
    return sorted(rows, key=lambda r: (r["sku"], r["since"]))


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


def returns_queue(session: Session, *, depot_id: int | None = None) -> dict[str, list]:
    """Assets waiting in quarantine, decontaminated (to inspect) and in repair; bulk counts too."""
    queue: dict[str, list] = {}
    for state in (StockState.QUARANTINE, StockState.DECONTAMINATED, StockState.REPAIR):
        query = (
            select(Asset, Item.sku, Item.name, Depot.code)
            .join(Item, Item.id == Asset.item_id)
            .join(Depot, Depot.id == Asset.depot_id)
            .where(Asset.state == state)
        )
        if depot_id:
            query = query.where(Asset.depot_id == depot_id)
        queue[str(state)] = list(session.exec(query.order_by(Depot.code, Asset.serial).limit(500)))
    bulk = (
        select(StockBalance, Item.sku, Item.name, Depot.code)
        .join(Item, Item.id == StockBalance.item_id)
        .join(Depot, Depot.id == StockBalance.depot_id)
        .where(
            Item.serialised.is_(False),
            StockBalance.state.in_((StockState.QUARANTINE, StockState.DECONTAMINATED, StockState.REPAIR)),
            StockBalance.quantity > 0,
        )
    )
    if depot_id:
        bulk = bulk.where(StockBalance.depot_id == depot_id)
    queue["bulk"] = list(session.exec(bulk.order_by(Depot.code, Item.sku, StockBalance.state)))
    return queue


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
