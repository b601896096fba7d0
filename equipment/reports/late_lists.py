"""The officers' lists of orders: those that were late, and those at risk of being late."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CTE, and_, func, not_, or_, select, true
from sqlmodel import Session

from equipment.db import utcnow
from equipment.models import Delay, Order, Stop, StopOrder
from equipment.reports.causes import NO_CAUSE, cause_label, cause_of_late_order
from equipment.reports.counting import O, due_in, is_late, is_late_or_open
from equipment.reports.periods import Period
from equipment.reports.scopes import ALL, Scope, depot_codes
from equipment.vocabulary import OrderStatus

# Orders still to be done: neither completed nor cancelled (a failed one is tried again).
NOT_YET_COMPLETED = [s.value for s in OrderStatus if s not in (OrderStatus.COMPLETED, OrderStatus.CANCELLED)]
PLANNED_STATUSES = [OrderStatus.PLANNED.value, OrderStatus.LOADED.value]


@dataclass
class LateOrder:
    ref: str
    response_class: str
    kind: str
    status: str
    depot: str
    district: str
    due_at: datetime
    completed_at: datetime | None
    minutes_late: int
    excused: bool
    cause: str
    cause_label: str


def late_orders(
    session: Session,
    p: Period,
    *,
    now: datetime | None = None,
    limit: int | None = 200,
    offset: int = 0,
    total: int | None = None,
    scope: Scope = ALL,
) -> tuple[list[LateOrder], int]:
    """Late orders due in the period, earliest due first, with the cause that explains each
    (`total`, when the caller already has it from the KPIs, saves counting again)."""
    now = now or utcnow()
    explaining = Delay.__table__.alias("d")
    where = and_(due_in(p, scope), is_late_or_open(), is_late(now))
    if total is None:
        total = session.execute(select(func.count()).select_from(Order.__table__).where(where)).scalar_one()
    query = (
        select(
            O.ref,
            O.response_class,
            O.kind,
            O.status,
            O.depot_id,
            O.district,
            O.due_at,
            O.completed_at,
            O.excused,
            explaining.c.cause,
        )
        .select_from(Order.__table__.outerjoin(explaining, explaining.c.id == cause_of_late_order()))
        .where(where)
        .order_by(O.due_at, O.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    codes = depot_codes(session)
    items = []
    for r in session.execute(query):
        finished = r.completed_at or now
        cause = r.cause or NO_CAUSE
        items.append(
            LateOrder(
                r.ref,
                r.response_class,
                r.kind,
                r.status,
                codes.get(r.depot_id, ""),
                r.district,
                r.due_at,
                r.completed_at,
                max(0, int((finished - r.due_at).total_seconds() // 60)),
                bool(r.excused),
                cause,
                cause_label(cause),
            )
        )
    return items, int(total)


@dataclass
class AtRisk:
    ref: str
    response_class: str
    kind: str
    status: str
    depot: str
    district: str
    due_at: datetime
    planned_eta: datetime | None
    reason: str


def at_risk(
    session: Session,
    *,
    now: datetime | None = None,
    horizon_hours: int = 48,
    limit: int | None = 200,
    scope: Scope = ALL,
) -> tuple[list[AtRisk], int]:
    """Open orders due within the horizon (or already overdue) that are not planned, or whose
    planned stop is late."""
    now = now or utcnow()
    so = StopOrder.__table__.c
    open_orders = _not_yet_completed_due_by(now + timedelta(hours=horizon_hours), scope)
    oo = open_orders.c
    latest_stop = select(func.max(so.stop_id)).where(so.order_id == oo.id).correlate(open_orders).scalar_subquery()
    stop = Stop.__table__.alias("stop")
    planned = oo.status.in_(PLANNED_STATUSES)
    where = or_(oo.due_at < now, not_(planned), and_(planned, or_(stop.c.late == true(), stop.c.eta > oo.due_at)))
    joined = open_orders.outerjoin(stop, stop.c.id == latest_stop)
    total = session.execute(select(func.count()).select_from(joined).where(where)).scalar_one()
    query = (
        select(oo.ref, oo.response_class, oo.kind, oo.status, oo.depot_id, oo.district, oo.due_at, stop.c.eta)
        .select_from(joined)
        .where(where)
        .order_by(oo.due_at, oo.id)
    )
    if limit is not None:
        query = query.limit(limit)
    codes = depot_codes(session)
    items = []
    for r in session.execute(query):
        is_planned = r.status in PLANNED_STATUSES
        items.append(
            AtRisk(
                r.ref,
                r.response_class,
                r.kind,
                r.status,
                codes.get(r.depot_id, ""),
                r.district,
                r.due_at,
                r.eta if is_planned else None,
                _risk_reason(r.status, r.due_at, now),
            )
        )
    return items, int(total)


def _not_yet_completed_due_by(moment: datetime, scope: Scope) -> CTE:
    """Orders not yet completed that are due before `moment`, as the CTE open_orders."""
    # Open orders are few next to the history: find them first by (status, due_at), then
    # look at their stops. MATERIALIZED keeps the planner from walking the due_at index instead.
    return (
        select(O.id, O.ref, O.response_class, O.kind, O.status, O.depot_id, O.district, O.due_at)
        .where(O.status.in_(NOT_YET_COMPLETED), O.due_at.is_not(None), O.due_at < moment, *scope.where(O))
        .cte("open_orders")
        .prefix_with("MATERIALIZED")
    )


def _risk_reason(status: str, due_at: datetime, now: datetime) -> str:
    is_planned = status in PLANNED_STATUSES
    if due_at < now:
        return "overdue, " + ("planned" if is_planned else "not planned")
    if is_planned:
        return "planned after the due time"
    if status == OrderStatus.BACK_ORDER:
        return "not planned: waiting for stock"
    if status == OrderStatus.AWAITING_AUTHORISATION:
        return "not planned: awaiting authorisation"
    return "not planned yet"
