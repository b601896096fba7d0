"""Delays and KPIs: every figure is an SQL aggregation (GROUP BY with filtered counts) over
indexed columns; no order row is loaded into Python to compute a figure.

Definitions (../shared/API.md, `/kpis`), for the orders whose due time falls in a period of
local days [first, last] (Europe/London by default), cancelled orders left out:
- due: all of them;
- on_time: completed at or before the due time;
- late: completed after the due time, or not completed and the due time has passed (now);
- excused: late, with a cause not attributable to the provider (order.excused);
- percent_on_time = 100 x on_time / (due - excused), None when nothing counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Integer,
    and_,
    case,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from equipment.db import utcnow
from equipment.errors import Invalid, NotFound
from equipment.models import (
    Asset,
    Delay,
    Depot,
    Item,
    Order,
    OrderEvent,
    ResponseClass,
    StockBalance,
    StockMovement,
    Stop,
    StopOrder,
)
from equipment.vocabulary import CAUSE_LABELS, DelayCause, OrderStatus, StockState

DEFAULT_TZ = "Europe/London"
MAX_PERIOD_DAYS = 3700
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
# The order the contract lists its classes in; other codes follow alphabetically.
CLASS_ORDER = ["emergency", "next_day", "three_day", "standard", "urgent_collection", "standard_collection"]
OPEN_STATUSES = [s.value for s in OrderStatus if s not in (OrderStatus.COMPLETED, OrderStatus.CANCELLED)]
PLANNED_STATUSES = [OrderStatus.PLANNED.value, OrderStatus.LOADED.value]
NO_CAUSE = "not_recorded"

O = Order.__table__.c
D = Delay.__table__.c


# --------------------------------------------------------------------------------------------
# Periods in local days


@dataclass(frozen=True)
class Period:
    """Local days first..last inclusive, as the UTC instants [start, end)."""

    first: date
    last: date
    start: datetime
    end: datetime
    tz: str = DEFAULT_TZ


def period(first: date | None, last: date | None, *, tz: str = DEFAULT_TZ, today: date | None = None) -> Period:
    """The period of local days [first, last]; defaults to the 30 days ending today."""
    zone = ZoneInfo(tz)
    today = today or datetime.now(zone).date()
    if last is None:
        last = today if first is None else max(first, today)
    first = first or last - timedelta(days=29)
    for name, day in (("from", first), ("to", last)):
        if not EARLIEST <= day <= LATEST:
            raise Invalid(f"'{name}' must be between {EARLIEST} and {LATEST}", field=name)
    if first > last:
        raise Invalid("'from' must not be after 'to'", field="from")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise Invalid(f"a period may span at most {MAX_PERIOD_DAYS} days", field="to")
    start = datetime.combine(first, time(0), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC)
    return Period(first, last, start, end, tz)


def month_period(month: str | None, *, tz: str = DEFAULT_TZ, today: date | None = None) -> Period:
    """The calendar month 'YYYY-MM' (default: the last complete month)."""
    today = today or datetime.now(ZoneInfo(tz)).date()
    if month:
        try:
            first = datetime.strptime(month, "%Y-%m").date()
        except ValueError as exc:
            raise Invalid("month must be YYYY-MM", field="month") from exc
        if not EARLIEST <= first <= LATEST:
            raise Invalid(f"month must be between {EARLIEST:%Y-%m} and {LATEST:%Y-%m}", field="month")
    else:
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return period(first, following - timedelta(days=1), tz=tz)


# --------------------------------------------------------------------------------------------
# SQL building blocks


def week_starts(p: Period) -> list[date]:
    """The Mondays of the local weeks that overlap the period."""
    monday = p.first - timedelta(days=p.first.weekday())
    weeks = []
    while monday <= p.last:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def week_index(column: Any, p: Period) -> ColumnElement:
    """Which local week of the period (0, 1, ...) a UTC timestamp in it falls in.

    A balanced tree of CASE comparisons against each week's first instant (local Monday 00:00 as
    UTC, so BST and GMT are both right): about log2(weeks) comparisons a row, the same SQL on
    every database, and no date arithmetic on the column."""
    zone = ZoneInfo(p.tz)
    starts = [datetime.combine(monday, time(0), zone).astimezone(UTC) for monday in week_starts(p)]

    def subtree(low: int, high: int) -> ColumnElement:
        if high - low == 1:
            return literal(low, Integer)
        middle = (low + high) // 2
        return case((column < starts[middle], subtree(low, middle)), else_=subtree(middle, high))

    return subtree(0, len(starts))


def _late(now: datetime) -> ColumnElement:
    return or_(O.completed_at > O.due_at, and_(O.completed_at.is_(None), O.due_at < now))


def _late_or_open() -> ColumnElement:
    """The predicate of the partial index ix_orders_late, spelled as the index spells it so both
    planners see that it applies (it is implied by _late)."""
    return text("(orders.completed_at > orders.due_at OR orders.completed_at IS NULL)")


def tune_for_aggregation(session: Session) -> None:
    """PostgreSQL: room to hash-aggregate in memory, and no JIT compile (it costs more than it
    saves on these short aggregations). For the current transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '64MB'"))


