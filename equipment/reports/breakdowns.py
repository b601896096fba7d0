"""The figures broken down: by depot, by postcode district, by whose fault the late orders were,
and by local week (the trend)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from equipment.db import utcnow
from equipment.models import Depot
from equipment.reports.counting import Figures, O, due_in, figure_columns, figures_of, group_key, tune_for_aggregation
from equipment.reports.indicators import KpiRow
from equipment.reports.periods import Period, week_index, week_starts
from equipment.reports.scopes import ALL, Scope


@dataclass
class Breakdown:
    key: str
    label: str
    figures: Figures


def by_depot(session: Session, p: Period, *, now: datetime | None = None, scope: Scope = ALL) -> list[Breakdown]:
    now = now or utcnow()
    depot = group_key(O.depot_id, 0)
    query = select(depot, *figure_columns(now)).where(due_in(p, scope)).group_by(depot)
    return depot_rows(session, {row.depot_id: figures_of(row) for row in session.execute(query)})


def depot_rows(session: Session, found: dict[int, Figures]) -> list[Breakdown]:
    """Figures by depot id as rows by depot code."""
    depots = {d.id: d for d in session.exec(select(Depot)).scalars()}
    return [
        Breakdown(depots[i].code if i in depots else str(i), depots[i].name if i in depots else "", found[i])
        for i in sorted(found, key=lambda i: depots[i].code if i in depots else str(i))
    ]


def by_district(session: Session, p: Period, *, now: datetime | None = None, scope: Scope = ALL) -> list[Breakdown]:
    now = now or utcnow()
    district = group_key(O.district, "")
    query = select(district, *figure_columns(now)).where(due_in(p, scope)).group_by(district)
    found = {row.district: figures_of(row) for row in session.execute(query)}
    return district_rows(found)


def district_sort_key(district: str) -> tuple[str, int, str]:
    """IP2 before IP10: the letters, then the number."""
    letters = district.rstrip("0123456789")
    digits = district[len(letters) :]
    return (letters, int(digits) if digits.isdigit() else -1, district)


def district_rows(found: dict[str, Figures]) -> list[Breakdown]:
    """Figures by district as rows, IP2 before IP10; a blank district is 'unknown'."""
    return [
        Breakdown(d or "-", d or "unknown", found[d]) for d in sorted(found, key=lambda d: district_sort_key(d or ""))
    ]


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


def week_column(p: Period) -> ColumnElement:
    """The local week of each order's due time, as the column 'week'."""
    return week_index(O.due_at, p).label("week")


def weekly_trend(session: Session, p: Period, *, now: datetime | None = None, scope: Scope = ALL) -> list[TrendPoint]:
    """Per response class and local week (Monday to Sunday) of the due time."""
    now = now or utcnow()
    tune_for_aggregation(session)
    week = week_column(p)
    code = group_key(O.response_class, "")
    query = select(code, week, *figure_columns(now)).where(due_in(p, scope)).group_by(code, week).order_by(week, code)
    weeks = week_starts(p)
    return [TrendPoint(weeks[int(r.week)], r.response_class, figures_of(r)) for r in session.execute(query)]
