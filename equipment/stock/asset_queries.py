"""Reading assets: the units at a depot, one asset's whole timeline, everything on loan (assets
and bulk units) and the returns queue waiting for decontamination, inspection or repair."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from equipment.models import (
    Asset,
    AssetEvent,
    Depot,
    Item,
    Order,
    OrderLine,
    Recall,
    RecallUnit,
    ServiceUser,
    StockBalance,
    StockMovement,
    User,
)
from equipment.service_time import today as service_today
from equipment.stock.ledger import asset_by_serial
from equipment.vocabulary import StockState


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


def open_recalls_by_asset(session: Session) -> dict[int, str]:
    """The references of the open recalls naming each unit (space-separated)."""
    found: dict[int, list[str]] = {}
    for asset_id, reference in session.exec(
        select(RecallUnit.asset_id, Recall.reference)
        .join(Recall, Recall.id == RecallUnit.recall_id)
        .where(Recall.status == "open")
        .order_by(Recall.reference)
    ):
        found.setdefault(asset_id, []).append(reference)
    return {asset_id: " ".join(refs) for asset_id, refs in found.items()}


def on_loan(session: Session) -> list[dict]:
    """Everything on loan, with its order ref, area, last and next inspection and any open
    recall (no names)."""
    recalls = open_recalls_by_asset(session)
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
            "last_inspected_on": a.last_inspected_on,
            "next_inspection_due": a.next_inspection_due,
            "open_recall": recalls.get(a.id, ""),
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
                "last_inspected_on": None,
                "next_inspection_due": None,
                "open_recall": "",
            }
        )
    return sorted(rows, key=lambda r: (r["sku"], r["since"]))


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