def _on_time() -> ColumnElement:
    return and_(O.completed_at.is_not(None), O.completed_at <= O.due_at)


def _count_if(condition: ColumnElement) -> ColumnElement:
    """COUNT(*) FILTER (WHERE condition): on PostgreSQL and SQLite (3.30+) alike."""
    return func.count().filter(condition)


def _figure_columns(now: datetime) -> list[ColumnElement]:
    late = _late(now)
    return [
        func.count().label("due"),
        _count_if(_on_time()).label("on_time"),
        _count_if(late).label("late"),
        _count_if(and_(late, O.excused == true())).label("excused"),
    ]


def _key(column: Any, default: Any) -> ColumnElement:
    """A grouping key as an expression rather than the bare column: that keeps SQLite from
    walking an index that starts with the column (to save a sort) and fetching every row from
    the table, instead of reading the period's range of the covering ix_orders_kpi."""
    return func.coalesce(column, default).label(column.name)


def _due_in(p: Period, scope: Scope | None = None, columns: Any = O) -> ColumnElement:
    conditions = [columns.due_at >= p.start, columns.due_at < p.end, columns.status != OrderStatus.CANCELLED.value]
    return and_(*conditions, *(scope or ALL).where(columns))


# --------------------------------------------------------------------------------------------
# Filters: one response class, one depot (both optional)


@dataclass(frozen=True)
class Scope:
    """Which orders a figure counts: all, or one response class, or one depot, or both."""

    response_class: str | None = None
    depot_id: int | None = None
    depot: str | None = None

    def where(self, columns: Any = O) -> list[ColumnElement]:
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


# --------------------------------------------------------------------------------------------
# KPIs


@dataclass
class Figures:
    due: int = 0
    on_time: int = 0
    late: int = 0
    excused: int = 0

    @property
    def counted(self) -> int:
        return self.due - self.excused

    @property
    def percent_on_time(self) -> float | None:
        return 100.0 * self.on_time / self.counted if self.counted > 0 else None

    @property
    def pending(self) -> int:
        return self.due - self.on_time - self.late

    @property
    def attributable_late(self) -> int:
        return self.late - self.excused


def _figures(row: Any) -> Figures:
    return Figures(int(row.due), int(row.on_time), int(row.late), int(row.excused))


@dataclass
class KpiRow:
    response_class: str
    name: str
    target: float
    figures: Figures

    @property
    def met(self) -> bool | None:
        pct = self.figures.percent_on_time
        return None if pct is None else pct >= self.target

    def contract(self) -> dict[str, Any]:
        """The row exactly as API.md names it."""
        f = self.figures
        return {
            "response_class": self.response_class,
            "due": f.due,
            "on_time": f.on_time,
            "late": f.late,
            "excused": f.excused,
            "percent_on_time": f.percent_on_time,
            "target": self.target,
        }


def _class_sort_key(code: str) -> tuple[int, str]:
    return (CLASS_ORDER.index(code) if code in CLASS_ORDER else len(CLASS_ORDER), code)


def response_classes(session: Session) -> list[ResponseClass]:
    classes = session.exec(select(ResponseClass)).scalars().all()
    return sorted(classes, key=lambda rc: _class_sort_key(rc.code))


def kpis(
    session: Session, p: Period, *, now: datetime | None = None, scope: Scope = ALL
) -> list[KpiRow]:
    """Per response class: due, on time, late, excused, percent on time, target (with a class
    filter, that class's row only)."""
    now = now or utcnow()
    tune_for_aggregation(session)
    code = _key(O.response_class, "")
    query = select(code, *_figure_columns(now)).where(_due_in(p, scope)).group_by(code)
    found = {row.response_class: _figures(row) for row in session.execute(query)}
    return _kpi_rows(session, found, scope)


