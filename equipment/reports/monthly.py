"""The monthly contract report: indicators against targets, the breaches and their causes,
recycling, equipment on loan and inspections overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, false, func, not_, or_, select
from sqlmodel import Session

from equipment import service_time
from equipment.db import utcnow
from equipment.models import Asset, Item, StockBalance, StockMovement
from equipment.reports.breakdowns import Breakdown, by_depot
from equipment.reports.causes import CauseRow, by_cause
from equipment.reports.counting import Figures, count_if
from equipment.reports.indicators import KpiRow, kpis, totals
from equipment.reports.periods import Period
from equipment.reports.scopes import depot_codes
from equipment.vocabulary import StockState

# Where collected equipment waits before it is back in stock or scrapped.
RETURN_STATES = [StockState.QUARANTINE.value, StockState.DECONTAMINATED.value, StockState.REPAIR.value]


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
                row.response_class,
                row.name,
                row.target,
                f.percent_on_time,
                max(needed, 0),
                [c for c in causes if c.response_class == row.response_class],
            )
        )
    return found


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
    return [
        RecyclingRow(r.category, int(r.collected), int(r.returned), int(r.scrapped)) for r in session.execute(query)
    ]


def on_loan(session: Session) -> list[OnLoanRow]:
    """Equipment on loan now, by category and depot: serialised assets and bulk units."""
    a, i, b = Asset.__table__.c, Item.__table__.c, StockBalance.__table__.c
    codes = depot_codes(session)
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
            count_if(in_home).label("homes"),
            count_if(not_(in_home)).label("stores"),
            func.min(a.next_inspection_due).label("oldest"),
        )
        .select_from(Asset.__table__.join(Item.__table__, i.id == a.item_id))
        .where(a.next_inspection_due < today, a.state.not_in([StockState.SCRAPPED.value, StockState.LOST.value]))
        .group_by(i.inspection_regime, i.category)
        .order_by(i.inspection_regime, i.category)
    )
    return [
        InspectionRow(r.inspection_regime, r.category, int(r.homes), int(r.stores), r.oldest)
        for r in session.execute(query)
    ]


def monthly_report(session: Session, p: Period, *, now: datetime | None = None) -> MonthlyReport:
    """The contract's monthly figures: indicators against targets, breaches and their causes,
    recycling, equipment on loan and inspections overdue."""
    now = now or utcnow()
    rows = kpis(session, p, now=now)
    causes = by_cause(
        session, p, now=now, per_class=True, late_per_class={r.response_class: r.figures.late for r in rows}
    )
    today = service_time.to_local(now, p.tz).date()
    return MonthlyReport(
        p,
        rows,
        totals(rows),
        breaches(rows, causes),
        by_depot(session, p, now=now),
        recycling(session, p),
        on_loan(session),
        inspections_overdue(session, today=today),
        now,
    )
