"""The officers' dashboard, all at once: the KPIs, the weekly trend, the breakdowns, the causes
and the lists of late and at-risk orders for one period and scope."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from equipment.db import utcnow
from equipment.reports.breakdowns import (
    AttributableRow,
    Breakdown,
    TrendPoint,
    by_attributable,
    depot_rows,
    district_rows,
    week_column,
)
from equipment.reports.causes import CauseRow, by_cause
from equipment.reports.counting import (
    Figures,
    O,
    add_figures,
    due_in,
    figure_columns,
    figures_of,
    group_key,
    tune_for_aggregation,
)
from equipment.reports.indicators import KpiRow, kpi_rows, totals
from equipment.reports.late_lists import AtRisk, LateOrder, at_risk, late_orders
from equipment.reports.periods import Period, week_starts
from equipment.reports.scopes import ALL, Scope


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
    week = week_column(p)
    keys = [group_key(O.response_class, ""), group_key(O.depot_id, 0), group_key(O.district, "")]
    query = select(*keys, week, *figure_columns(now)).where(due_in(p, scope)).group_by(*keys, week)
    per_class: dict[str, Figures] = defaultdict(Figures)
    per_depot: dict[int, Figures] = defaultdict(Figures)
    per_district: dict[str, Figures] = defaultdict(Figures)
    per_week: dict[tuple[int, str], Figures] = defaultdict(Figures)
    for row in session.execute(query):
        part = figures_of(row)
        add_figures(per_class[row.response_class], part)
        add_figures(per_depot[row.depot_id], part)
        add_figures(per_district[row.district], part)
        add_figures(per_week[(int(row.week), row.response_class)], part)
    rows = kpi_rows(session, per_class, scope)
    weeks = week_starts(p)
    trend = [
        TrendPoint(weeks[w], code, f) for (w, code), f in sorted(per_week.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    ]
    districts = district_rows(per_district)
    total = totals(rows)
    late, late_total = late_orders(session, p, now=now, limit=list_limit, total=total.late, scope=scope)
    risky, risky_total = at_risk(session, now=now, limit=list_limit, scope=scope)
    causes = by_cause(session, p, now=now, late_per_class={r.response_class: r.figures.late for r in rows}, scope=scope)
    return Dashboard(
        p,
        rows,
        total,
        trend,
        weeks,
        depot_rows(session, per_depot),
        districts,
        causes,
        by_attributable(rows),
        late,
        late_total,
        risky,
        risky_total,
        now,
        scope,
    )