def _kpi_rows(session: Session, found: dict[str, Figures], scope: Scope = ALL) -> list[KpiRow]:
    found = dict(found)
    classes = [rc for rc in response_classes(session) if scope.response_class in (None, rc.code)]
    rows = [KpiRow(rc.code, rc.name, rc.target_percent, found.pop(rc.code, Figures())) for rc in classes]
    rows += [KpiRow(code, code, 95.0, figures) for code, figures in sorted(found.items())]
    return rows


def _add(total: Figures, part: Figures) -> None:
    total.due += part.due
    total.on_time += part.on_time
    total.late += part.late
    total.excused += part.excused


def totals(rows: list[KpiRow]) -> Figures:
    total = Figures()
    for row in rows:
        _add(total, row.figures)
    return total


# --------------------------------------------------------------------------------------------
# Breakdowns and trend


@dataclass
class Breakdown:
    key: str
    label: str
    figures: Figures


def by_depot(session: Session, p: Period, *, now: datetime | None = None, scope: Scope = ALL) -> list[Breakdown]:
    now = now or utcnow()
    depot = _key(O.depot_id, 0)
    query = select(depot, *_figure_columns(now)).where(_due_in(p, scope)).group_by(depot)
    return _depot_rows(session, {row.depot_id: _figures(row) for row in session.execute(query)})


def _depot_rows(session: Session, found: dict[int, Figures]) -> list[Breakdown]:
    depots = {d.id: d for d in session.exec(select(Depot)).scalars()}
    return [
        Breakdown(depots[i].code if i in depots else str(i), depots[i].name if i in depots else "", found[i])
        for i in sorted(found, key=lambda i: depots[i].code if i in depots else str(i))
    ]


def by_district(session: Session, p: Period, *, now: datetime | None = None, scope: Scope = ALL) -> list[Breakdown]:
    now = now or utcnow()
    district = _key(O.district, "")
    query = select(district, *_figure_columns(now)).where(_due_in(p, scope)).group_by(district)
    found = {row.district: _figures(row) for row in session.execute(query)}
    return _district_rows(found)


def district_sort_key(district: str) -> tuple[str, int, str]:
    """IP2 before IP10: the letters, then the number."""
    letters = district.rstrip("0123456789")
    digits = district[len(letters):]
    return (letters, int(digits) if digits.isdigit() else -1, district)


def _district_rows(found: dict[str, Figures]) -> list[Breakdown]:
    return [Breakdown(d or "-", d or "unknown", found[d]) for d in sorted(found, key=lambda d: district_sort_key(d or ""))]


def _cause_of_late_order() -> Any:
    """The delay that explains a late order: its latest delay whose attributability matches the
    order's (an excused order is explained by its non-attributable delay)."""
    inner = Delay.__table__.alias("explaining")
    return (
        select(func.max(inner.c.id))
        .where(inner.c.order_id == O.id, inner.c.attributable != O.excused)
        .correlate(Order.__table__)
        .scalar_subquery()
    )


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


def by_cause(
    session: Session,
    p: Period,
    *,
    now: datetime | None = None,
    per_class: bool = False,
    late_per_class: dict[str, int] | None = None,
    scope: Scope = ALL,
) -> list[CauseRow]:
    """Late orders due in the period by the cause that explains them (see _cause_of_late_order);
    late orders without any delay recorded are counted as 'not recorded'.

    Driven from the delay log (far smaller than the orders): each explaining delay is joined to
    its order; `late_per_class` (from the KPIs, computed when not given) gives the remainder."""
    now = now or utcnow()
    tune_for_aggregation(session)
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
    query = (
        select(*keys, func.count().label("n"))
        .select_from(
            Order.__table__.join(latest, latest.c.order_id == O.id).join(explaining, explaining.c.id == chosen)
        )
        .where(_due_in(p, scope), _late_or_open(), _late(now))
        .group_by(*keys)
    )
    rows = [
        CauseRow(r.cause, cause_label(r.cause), not r.excused, int(r.n), r.response_class if per_class else None)
        for r in session.execute(query)
    ]
    if late_per_class is None:
        late_per_class = {k.response_class: k.figures.late for k in kpis(session, p, now=now, scope=scope)}
    explained: dict[str | None, int] = defaultdict(int)
    for r in rows:
        explained[r.response_class] += r.late_orders
    unexplained = (
        {code: late - explained[code] for code, late in late_per_class.items()}
        if per_class
        else {None: sum(late_per_class.values()) - explained[None]}
    )
    rows += [CauseRow(NO_CAUSE, cause_label(NO_CAUSE), True, n, code) for code, n in unexplained.items() if n > 0]
    return sorted(rows, key=lambda r: (_class_sort_key(r.response_class or ""), -r.late_orders, r.cause))


