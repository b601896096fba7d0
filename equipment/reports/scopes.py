"""Which orders a figure counts (all, one response class, one depot, or both), and the
response classes and depots in the order the reports list them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from equipment.errors import Invalid
from equipment.models import Depot, Order, ResponseClass

# The order the contract lists its classes in; other codes follow alphabetically.
CLASS_ORDER = ["emergency", "next_day", "three_day", "standard", "urgent_collection", "standard_collection"]


@dataclass(frozen=True)
class Scope:
    """Which orders a figure counts: all, or one response class, or one depot, or both."""

    response_class: str | None = None
    depot_id: int | None = None
    depot: str | None = None

    def where(self, columns: Any = Order.__table__.c) -> list[ColumnElement]:
        """WHERE conditions on an orders table (or an alias / CTE with the same column names)."""
        conditions = []
        if self.response_class is not None:
            conditions.append(columns.response_class == self.response_class)
        if self.depot_id is not None:
            conditions.append(columns.depot_id == self.depot_id)
        return conditions

    @property
    def filtered(self) -> bool:
        return self.response_class is not None or self.depot_id is not None


ALL = Scope()


def scope(session: Session, *, response_class: str | None = None, depot: str | None = None) -> Scope:
    """The filters by code, checked: an unknown class or depot is Invalid with its field
    ('class' or 'depot'); blank means all."""
    code = (response_class or "").strip() or None
    depot_code = (depot or "").strip().upper() or None
    if code is not None and session.get(ResponseClass, code) is None:
        raise Invalid(f"There is no response class '{code}'.", field="class")
    depot_id = None
    if depot_code is not None:
        depot_id = session.execute(select(Depot.id).where(Depot.code == depot_code)).scalar_one_or_none()
        if depot_id is None:
            raise Invalid(f"There is no depot '{depot_code}'.", field="depot")
    return Scope(code, depot_id, depot_code)


def depots(session: Session) -> list[Depot]:
    return list(session.exec(select(Depot).order_by(Depot.code)).scalars())


def depot_codes(session: Session) -> dict[int, str]:
    return {d.id: d.code for d in session.exec(select(Depot)).scalars()}


def class_sort_key(code: str) -> tuple[int, str]:
    return (CLASS_ORDER.index(code) if code in CLASS_ORDER else len(CLASS_ORDER), code)


def response_classes(session: Session) -> list[ResponseClass]:
    classes = session.exec(select(ResponseClass)).scalars().all()
    return sorted(classes, key=lambda rc: class_sort_key(rc.code))
