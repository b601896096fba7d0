"""CSV downloads: every table on the dashboard and the monthly report, for the same period (and,
for the dashboard's tables, the same class and depot filters)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any

from flask import Response, abort, stream_with_context
from sqlmodel import Session

from equipment import reports
from equipment.web.access import allow
from equipment.web.database import get_db
from equipment.web.pages.reports.blueprint import REPORT_READERS, bp
from equipment.web.pages.reports.query_args import month_from_args, period_from_args, scope_from_args

Table = tuple[list[str], Iterable[list[Any]]]

KPI_HEADER = [
    "response_class",
    "name",
    "due",
    "on_time",
    "late",
    "excused",
    "not_yet_due",
    "percent_on_time",
    "target",
    "result",
]
BREAKDOWN_HEADER = ["due", "on_time", "late", "excused", "not_yet_due", "percent_on_time"]


def _stamp(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


# --------------------------------------------------------------------------------------------
# The query arguments, checked: a table is never shown for a period or filter it did not get.


def _period() -> reports.Period:
    p, errors = period_from_args()
    if errors:
        abort(422, "; ".join(errors.values()))
    return p


def _scope() -> reports.Scope:
    errors: dict[str, str] = {}
    found = scope_from_args(errors)
    if errors:
        abort(422, "; ".join(errors.values()))
    return found


def _month() -> reports.Period:
    p, errors = month_from_args()
    if errors:
        abort(422, "; ".join(errors.values()))
    return p


# --------------------------------------------------------------------------------------------
# Rows


def _kpi_rows(rows: list[reports.KpiRow]) -> Iterator[list[Any]]:
    for r in rows:
        f = r.figures
        yield [
            r.response_class,
            r.name,
            f.due,
            f.on_time,
            f.late,
            f.excused,
            f.not_yet_due,
            _pct(f.percent_on_time),
            r.target,
            {True: "met", False: "breached", None: ""}[r.met],
        ]


def _breakdown_rows(parts: list[reports.Breakdown]) -> Iterator[list[Any]]:
    for b in parts:
        f = b.figures
        yield [b.key, f.due, f.on_time, f.late, f.excused, f.not_yet_due, _pct(f.percent_on_time)]


def _late_rows(items: list[reports.LateOrder]) -> Iterator[list[Any]]:
    for o in items:
        yield [
            o.ref,
            o.response_class,
            o.kind,
            o.status,
            o.depot,
            o.district,
            _stamp(o.due_at),
            _stamp(o.completed_at),
            o.minutes_late,
            _yes_no(o.excused),
            o.cause,
        ]


def _cause_rows(rows: list[reports.CauseRow]) -> Iterator[list[Any]]:
    return ([r.response_class or "", r.cause, r.label, _yes_no(r.attributable), r.late_orders] for r in rows)


# --------------------------------------------------------------------------------------------
# The dashboard's tables


def _kpis(db: Session) -> Table:
    return KPI_HEADER, _kpi_rows(reports.kpis(db, _period(), scope=_scope()))


def _weekly(db: Session) -> Table:
    return (
        ["week_start", "response_class", *BREAKDOWN_HEADER],
        (
            [
                t.week_start.isoformat(),
                t.response_class,
                t.figures.due,
                t.figures.on_time,
                t.figures.late,
                t.figures.excused,
                t.figures.not_yet_due,
                _pct(t.figures.percent_on_time),
            ]
            for t in reports.weekly_trend(db, _period(), scope=_scope())
        ),
    )


def _depots(db: Session) -> Table:
    return ["depot", *BREAKDOWN_HEADER], _breakdown_rows(reports.by_depot(db, _period(), scope=_scope()))


def _districts(db: Session) -> Table:
    return ["district", *BREAKDOWN_HEADER], _breakdown_rows(reports.by_district(db, _period(), scope=_scope()))


def _causes(db: Session) -> Table:
    return (
        ["response_class", "cause", "label", "attributable", "late_orders"],
        _cause_rows(reports.by_cause(db, _period(), scope=_scope())),
    )


def _attributable(db: Session) -> Table:
    return (
        ["response_class", "late", "attributable", "not_attributable"],
        (
            [a.response_class, a.late, a.attributable, a.not_attributable]
            for a in reports.by_attributable(reports.kpis(db, _period(), scope=_scope()))
        ),
    )


def _late(db: Session) -> Table:
    return (
        [
            "ref",
            "response_class",
            "kind",
            "status",
            "depot",
            "district",
            "due_at",
            "completed_at",
            "minutes_late",
            "excused",
            "cause",
        ],
        _late_rows(reports.late_orders(db, _period(), limit=None, scope=_scope())[0]),
    )


def _at_risk(db: Session) -> Table:
    items, _ = reports.at_risk(db, limit=None, scope=_scope())
    return (
        ["ref", "response_class", "kind", "status", "depot", "district", "due_at", "planned_eta", "reason"],
        (
            [
                i.ref,
                i.response_class,
                i.kind,
                i.status,
                i.depot,
                i.district,
                _stamp(i.due_at),
                _stamp(i.planned_eta),
                i.reason,
            ]
            for i in items
        ),
    )


def _delays(db: Session) -> Table:
    s = _scope()
    filters = reports.DelayFilter(response_class=s.response_class, depot=s.depot)
    entries, _ = reports.delay_log(db, _period(), filters, limit=None)
    return (
        [
            "recorded_at",
            "order_ref",
            "kind",
            "cause",
            "attributable",
            "response_class",
            "depot",
            "district",
            "due_at",
            "expected_at",
        ],
        (
            [
                _stamp(e.recorded_at),
                e.order_ref,
                e.kind,
                e.cause,
                _yes_no(e.attributable),
                e.response_class,
                e.depot,
                e.district,
                _stamp(e.due_at),
                _stamp(e.expected_at),
            ]
            for e in entries
        ),
    )


# --------------------------------------------------------------------------------------------
# The monthly report's tables


def _monthly_kpis(db: Session) -> Table:
    return KPI_HEADER, _kpi_rows(reports.kpis(db, _month()))


def _monthly_depots(db: Session) -> Table:
    return ["depot", *BREAKDOWN_HEADER], _breakdown_rows(reports.by_depot(db, _month()))


def _breaches(db: Session) -> Table:
    report = reports.monthly_report(db, _month())
    return (
        ["response_class", "target", "percent_on_time", "more_on_time_needed", "cause", "attributable", "late_orders"],
        (
            [
                b.response_class,
                b.target,
                _pct(b.percent_on_time),
                b.shortfall_orders,
                c.cause,
                _yes_no(c.attributable),
                c.late_orders,
            ]
            for b in report.breaches
            for c in b.causes
        ),
    )


def _recycling(db: Session) -> Table:
    return (
        ["category", "collected", "returned_to_stock", "scrapped", "percent_returned"],
        (
            [r.category, r.collected, r.returned_to_stock, r.scrapped, _pct(r.recycled_percent)]
            for r in reports.recycling(db, _month())
        ),
    )


def _on_loan(db: Session) -> Table:
    return (
        ["category", "depot", "serialised_units", "bulk_units", "units"],
        ([r.category, r.depot, r.serialised_units, r.bulk_units, r.units] for r in reports.on_loan(db)),
    )


def _inspections_overdue(db: Session) -> Table:
    return (
        ["regime", "category", "in_homes", "in_stores", "overdue", "oldest_due"],
        (
            [r.regime, r.category, r.in_homes, r.in_stores, r.overdue, r.oldest_due.isoformat() if r.oldest_due else ""]
            for r in reports.inspections_overdue(db, today=date.today())
        ),
    )


TABLES: dict[str, Callable[[Session], Table]] = {
    "kpis": _kpis,
    "weekly": _weekly,
    "depots": _depots,
    "districts": _districts,
    "causes": _causes,
    "attributable": _attributable,
    "late": _late,
    "at_risk": _at_risk,
    "delays": _delays,
    "monthly_kpis": _monthly_kpis,
    "monthly_depots": _monthly_depots,
    "breaches": _breaches,
    "recycling": _recycling,
    "on_loan": _on_loan,
    "inspections_overdue": _inspections_overdue,
}
# The dashboard's tables: these take the class and depot filters too.
FILTERED_TABLES = ("kpis", "weekly", "depots", "districts", "causes", "attributable", "late", "at_risk", "delays")
CSV_TABLES = tuple(TABLES)


@bp.get("/csv/<name>.csv")
@allow(*REPORT_READERS)
def csv_download(name: str):
    """One table of the dashboard or the monthly report as CSV, for the same period."""
    if name not in TABLES:
        abort(404, f"There is no table called {name}.")
    header, rows = TABLES[name](get_db())

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in [header, *rows]:
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{_filename(name)}"'},
    )


# Which tables are for a period (from, to) and which for a month: their names carry it.
PERIOD_TABLES = ("kpis", "weekly", "depots", "districts", "causes", "attributable", "late", "delays")
MONTH_TABLES = ("monthly_kpis", "monthly_depots", "breaches", "recycling")


def _filename(name: str) -> str:
    """The table's name and the period (and filters) it holds, built only from parsed values
    (dates, known class and depot codes), never from the raw query string."""
    parts: list[str] = []
    if name in PERIOD_TABLES:
        p = _period()
        parts += [p.first.isoformat(), p.last.isoformat()]
    elif name in MONTH_TABLES:
        parts.append(f"{_month().first:%Y-%m}")
    if name in FILTERED_TABLES:
        s = _scope()
        parts += [s.response_class or "", s.depot or ""]
    # The codes come from the database; keep the header safe even if one held something odd.
    safe = (re.sub(r"[^A-Za-z0-9_-]", "", part) for part in parts)
    return "-".join([name, *(part for part in safe if part)]) + ".csv"
