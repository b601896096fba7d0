"""Reading depots and the catalogue."""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlmodel import Session, select

from equipment.errors import NotFound
from equipment.models import Depot, Item


def list_depots(session: Session) -> list[Depot]:
    return list(session.exec(select(Depot).order_by(Depot.code)))


def depot_by_code(session: Session, code: str, *, field: str = "depot") -> Depot:
    depot = session.exec(select(Depot).where(Depot.code == code)).first()
    if depot is None:
        raise NotFound(f"no depot with code {code!r}", field=field)
    return depot


def item_by_sku(session: Session, sku: str, *, field: str = "sku") -> Item:
    item = session.exec(select(Item).where(Item.sku == sku)).first()
    if item is None:
        raise NotFound(f"no catalogue item with SKU {sku!r}", field=field)
    return item


def search_items(
    session: Session, *, q: str | None = None, category: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[Item], int]:
    """Catalogue items matching every word of `q`, by SKU, and the total count."""
    query = select(Item)
    for word in (q or "").split():
        pattern = f"%{word.lower()}%"
        query = query.where(
            or_(
                func.lower(Item.sku).like(pattern),
                func.lower(Item.name).like(pattern),
                func.lower(Item.category).like(pattern),
            )
        )
    if category:
        query = query.where(Item.category == category)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = session.exec(query.order_by(Item.sku).limit(limit).offset(offset)).all()
    return list(items), total
