"""Why orders were late: the delay that explains each late order, and late orders counted by
cause."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, false, func, or_, select, true
from sqlmodel import Session

from equipment.db import utcnow
from equipment.models import Delay, Order
from equipment.reports.counting import O, due_in, is_late, is_late_or_open, tune_for_aggregation
from equipment.reports.indicators import kpis
from equipment.reports.periods import Period
from equipment.reports.scopes import ALL, Scope, class_sort_key
from equipment.vocabulary import CAUSE_LABELS, DelayCause

NO_CAUSE = "not_recorded"


@dataclass
class CauseRow:
    cause: str
    label: str
    attributable: bool
    late_orders: int
    response_class: str | None = None


def cause_label(cause: str) -> str:
    if cause == NO_CAUSE:
        return "No cause recorded"
    try:
        return CAUSE_LABELS[DelayCause(cause)]
    except ValueError:
        return cause


def cause_of_late_order() -> Any:
    """The delay that explains a late order: its latest delay whose attributability matches the
    order's (an excused order is explained by its non-attributable delay)."""
    inner = Delay.__table__.alias("explaining")
    return (
        select(func.max(inner.c.id))
        .where(inner.c.order_id == O.id, inner.c.attributable != O.excused)
        .correlate(Order.__table__)
        .scalar_subquery()
    )


def by_cause(
    session: Session,
    p: Period,
    *,
    now: datetime | None = None,
    per_class: bool = False,
    late_per_class: dict[str, int] | None = None,
    scope: Scope = ALL,
) -> list[CauseRow]:
    """Late orders due in the period by the cause that explains them (see cause_of_late_order);
    late orders without any delay recorded are counted as 'not recorded'.

    Driven from the delay log (far smaller than the orders): each explaining delay is joined to
    its order; `late_per_class` (from the KPIs, computed when not given) gives the remainder."""
    now = now or utcnow()
    tune_for_aggregation(session)
    rows = [
        CauseRow(r.cause, cause_label(r.cause), not r.excused, int(r.n), r.response_class if per_class else None)
        for r in session.execute(_explained_late_orders(p, now=now, per_class=per_class, scope=scope))
    ]
    if late_per_class is None:
        late_per_class = {k.response_class: k.figures.late for k in kpis(session, p, now=now, scope=scope)}
    rows += _not_recorded(rows, late_per_class, per_class=per_class)
    return sorted(rows, key=lambda r: (class_sort_key(r.response_class or ""), -r.late_orders, r.cause))


def _explained_late_orders(p: Period, *, now: datetime, per_class: bool, scope: Scope) -> Select:
    """Late orders due in the period with a delay that explains them, counted by that delay's
    cause and the order's excused flag (and class, `per_class`)."""
    # Each order's latest attributable and latest non-attributable delay, in one pass over the log.
    # Only the delays of orders that may be late in the period (the partial index finds them).
    log, candidate = Delay.__table__.alias("log"), Order.__table__.alias("candidate")
    may_be_late = select(candidate.c.id).where(
        candidate.c.due_at >= p.start,
        candidate.c.due_at < p.end,
        or_(candidate.c.completed_at > candidate.c.due_at, candidate.c.completed_at.is_(None)),
        *scope.where(candidate.c),
    )
    latest = (
        select(
            log.c.order_id,
            func.max(log.c.id).filter(log.c.attributable == true()).label("attributable_id"),
            func.max(log.c.id).filter(log.c.attributable == false()).label("excusing_id"),
        )
        .where(log.c.order_id.in_(may_be_late))
        .group_by(log.c.order_id)
        .subquery("latest")
    )
    explaining = Delay.__table__.alias("d")
    chosen = case((O.excused == true(), latest.c.excusing_id), else_=latest.c.attributable_id)
    keys = [explaining.c.cause, O.excused] + ([O.response_class] if per_class else [])
    return (
        select(*keys, func.count().label("n"))
        .select_from(
            Order.__table__.join(latest, latest.c.order_id == O.id).join(explaining, explaining.c.id == chosen)
        )
        .where(due_in(p, scope), is_late_or_open(), is_late(now))
        .group_by(*keys)
    )


def _not_recorded(rows: list[CauseRow], late_per_class: dict[str, int], *, per_class: bool) -> list[CauseRow]:
    """The late orders no delay explains, as 'not recorded' rows (per class, or one in all)."""
    explained: dict[str | None, int] = defaultdict(int)
    for r in rows:
        explained[r.response_class] += r.late_orders
    unexplained = (
        {code: late - explained[code] for code, late in late_per_class.items()}
        if per_class
        else {None: sum(late_per_class.values()) - explained[None]}
    )
    return [CauseRow(NO_CAUSE, cause_label(NO_CAUSE), True, n, code) for code, n in unexplained.items() if n > 0]
