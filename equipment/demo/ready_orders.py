"""Ready orders written straight as rows, for demo days, benchmarks and tests.

An order made here looks like one the orders service made ready: lines fully allocated,
serialised units reserved (asset state allocated, linked to the line), bulk units moved from
available to allocated in the depot's balance. Collections point at units on loan.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from equipment.models import Asset, Depot, Item, Order, OrderLine, ServiceUser
from equipment.stock.ledger import Ledger
from equipment.stock.reservations import reserve_for_line
from equipment.vocabulary import OrderKind, OrderStatus, StockState


def make_ready_order(
    session: Session,
    *,
    ref: str,
    person: ServiceUser,
    depot: Depot,
    lines: list[tuple[Item, int]],
    due_at: datetime,
    kind: str = OrderKind.DELIVERY,
    response_class: str = "next_day",
    slot: tuple[datetime, datetime] | None = None,
    received_at: datetime | None = None,
    status: str = OrderStatus.READY,
) -> Order:
    """One order with its lines allocated (deliveries) or pointing at units on loan (collections).
    Raises ValueError when the depot has too few units. Flushes only."""
    order = Order(
        ref=ref,
        kind=kind,
        response_class=response_class,
        status=status,
        service_user_id=person.id,
        depot_id=depot.id,
        district=person.district,
        received_at=received_at or due_at - timedelta(days=1),
        clock_started_at=received_at or due_at - timedelta(days=1),
        due_at=due_at,
        slot_start=slot[0] if slot else None,
        slot_end=slot[1] if slot else None,
    )
    session.add(order)
    session.flush()
    for item, quantity in lines:
        line = OrderLine(order_id=order.id, item_id=item.id, quantity=quantity)
        session.add(line)
        session.flush()
        if kind == OrderKind.DELIVERY:
            _allocate(session, line, item, depot)
        elif kind == OrderKind.COLLECTION:
            _put_on_loan(session, line, item, depot, person)
    return order


def _allocate(session: Session, line: OrderLine, item: Item, depot: Depot) -> None:
    if reserve_for_line(session, line=line, depot_id=depot.id, user_id=None) < line.quantity:
        raise ValueError(f"too few {item.sku} at {depot.code}")


def _put_on_loan(session: Session, line: OrderLine, item: Item, depot: Depot, person: ServiceUser) -> None:
    """A unit at the person's home for the collection to bring back, booked in the ledger."""
    ledger = Ledger(session, None)
    if item.serialised:
        asset = session.exec(
            select(Asset)
            .where(Asset.item_id == item.id, Asset.depot_id == depot.id, Asset.state == StockState.AVAILABLE)
            .order_by(Asset.id.desc())
        ).first()
        if asset is None:
            raise ValueError(f"no {item.sku} at {depot.code} to put on loan")
        asset.state, asset.service_user_id = StockState.ON_LOAN, person.id
        asset.on_loan_since = datetime.now(UTC) - timedelta(days=30)
        session.add(asset)
        line.serial = asset.serial
        line.quantity = 1
        session.add(line)
        ledger.move(
            item_id=item.id,
            quantity=1,
            kind="delivery",
            source=(depot.id, StockState.AVAILABLE),
            target=(depot.id, StockState.ON_LOAN),
            asset_id=asset.id,
            reason="ready-made order",
        )
    else:
        # Bulk units already in homes before the bench's records start.
        ledger.move(
            item_id=item.id,
            quantity=line.quantity,
            kind="delivery",
            target=(depot.id, StockState.ON_LOAN),
            reason="ready-made order",
        )
    ledger.apply()
