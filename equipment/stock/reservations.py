"""Stock for orders: reserving for a line, releasing, loading and delivering (collecting from
homes is in equipment.stock.collection).

These are building blocks of other use cases (create, cancel, load, record an outcome): they
only flush; the calling use case commits once. Each is safe under concurrency: units are
taken with guarded UPDATEs (see equipment.stock.ledger), never read-then-written.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, select

from equipment.errors import OutOfStock
from equipment.models import Asset, Item, OrderLine, StockMovement
from equipment.service_time import today as service_today
from equipment.stock.ledger import Ledger, asset_event, balance, change_asset, put, take
from equipment.stock.recall_hold import held_units
from equipment.vocabulary import StockState

S = StockState
# States a unit can be in on behalf of an order (bulk units are traced by the order on the movement).
ORDER_STATES = (S.ALLOCATED, S.LOADED, S.ON_LOAN)


def _allocatable(depot_id: int, item_id: int):
    """Available assets at a depot that are not overdue for inspection nor held by a recall."""
    today = service_today()
    return select(Asset).where(
        Asset.depot_id == depot_id,
        Asset.item_id == item_id,
        Asset.state == S.AVAILABLE,
        or_(Asset.next_inspection_due.is_(None), Asset.next_inspection_due >= today),
        Asset.id.not_in(held_units()),
    )


def available_quantity(session: Session, *, depot_id: int, item_id: int) -> int:
    """Units that could be allocated now (serialised: excluding those overdue for inspection)."""
    item = session.get(Item, item_id)
    if item is None:
        return 0
    if not item.serialised:
        return balance(session, depot_id, item_id, S.AVAILABLE)
    return session.exec(select(func.count()).select_from(_allocatable(depot_id, item_id).subquery())).one()


def reserve_for_line(session: Session, *, line: OrderLine, depot_id: int, user_id: int | None) -> int:
    """Reserve up to the line's unallocated quantity at a depot; returns the units newly reserved."""
    need = line.quantity - line.allocated
    item = session.get(Item, line.item_id)
    if need <= 0 or item is None:
        return 0
    ledger = Ledger(session, user_id)
    got = (
        _reserve_assets(session, ledger, line, depot_id, need)
        if item.serialised
        else _reserve_bulk(session, ledger, line, depot_id, need)
    )
    ledger.apply()
    if got:
        line.allocated += got
        session.add(line)
        session.flush()
    return got


def _reserve_assets(session: Session, ledger: Ledger, line: OrderLine, depot_id: int, need: int) -> int:
    got, tried = 0, set()
    while got < need:
        # Exactly as many as still needed: on PostgreSQL the rows are locked (SKIP LOCKED lets
        # concurrent reservations pass each other rather than queue), and locking more than we
        # take would hide units from the others.
        query = _allocatable(depot_id, line.item_id).order_by(Asset.id).limit(need - got)
        if tried:
            query = query.where(Asset.id.not_in(tried))
        candidates = list(session.exec(query.with_for_update(skip_locked=True)))
        if not candidates:
            break
        for asset in candidates:
            tried.add(asset.id)
            if got == need:
                break
            try:
                change_asset(
                    session, asset, expected=S.AVAILABLE, to_state=S.ALLOCATED, error=OutOfStock, order_line_id=line.id
                )
            except OutOfStock:
                continue  # another order took it a moment ago
            ledger.move(
                item_id=line.item_id,
                quantity=1,
                kind="allocation",
                source=(depot_id, S.AVAILABLE),
                target=(depot_id, S.ALLOCATED),
                asset_id=asset.id,
                order_id=line.order_id,
            )
            asset_event(
                session,
                asset,
                event="allocated",
                from_state=S.AVAILABLE,
                to_state=S.ALLOCATED,
                user_id=ledger.user_id,
                depot_id=depot_id,
                order_id=line.order_id,
            )
            got += 1
    return got


def _reserve_bulk(session: Session, ledger: Ledger, line: OrderLine, depot_id: int, need: int) -> int:
    # Lock the allocated balance first: every use case touches balances in (depot, item, state)
    # order, and "allocated" sorts before "available"; the same order everywhere means no deadlock.
    put(session, (depot_id, line.item_id, S.ALLOCATED), 0)
    for _ in range(5):
        quantity = min(need, balance(session, depot_id, line.item_id, S.AVAILABLE))
        if quantity <= 0:
            return 0
        try:
            take(session, (depot_id, line.item_id, S.AVAILABLE), quantity)
        except OutOfStock:
            continue  # someone took some meanwhile: look again
        put(session, (depot_id, line.item_id, S.ALLOCATED), quantity)
        movement = StockMovement(
            user_id=ledger.user_id,
            item_id=line.item_id,
            quantity=quantity,
            kind="allocation",
            from_depot_id=depot_id,
            from_state=S.AVAILABLE,
            to_depot_id=depot_id,
            to_state=S.ALLOCATED,
            order_id=line.order_id,
        )
        session.add(movement)
        return quantity
    return 0


def _bulk_holdings(session: Session, order_id: int, item_id: int) -> dict[tuple[int, str], int]:
    """Units of a bulk item held for an order, per (depot, state), from the ledger."""
    held: dict[tuple[int, str], int] = defaultdict(int)
    rows = session.exec(
        select(
            StockMovement.from_depot_id,
            StockMovement.from_state,
            StockMovement.to_depot_id,
            StockMovement.to_state,
            StockMovement.quantity,
        ).where(StockMovement.order_id == order_id, StockMovement.item_id == item_id)
    )
    for from_depot, from_state, to_depot, to_state, quantity in rows:
        if to_state in ORDER_STATES:
            held[(to_depot, to_state)] += quantity
        if from_state in ORDER_STATES:
            held[(from_depot, from_state)] -= quantity
    return {key: n for key, n in held.items() if n > 0}


