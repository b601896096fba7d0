"""The key performance indicators: per response class, orders due, on time, late, excused and
not yet due, and the percentage on time against the class's target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from equipment.db import utcnow
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
from equipment.reports.periods import Period
from equipment.reports.scopes import ALL, Scope, response_classes


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
            "not_yet_due": f.not_yet_due,
            "percent_on_time": f.percent_on_time,
            "target": self.target,
        }


def kpis(session: Session, p: Period, *, now: datetime | None = None, scope: Scope = ALL) -> list[KpiRow]:
    """Per response class: due, on time, late, excused, percent on time, target (with a class
    filter, that class's row only)."""
    now = now or utcnow()
    tune_for_aggregation(session)
    code = group_key(O.response_class, "")
    query = select(code, *figure_columns(now)).where(due_in(p, scope)).group_by(code)
    found = {row.response_class: figures_of(row) for row in session.execute(query)}
    return kpi_rows(session, found, scope)


def kpi_rows(session: Session, found: dict[str, Figures], scope: Scope = ALL) -> list[KpiRow]:
    """One row per known class (in the contract's order, zeros when none were due), then any
    other codes found, against a default target of 95%."""
    found = dict(found)
    classes = [rc for rc in response_classes(session) if scope.response_class in (None, rc.code)]
    rows = [KpiRow(rc.code, rc.name, rc.target_percent, found.pop(rc.code, Figures())) for rc in classes]
    rows += [KpiRow(code, code, 95.0, figures) for code, figures in sorted(found.items())]
    return rows


def totals(rows: list[KpiRow]) -> Figures:
    total = Figures()
    for row in rows:
        add_figures(total, row.figures)
    return total
