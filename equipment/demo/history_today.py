"""What a generated history leaves in place today: equipment delivered recently and not yet
back is on loan at people's homes, and orders still open hold their stock (or wait for it)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, false, select, update
from sqlmodel import Session

from equipment.db import UTCDateTime
from equipment.demo.bulk_rows import bulk_insert
from equipment.models import Asset, AssetEvent, Item, Order, OrderEvent, OrderLine, StockBalance, StockMovement
from equipment.stock.ledger import put, take
from equipment.stock.reservations import reserve_for_line
from equipment.vocabulary import OrderStatus, StockState

if TYPE_CHECKING:
    from equipment.demo.history import GeneratedHistory

S = StockState


def lend_recent_deliveries(history: GeneratedHistory, *, days: int = 90, share: float = 0.4) -> int:
    """Equipment delivered in the last `days` that has not come back is on loan now: a share
    of each depot's clean stock moves to homes (assets with their person), by the ledger's
    rules, leaving the rest for the orders still open."""
    session, rng = history.session, history.rng
    since = history.now - timedelta(days=days)
    pool, room, bulk = _clean_stock(session, share)
    lines_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in history.lines:
        lines_of[line["order_id"]].append(line)
    lent, assets, events, movements = 0, [], [], []
    changes: dict[tuple[int, int, str], int] = defaultdict(int)
    for order in history.orders:
        if order["kind"] != "delivery" or not order["completed_at"] or order["completed_at"] < since:
            continue
        if rng.random() < 0.3:  # some of it has been collected again already
            continue
        depot, at, person = order["depot_id"], order["completed_at"], order["service_user_id"]
        for line in lines_of[order["id"]]:
            key = (depot, line["item_id"])
            if key in pool and room.get(key, 0) > 0:
                asset_id = pool[key].pop()
                room[key] -= 1
                assets.append({"b_id": asset_id, "b_person": person, "b_since": at, "b_line": line["id"]})
                events.append(_delivered_event(asset_id, at, depot, order["id"]))
                quantity = 1
            elif bulk.get(key, 0) >= line["quantity"]:
                asset_id, quantity = None, line["quantity"]
                bulk[key] -= quantity
            else:
                continue
            movements.append(_delivery_movement(order, line["item_id"], quantity, asset_id))
            changes[(depot, line["item_id"], S.AVAILABLE.value)] -= quantity
            changes[(depot, line["item_id"], S.ON_LOAN.value)] += quantity
            lent += quantity
    _write_loans(session, assets, events, movements, changes)
    return lent


def _delivered_event(asset_id: int, at: datetime, depot: int, order_id: int) -> dict[str, Any]:
    """The asset event row of a unit delivered to a home."""
    return {
        "asset_id": asset_id,
        "at": at,
        "user_id": None,
        "event": "delivered",
        "from_state": S.AVAILABLE.value,
        "to_state": S.ON_LOAN.value,
        "depot_id": depot,
        "order_id": order_id,
        "result": None,
        "note": "",
    }


def _delivery_movement(order: dict[str, Any], item_id: int, quantity: int, asset_id: int | None) -> dict[str, Any]:
    """The ledger row of units delivered for an order, from the depot's available stock to on loan."""
    return {
        "at": order["completed_at"],
        "user_id": order["created_by"],
        "item_id": item_id,
        "quantity": quantity,
        "from_depot_id": order["depot_id"],
        "from_state": S.AVAILABLE.value,
        "to_depot_id": order["depot_id"],
        "to_state": S.ON_LOAN.value,
        "asset_id": asset_id,
        "order_id": order["id"],
        "van_id": None,
        "kind": "delivery",
        "reason": "",
        "reverses_id": None,
    }


def reserve_open_orders(history: GeneratedHistory) -> int:
    """Orders still open today hold stock like any live order (or wait for it)."""

    ready = 0
    for order_id in history.open_deliveries:
        order = history.session.get(Order, order_id)
        lines = history.session.execute(select(OrderLine).where(OrderLine.order_id == order_id)).scalars().all()
        complete = all(
            reserve_for_line(history.session, line=line, depot_id=order.depot_id, user_id=order.created_by)
            >= line.quantity
            for line in lines
        )
        order.status = OrderStatus.READY if complete else OrderStatus.BACK_ORDER
        history.session.add(
            OrderEvent(
                order_id=order.id,
                at=history.now,
                event="allocated" if complete else "back_order",
                detail="all lines reserved" if complete else "waiting for stock",
            )
        )
        ready += complete
    history.session.flush()
    return ready


def _clean_stock(session: Session, share: float) -> tuple[dict, dict, dict]:
    """Available assets by (depot, item), how many of them may go on loan, and bulk units likewise."""
    a, b = Asset.__table__.c, StockBalance.__table__.c
    pool: dict[tuple[int, int], list[int]] = defaultdict(list)
    for asset_id, depot_id, item_id in session.execute(
        select(a.id, a.depot_id, a.item_id).where(a.state == S.AVAILABLE).order_by(a.id)
    ):
        pool[(depot_id, item_id)].append(asset_id)
    room = {key: int(len(ids) * share) for key, ids in pool.items()}
    bulk = {
        (depot_id, item_id): int(quantity * share)
        for depot_id, item_id, quantity in session.execute(
            select(b.depot_id, b.item_id, b.quantity)
            .join(Item.__table__, Item.__table__.c.id == b.item_id)
            .where(b.state == S.AVAILABLE, Item.__table__.c.serialised == false())
        )
    }
    return pool, room, bulk


def _write_loans(session: Session, assets: list, events: list, movements: list, changes: dict) -> None:
    a = Asset.__table__.c
    if assets:
        session.execute(
            update(Asset.__table__)
            .where(a.id == bindparam("b_id"))
            .values(
                state=S.ON_LOAN.value,
                service_user_id=bindparam("b_person"),
                on_loan_since=bindparam("b_since", type_=UTCDateTime()),
                order_line_id=bindparam("b_line"),  # the loan's order: its ref in the on-loan export
            ),
            assets,
        )
    bulk_insert(session, AssetEvent.__table__, events)
    bulk_insert(session, StockMovement.__table__, movements)
    for key, change in sorted(changes.items()):
        if change < 0:
            take(session, key, -change)
        elif change > 0:
            put(session, key, change)
    session.flush()
