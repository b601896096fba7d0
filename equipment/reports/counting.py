"""How an order is counted: every figure is an SQL aggregation (GROUP BY with filtered counts)
over indexed columns; no order row is loaded into Python to compute a figure.

Definitions (../shared/API.md, `/kpis`), for the orders whose due time falls in a period of
local days [first, last] (Europe/London by default), cancelled orders left out:
- due: all of them;
- on_time: completed at or before the due time;
- late: completed after the due time, or not completed and the due time has passed (now);
- not_yet_due: not completed and the due time still ahead (now): counts neither for nor against;
- excused: late, with a cause not attributable to the provider (order.excused, set when the
  delay was recorded; equipment.reports.attribution decides which causes);
- percent_on_time = 100 x on_time / (on_time + late - excused), None when nothing counts.
not_yet_due is due - on_time - late (every order due in the period is exactly one of on time,
late or not yet due), so it needs no column of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, text, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from equipment.models import Delay, Order
from equipment.reports.periods import Period
from equipment.reports.scopes import ALL, Scope
from equipment.vocabulary import OrderStatus

# The columns of the orders and delays tables, as every query here spells them.
O = Order.__table__.c
D = Delay.__table__.c


@dataclass
class Figures:
    due: int = 0
    on_time: int = 0
    late: int = 0
    excused: int = 0

    @property
    def not_yet_due(self) -> int:
        return self.due - self.on_time - self.late

    @property
    def counted(self) -> int:
        """The orders the percentage is taken over: on time or late, less the excused."""
        return self.on_time + self.late - self.excused

    @property
    def percent_on_time(self) -> float | None:
        return 100.0 * self.on_time / self.counted if self.counted > 0 else None

    @property
    def attributable_late(self) -> int:
        return self.late - self.excused


def figures_of(row: Any) -> Figures:
    """The figures of a result row selected with `figure_columns`."""
    return Figures(int(row.due), int(row.on_time), int(row.late), int(row.excused))


def add_figures(total: Figures, part: Figures) -> None:
    total.due += part.due
    total.on_time += part.on_time
    total.late += part.late
    total.excused += part.excused


def is_late(now: datetime) -> ColumnElement:
    return or_(O.completed_at > O.due_at, and_(O.completed_at.is_(None), O.due_at < now))


def is_late_or_open() -> ColumnElement:
    """The predicate of the partial index ix_orders_late, spelled as the index spells it so both
    planners see that it applies (it is implied by `is_late`)."""
    return text("(orders.completed_at > orders.due_at OR orders.completed_at IS NULL)")


def tune_for_aggregation(session: Session) -> None:
    """PostgreSQL: room to hash-aggregate in memory, and no JIT compile (it costs more than it
    saves on these short aggregations). For the current transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '64MB'"))


def is_on_time() -> ColumnElement:
    return and_(O.completed_at.is_not(None), O.completed_at <= O.due_at)


def count_if(condition: ColumnElement) -> ColumnElement:
    """COUNT(*) FILTER (WHERE condition): on PostgreSQL and SQLite (3.30+) alike."""
    return func.count().filter(condition)


def figure_columns(now: datetime) -> list[ColumnElement]:
    """due, on_time, late and excused as aggregate columns."""
    late = is_late(now)
    return [
        func.count().label("due"),
        count_if(is_on_time()).label("on_time"),
        count_if(late).label("late"),
        count_if(and_(late, O.excused == true())).label("excused"),
    ]


def group_key(column: Any, default: Any) -> ColumnElement:
    """A grouping key as an expression rather than the bare column: that keeps SQLite from
    walking an index that starts with the column (to save a sort) and fetching every row from
    the table, instead of reading the period's range of the covering ix_orders_kpi."""
    return func.coalesce(column, default).label(column.name)


def due_in(p: Period, scope: Scope | None = None, columns: Any = O) -> ColumnElement:
    """Orders due in the period, cancelled ones left out, within the scope."""
    conditions = [columns.due_at >= p.start, columns.due_at < p.end, columns.status != OrderStatus.CANCELLED.value]
    return and_(*conditions, *(scope or ALL).where(columns))
