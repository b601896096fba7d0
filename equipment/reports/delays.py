"""The delay log: delays recorded in a period (predicted and actual), newest first, filtered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from equipment.errors import NotFound
from equipment.models import Delay, Order
from equipment.reports.causes import cause_label
from equipment.reports.counting import D, O
from equipment.reports.periods import Period
from equipment.reports.scopes import depot_codes


@dataclass
class DelayEntry:
    id: int
    order_ref: str
    kind: str
    cause: str
    cause_label: str
    attributable: bool
    response_class: str
    depot: str
    district: str
    due_at: datetime
    expected_at: datetime | None
    recorded_at: datetime
    note: str


@dataclass
class DelayFilter:
    response_class: str | None = None
    depot: str | None = None
    cause: str | None = None
    kind: str | None = None


def delay_log(
    session: Session, p: Period, filters: DelayFilter, *, limit: int | None = 100, offset: int = 0
) -> tuple[list[DelayEntry], int]:
    """Delays recorded in the period (predicted and actual), newest first."""
    codes = depot_codes(session)
    conditions = _conditions(codes, p, filters)
    joined = Delay.__table__.join(Order.__table__, O.id == D.order_id)
    total = session.execute(select(func.count()).select_from(joined).where(*conditions)).scalar_one()
    query = (
        select(
            D.id,
            O.ref,
            D.kind,
            D.cause,
            D.attributable,
            O.response_class,
            O.depot_id,
            O.district,
            D.due_at,
            D.expected_at,
            D.recorded_at,
            D.note,
        )
        .select_from(joined)
        .where(*conditions)
        .order_by(D.recorded_at.desc(), D.id.desc())
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    items = [
        DelayEntry(
            r.id,
            r.ref,
            r.kind,
            r.cause,
            cause_label(r.cause),
            bool(r.attributable),
            r.response_class,
            codes.get(r.depot_id, ""),
            r.district,
            r.due_at,
            r.expected_at,
            r.recorded_at,
            r.note,
        )
        for r in session.execute(query)
    ]
    return items, int(total)


def _conditions(codes: dict[int, str], p: Period, filters: DelayFilter) -> list[Any]:
    """The WHERE clauses of the delay log: recorded in the period, and the filters given."""
    conditions = [D.recorded_at >= p.start, D.recorded_at < p.end]
    if filters.response_class:
        conditions.append(O.response_class == filters.response_class)
    if filters.depot:
        depot_id = next((i for i, code in codes.items() if code == filters.depot.upper()), None)
        if depot_id is None:
            raise NotFound(f"no depot {filters.depot}", field="depot")
        conditions.append(O.depot_id == depot_id)
    if filters.cause:
        conditions.append(D.cause == filters.cause)
    if filters.kind:
        conditions.append(D.kind == filters.kind)
    return conditions