@dataclass
class AttributableRow:
    response_class: str
    name: str
    late: int
    attributable: int
    not_attributable: int


def by_attributable(rows: list[KpiRow]) -> list[AttributableRow]:
    """Late orders split into the provider's (attributable) and not (excused); from the KPI sums."""
    return [
        AttributableRow(r.response_class, r.name, r.figures.late, r.figures.attributable_late, r.figures.excused)
        for r in rows
    ]


@dataclass
class TrendPoint:
    week_start: date
    response_class: str
    figures: Figures


def _week(p: Period) -> ColumnElement:
    return week_index(O.due_at, p).label("week")


def weekly_trend(session: Session, p: Period, *, now: datetime | None = None, scope: Scope = ALL) -> list[TrendPoint]:
    """Per response class and local week (Monday to Sunday) of the due time."""
    now = now or utcnow()
    tune_for_aggregation(session)
    week = _week(p)
    code = _key(O.response_class, "")
    query = (
        select(code, week, *_figure_columns(now))
        .where(_due_in(p, scope))
        .group_by(code, week)
        .order_by(week, code)
    )
    weeks = week_starts(p)
    return [TrendPoint(weeks[int(r.week)], r.response_class, _figures(r)) for r in session.execute(query)]


def weeks_of(p: Period) -> list[date]:
    return week_starts(p)


# --------------------------------------------------------------------------------------------
# Lists: late orders, orders at risk, the delay log


