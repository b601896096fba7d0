"""Checking an order's lines: items by SKU, assets by serial, and what each kind of order allows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from equipment.errors import Conflict, Invalid
from equipment.models import Asset, Item, Order, OrderLine
from equipment.orders.schemas import LineIn
from equipment.vocabulary import OPEN_ORDER_STATUSES, OrderKind, StockState


@dataclass
class ResolvedLine:
    index: int
    item: Item
    quantity: int
    asset: Asset | None = None


def resolve_lines(session: Session, kind: str, lines: list[LineIn]) -> list[ResolvedLine]:
    """Items and assets for each line, before anything is written; 422 names the line's field."""
    resolved = []
    seen_serials: set[str] = set()
    for index, line in enumerate(lines):
        sku = (line.sku or "").strip()
        serial = (line.serial or "").strip()
        if serial and kind == OrderKind.DELIVERY:
            raise Invalid("A delivery names catalogue items (sku), not serials", field=f"lines.{index}.serial")
        if not sku and not serial:
            raise Invalid(
                "Give a SKU" + ("" if kind == OrderKind.DELIVERY else " or a serial"), field=f"lines.{index}.sku"
            )
        item = None
        if sku:
            item = session.exec(select(Item).where(Item.sku == sku)).first()
            if item is None:
                raise Invalid(f"No catalogue item with SKU {sku!r}", field=f"lines.{index}.sku")
        asset = None
        if serial:
            asset = session.exec(select(Asset).where(Asset.serial == serial)).first()
            if asset is None:
                raise Invalid(f"No asset with serial {serial!r}", field=f"lines.{index}.serial")
            if serial in seen_serials:
                raise Invalid(f"{serial} is named twice", field=f"lines.{index}.serial")
            seen_serials.add(serial)
            if item is not None and item.id != asset.item_id:
                raise Invalid(f"{serial} is not a {sku}", field=f"lines.{index}.serial")
            if line.quantity != 1:
                raise Invalid("A line with a serial is for one asset", field=f"lines.{index}.quantity")
            item = session.get(Item, asset.item_id)
        resolved.append(ResolvedLine(index=index, item=item, quantity=line.quantity, asset=asset))
    return resolved


def check_assets_with_person(
    session: Session, kind: str, lines: list[ResolvedLine], service_user_id: int, *, order_id: int | None = None
) -> None:
    """Collections and inspections: each serial must be on loan to this person and not already
    on another open collection; serialised items by SKU need that many on loan to them."""
    if kind == OrderKind.DELIVERY:
        return
    for line in lines:
        if line.asset is not None:
            asset = line.asset
            if asset.state != StockState.ON_LOAN or asset.service_user_id != service_user_id:
                raise Invalid(f"{asset.serial} is not on loan to this person", field=f"lines.{line.index}.serial")
            if kind == OrderKind.COLLECTION and _open_collection_of(session, asset.serial, order_id):
                raise Conflict(
                    f"{asset.serial} is already on open collection {_open_collection_of(session, asset.serial, order_id)}",
                    field=f"lines.{line.index}.serial",
                )
        elif line.item.serialised:
            on_loan = session.exec(
                select(func.count())
                .select_from(Asset)
                .where(
                    Asset.item_id == line.item.id,
                    Asset.service_user_id == service_user_id,
                    Asset.state == StockState.ON_LOAN,
                )
            ).one()
            if on_loan < line.quantity:
                raise Invalid(f"This person has {on_loan} {line.item.sku} on loan", field=f"lines.{line.index}.sku")


def _open_collection_of(session: Session, serial: str, order_id: int | None) -> str | None:
    query = (
        select(Order.ref)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(OrderLine.serial == serial, Order.kind == OrderKind.COLLECTION, Order.status.in_(OPEN_ORDER_STATUSES))
    )
    if order_id is not None:
        query = query.where(Order.id != order_id)
    return session.exec(query).first()


def needs_authorisation(kind: str, lines: list[ResolvedLine]) -> bool:
    return kind == OrderKind.DELIVERY and any(line.item.needs_authorisation for line in lines)


def make_lines(session: Session, order: Order, lines: list[ResolvedLine]) -> list[OrderLine]:
    rows = [
        OrderLine(
            order_id=order.id,
            item_id=line.item.id,
            quantity=line.quantity,
            serial=line.asset.serial if line.asset else None,
        )
        for line in lines
    ]
    session.add_all(rows)
    session.flush()
    return rows


def lines_text(lines: list[ResolvedLine]) -> str:
    return ", ".join(f"{line.asset.serial if line.asset else line.item.sku} x{line.quantity}" for line in lines)