def _line_assets(session: Session, line: OrderLine, states: tuple[str, ...]) -> list[Asset]:
    return list(
        session.exec(select(Asset).where(Asset.order_line_id == line.id, Asset.state.in_(states)).order_by(Asset.id))
    )


def _move_line(
    session: Session,
    line: OrderLine,
    *,
    from_states: tuple[str, ...],
    to_state: str,
    kind: str,
    event: str,
    user_id: int | None,
    limit: int,
    van_id: int | None = None,
    at: datetime | None = None,
    asset_values: dict | None = None,
) -> tuple[list[Asset], int]:
    """Move up to `limit` units of a line from `from_states` to `to_state`: (moved assets, units)."""
    ledger = Ledger(session, user_id)
    item = session.get(Item, line.item_id)
    if item.serialised:
        moved = _move_assets(
            session,
            ledger,
            line,
            item,
            from_states=from_states,
            to_state=to_state,
            kind=kind,
            event=event,
            limit=limit,
            van_id=van_id,
            at=at,
            asset_values=asset_values or {},
        )
        units = len(moved)
    else:
        moved = []
        units = _move_bulk(
            session,
            ledger,
            line,
            item,
            from_states=from_states,
            to_state=to_state,
            kind=kind,
            limit=limit,
            van_id=van_id,
            at=at,
        )
    ledger.apply()
    return moved, units


def _move_assets(
    session: Session,
    ledger: Ledger,
    line: OrderLine,
    item: Item,
    *,
    from_states: tuple[str, ...],
    to_state: str,
    kind: str,
    event: str,
    limit: int,
    van_id: int | None,
    at: datetime | None,
    asset_values: dict,
) -> list[Asset]:
    """Move up to `limit` of the line's assets, oldest first, each with its movement and event."""
    moved: list[Asset] = []
    for asset in _line_assets(session, line, from_states)[:limit]:
        depot_id = asset.depot_id
        before = change_asset(session, asset, expected=from_states, to_state=to_state, **asset_values)
        ledger.move(
            item_id=item.id,
            quantity=1,
            kind=kind,
            source=(depot_id, before),
            target=(depot_id, to_state),
            asset_id=asset.id,
            order_id=line.order_id,
            van_id=van_id,
            at=at,
        )
        asset_event(
            session,
            asset,
            event=event,
            from_state=before,
            to_state=to_state,
            user_id=ledger.user_id,
            depot_id=depot_id,
            order_id=line.order_id,
            at=at,
        )
        moved.append(asset)
    return moved


def _move_bulk(
    session: Session,
    ledger: Ledger,
    line: OrderLine,
    item: Item,
    *,
    from_states: tuple[str, ...],
    to_state: str,
    kind: str,
    limit: int,
    van_id: int | None,
    at: datetime | None,
) -> int:
    """Move up to `limit` bulk units held for the line, state by state in the order given; the units moved."""
    left = limit
    held = _bulk_holdings(session, line.order_id, item.id)
    for state in from_states:
        for (depot_id, held_state), quantity in sorted(held.items()):
            if held_state != state or left <= 0:
                continue
            n = min(quantity, left)
            ledger.move(
                item_id=item.id,
                quantity=n,
                kind=kind,
                source=(depot_id, state),
                target=(depot_id, to_state),
                order_id=line.order_id,
                van_id=van_id,
                at=at,
            )
            left -= n
    return limit - left


def release_line(session: Session, *, line: OrderLine, user_id: int | None) -> None:
    """Allocated or loaded units of a line go back to available at their depot."""
    _, released = _move_line(
        session,
        line,
        from_states=(S.LOADED, S.ALLOCATED),
        to_state=S.AVAILABLE,
        kind="release",
        event="released",
        user_id=user_id,
        limit=line.allocated,
        asset_values={"order_line_id": None, "van_id": None},
    )
    line.allocated = max(0, line.allocated - released)
    session.add(line)
    session.flush()


def load_line(session: Session, *, line: OrderLine, van_id: int, user_id: int | None) -> None:
    """Allocated units of a line are loaded onto a van."""
    _move_line(
        session,
        line,
        from_states=(S.ALLOCATED,),
        to_state=S.LOADED,
        kind="load",
        event="loaded",
        user_id=user_id,
        limit=line.allocated,
        van_id=van_id,
        asset_values={"van_id": van_id},
    )
    session.flush()


def deliver_line(
    session: Session, *, line: OrderLine, service_user_id: int, at: datetime, user_id: int | None
) -> list[str]:
    """Loaded (or allocated) units of a line are on loan at the person's home; returns their serials."""
    moved, _ = _move_line(
        session,
        line,
        from_states=(S.LOADED, S.ALLOCATED),
        to_state=S.ON_LOAN,
        kind="delivery",
        event="delivered",
        user_id=user_id,
        limit=line.allocated,
        at=at,
        asset_values={"service_user_id": service_user_id, "on_loan_since": at, "van_id": None},
    )
    session.flush()
    return [asset.serial for asset in moved]