def _depot_codes(session: Session) -> dict[int, str]:
    return {d.id: d.code for d in session.exec(select(Depot)).scalars()}


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
    session: Session, p: Period, *, now: datetime | None = None, limit: int | None = 200, offset: int = 0,
    total: int | None = None, scope: Scope = ALL,
) -> tuple[list[LateOrder], int]:
    """Late orders due in the period, earliest due first, with the cause that explains each
    (`total`, when the caller already has it from the KPIs, saves counting again)."""
    now = now or utcnow()
    explaining = Delay.__table__.alias("d")
    where = and_(_due_in(p, scope), _late_or_open(), _late(now))
    if total is None:
        total = session.execute(select(func.count()).select_from(Order.__table__).where(where)).scalar_one()
    query = (
        select(
            O.ref, O.response_class, O.kind, O.status, O.depot_id, O.district, O.due_at, O.completed_at, O.excused,
            explaining.c.cause,
        )
        .select_from(Order.__table__.outerjoin(explaining, explaining.c.id == _cause_of_late_order()))
        .where(where)
        .order_by(O.due_at, O.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    codes = _depot_codes(session)
    items = []
    for r in session.execute(query):
        finished = r.completed_at or now
        cause = r.cause or NO_CAUSE
        items.append(
            LateOrder(
                r.ref, r.response_class, r.kind, r.status, codes.get(r.depot_id, ""), r.district, r.due_at,
                r.completed_at, max(0, int((finished - r.due_at).total_seconds() // 60)), bool(r.excused), cause,
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
    session: Session, *, now: datetime | None = None, horizon_hours: int = 48, limit: int | None = 200,
    scope: Scope = ALL,
) -> tuple[list[AtRisk], int]:
    """Open orders due within the horizon (or already overdue) that are not planned, or whose
    planned stop is late."""
    now = now or utcnow()
    so = StopOrder.__table__.c
    # Open orders are few next to the history: find them first by (status, due_at), then
    # look at their stops. MATERIALIZED keeps the planner from walking the due_at index instead.
    open_orders = (
        select(O.id, O.ref, O.response_class, O.kind, O.status, O.depot_id, O.district, O.due_at)
        .where(
            O.status.in_(OPEN_STATUSES), O.due_at.is_not(None), O.due_at < now + timedelta(hours=horizon_hours),
            *scope.where(O),
        )
        .cte("open_orders")
        .prefix_with("MATERIALIZED")
    )
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
    codes = _depot_codes(session)
    items = []
    for r in session.execute(query):
        is_planned = r.status in PLANNED_STATUSES
        if r.due_at < now:
            reason = "overdue, " + ("planned" if is_planned else "not planned")
        elif is_planned:
            reason = "planned after the due time"
        elif r.status == OrderStatus.BACK_ORDER:
            reason = "not planned: waiting for stock"
        elif r.status == OrderStatus.AWAITING_AUTHORISATION:
            reason = "not planned: awaiting authorisation"
        else:
            reason = "not planned yet"
        items.append(
            AtRisk(
                r.ref, r.response_class, r.kind, r.status, codes.get(r.depot_id, ""), r.district, r.due_at,
                r.eta if is_planned else None, reason,
            )
        )
    return items, int(total)


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
    codes = _depot_codes(session)
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
    joined = Delay.__table__.join(Order.__table__, O.id == D.order_id)
    total = session.execute(select(func.count()).select_from(joined).where(*conditions)).scalar_one()
    query = (
        select(
            D.id, O.ref, D.kind, D.cause, D.attributable, O.response_class, O.depot_id, O.district, D.due_at,
            D.expected_at, D.recorded_at, D.note,
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
            r.id, r.ref, r.kind, r.cause, cause_label(r.cause), bool(r.attributable), r.response_class,
            codes.get(r.depot_id, ""), r.district, r.due_at, r.expected_at, r.recorded_at, r.note,
        )
        for r in session.execute(query)
    ]
    return items, int(total)


# --------------------------------------------------------------------------------------------
# One order's timeline (pseudonymous)


@dataclass
class TimelineEntry:
    at: datetime
    event: str
    detail: str


@dataclass
class OrderTimeline:
    ref: str
    kind: str
    response_class: str
    status: str
    depot: str
    district: str
    received_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    excused: bool
    on_time: bool | None
    events: list[TimelineEntry] = field(default_factory=list)
    delays: list[DelayEntry] = field(default_factory=list)


def order_timeline(session: Session, ref: str, *, with_details: bool, now: datetime | None = None) -> OrderTimeline:
    """An order's timeline by reference: no person's name or address; event details (free text
    written by staff) only when `with_details`."""
    now = now or utcnow()
    order = session.execute(select(Order).where(Order.ref == ref.strip().upper())).scalar_one_or_none()
    if order is None:
        raise NotFound(f"no order {ref}", field="ref")
    codes = _depot_codes(session)
    on_time = None
    if order.due_at is not None and order.status != OrderStatus.CANCELLED:
        if order.completed_at is not None:
            on_time = order.completed_at <= order.due_at
        elif order.due_at < now:
            on_time = False
    timeline = OrderTimeline(
        order.ref, order.kind, order.response_class, order.status, codes.get(order.depot_id, ""), order.district,
        order.received_at, order.due_at, order.completed_at, order.excused, on_time,
    )
    events = session.execute(
        select(OrderEvent.at, OrderEvent.event, OrderEvent.detail).where(OrderEvent.order_id == order.id).order_by(OrderEvent.at, OrderEvent.id)
    )
    timeline.events = [TimelineEntry(e.at, e.event, e.detail if with_details else "") for e in events]
    delays = session.execute(select(Delay).where(Delay.order_id == order.id).order_by(Delay.recorded_at, Delay.id)).scalars()
    timeline.delays = [
        DelayEntry(
            d.id, order.ref, d.kind, d.cause, cause_label(d.cause), d.attributable, order.response_class,
            timeline.depot, order.district, d.due_at, d.expected_at, d.recorded_at, d.note if with_details else "",
        )
        for d in delays
    ]
    return timeline


# --------------------------------------------------------------------------------------------
# The monthly contract report


@dataclass
class Breach:
    response_class: str
    name: str
    target: float
    percent_on_time: float | None
    shortfall_orders: int
    causes: list[CauseRow]


@dataclass
class RecyclingRow:
    category: str
    collected: int
    returned_to_stock: int
    scrapped: int

    @property
    def recycled_percent(self) -> float | None:
        done = self.returned_to_stock + self.scrapped
        return 100.0 * self.returned_to_stock / done if done else None


@dataclass
class OnLoanRow:
    category: str
    depot: str
    serialised_units: int
    bulk_units: int

    @property
    def units(self) -> int:
        return self.serialised_units + self.bulk_units


@dataclass
class InspectionRow:
    regime: str
    category: str
    in_homes: int
    in_stores: int
    oldest_due: date | None

    @property
    def overdue(self) -> int:
        return self.in_homes + self.in_stores


@dataclass
class MonthlyReport:
    period: Period
    kpis: list[KpiRow]
    total: Figures
    breaches: list[Breach]
    by_depot: list[Breakdown]
    recycling: list[RecyclingRow]
    on_loan: list[OnLoanRow]
    inspections_overdue: list[InspectionRow]
    as_of: datetime


def breaches(rows: list[KpiRow], causes: list[CauseRow]) -> list[Breach]:
    """Every class below its target, with the causes of its late orders."""
    found = []
    for row in rows:
        if row.met is not False:
            continue
        f = row.figures
        # How many more on-time orders the class needed to meet its target.
        needed = int(-(-row.target * f.counted // 100)) - f.on_time
        found.append(
            Breach(
                row.response_class, row.name, row.target, f.percent_on_time, max(needed, 0),
                [c for c in causes if c.response_class == row.response_class],
            )
        )
    return found


RETURN_STATES = [StockState.QUARANTINE.value, StockState.DECONTAMINATED.value, StockState.REPAIR.value]


def recycling(session: Session, p: Period) -> list[RecyclingRow]:
    """Units collected from homes, returned to stock (clean, available) and scrapped in the period,
    by category, from the stock ledger."""
    m = StockMovement.__table__.c
    i = Item.__table__.c
    # Collected: out of a home into the returns states (a collection of units the ledger did not
    # know were on loan books no source).
    collected = and_(
        or_(m.from_state == StockState.ON_LOAN.value, m.kind == "collection"), m.to_state.in_(RETURN_STATES)
    )
    returned = and_(m.from_state.in_(RETURN_STATES), m.to_state == StockState.AVAILABLE.value, m.reverses_id.is_(None))
    scrapped = and_(
        m.reverses_id.is_(None),
        or_(m.to_state == StockState.SCRAPPED.value, and_(m.to_state.is_(None), m.kind.like("%scrap%"))),
    )
    query = (
        select(
            i.category,
            func.coalesce(func.sum(case((collected, m.quantity), else_=0)), 0).label("collected"),
            func.coalesce(func.sum(case((returned, m.quantity), else_=0)), 0).label("returned"),
            func.coalesce(func.sum(case((scrapped, m.quantity), else_=0)), 0).label("scrapped"),
        )
        .select_from(StockMovement.__table__.join(Item.__table__, i.id == m.item_id))
        .where(m.at >= p.start, m.at < p.end, or_(collected, returned, scrapped))
        .group_by(i.category)
        .order_by(i.category)
    )
    return [RecyclingRow(r.category, int(r.collected), int(r.returned), int(r.scrapped)) for r in session.execute(query)]


def on_loan(session: Session) -> list[OnLoanRow]:
    """Equipment on loan now, by category and depot: serialised assets and bulk units."""
    a, i, b = Asset.__table__.c, Item.__table__.c, StockBalance.__table__.c
    codes = _depot_codes(session)
    counts: dict[tuple[str, int], list[int]] = {}
    assets = (
        select(i.category, a.depot_id, func.count().label("n"))
        .select_from(Asset.__table__.join(Item.__table__, i.id == a.item_id))
        .where(a.state == StockState.ON_LOAN.value)
        .group_by(i.category, a.depot_id)
    )
    for r in session.execute(assets):
        counts.setdefault((r.category, r.depot_id), [0, 0])[0] += int(r.n)
    bulk = (
        select(i.category, b.depot_id, func.sum(b.quantity).label("n"))
        .select_from(StockBalance.__table__.join(Item.__table__, i.id == b.item_id))
        .where(b.state == StockState.ON_LOAN.value, i.serialised == false())
        .group_by(i.category, b.depot_id)
    )
    for r in session.execute(bulk):
        if r.n:
            counts.setdefault((r.category, r.depot_id), [0, 0])[1] += int(r.n)
    rows = [OnLoanRow(cat, codes.get(depot, ""), s, bk) for (cat, depot), (s, bk) in counts.items()]
    return sorted(rows, key=lambda r: (r.category, r.depot))


def inspections_overdue(session: Session, *, today: date) -> list[InspectionRow]:
    """Assets past their inspection due date, in homes (on loan) and in the stores."""
    a, i = Asset.__table__.c, Item.__table__.c
    in_home = a.state == StockState.ON_LOAN.value
    query = (
        select(
            i.inspection_regime,
            i.category,
            _count_if(in_home).label("homes"),
            _count_if(not_(in_home)).label("stores"),
            func.min(a.next_inspection_due).label("oldest"),
        )
        .select_from(Asset.__table__.join(Item.__table__, i.id == a.item_id))
        .where(a.next_inspection_due < today, a.state.not_in([StockState.SCRAPPED.value, StockState.LOST.value]))
        .group_by(i.inspection_regime, i.category)
        .order_by(i.inspection_regime, i.category)
    )
    return [InspectionRow(r.inspection_regime, r.category, int(r.homes), int(r.stores), r.oldest) for r in session.execute(query)]


def monthly_report(session: Session, p: Period, *, now: datetime | None = None) -> MonthlyReport:
    """The contract's monthly figures: indicators against targets, breaches and their causes,
    recycling, equipment on loan and inspections overdue."""
    now = now or utcnow()
    rows = kpis(session, p, now=now)
    causes = by_cause(session, p, now=now, per_class=True, late_per_class={r.response_class: r.figures.late for r in rows})
    today = now.astimezone(ZoneInfo(p.tz)).date()
    return MonthlyReport(
        p, rows, totals(rows), breaches(rows, causes), by_depot(session, p, now=now), recycling(session, p),
        on_loan(session), inspections_overdue(session, today=today), now,
    )


# --------------------------------------------------------------------------------------------
# The dashboard, all at once


@dataclass
class Dashboard:
    period: Period
    kpis: list[KpiRow]
    total: Figures
    trend: list[TrendPoint]
    weeks: list[date]
    depots: list[Breakdown]
    districts: list[Breakdown]
    causes: list[CauseRow]
    attributable: list[AttributableRow]
    late: list[LateOrder]
    late_total: int
    at_risk: list[AtRisk]
    at_risk_total: int
    as_of: datetime
    scope: Scope = field(default_factory=Scope)


def dashboard(
    session: Session, p: Period, *, now: datetime | None = None, list_limit: int = 100, scope: Scope = ALL
) -> Dashboard:
    """Everything the officers' dashboard shows for a period. The per-class, per-depot,
    per-district and weekly figures come from one aggregation grouped by all four, rolled up."""
    now = now or utcnow()
    tune_for_aggregation(session)
    week = _week(p)
    keys = [_key(O.response_class, ""), _key(O.depot_id, 0), _key(O.district, "")]
    query = (
        select(*keys, week, *_figure_columns(now))
        .where(_due_in(p, scope))
        .group_by(*keys, week)
    )
    per_class: dict[str, Figures] = defaultdict(Figures)
    per_depot: dict[int, Figures] = defaultdict(Figures)
    per_district: dict[str, Figures] = defaultdict(Figures)
    per_week: dict[tuple[int, str], Figures] = defaultdict(Figures)
    for row in session.execute(query):
        part = _figures(row)
        _add(per_class[row.response_class], part)
        _add(per_depot[row.depot_id], part)
        _add(per_district[row.district], part)
        _add(per_week[(int(row.week), row.response_class)], part)
    rows = _kpi_rows(session, per_class, scope)
    weeks = week_starts(p)
    trend = [
        TrendPoint(weeks[w], code, f)
        for (w, code), f in sorted(per_week.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    ]
    districts = _district_rows(per_district)
    total = totals(rows)
    late, late_total = late_orders(session, p, now=now, limit=list_limit, total=total.late, scope=scope)
    risky, risky_total = at_risk(session, now=now, limit=list_limit, scope=scope)
    causes = by_cause(
        session, p, now=now, late_per_class={r.response_class: r.figures.late for r in rows}, scope=scope
    )
    return Dashboard(
        p, rows, total, trend, weeks, _depot_rows(session, per_depot), districts, causes,
        by_attributable(rows), late, late_total, risky, risky_total, now, scope,
    )
