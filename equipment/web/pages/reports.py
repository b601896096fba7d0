"""Officers' pages: the performance dashboard, the monthly contract report, an order's timeline
(by reference, never a name or address) and a CSV download of every table."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from markupsafe import Markup, escape

from equipment import reports
from equipment.errors import DomainError
from equipment.vocabulary import Role
from equipment.web.access import allow, current_principal
from equipment.web.database import get_db
from equipment.web.local_time import local_text, service_tz

bp = Blueprint("reports_pages", __name__, url_prefix="/reports")
READERS = (Role.ADMIN, Role.COORDINATOR, Role.OFFICER)
CLASS_COLOURS = ["#0b5cad", "#1e7b34", "#9a6700", "#6a3d9a", "#00838f", "#5b6472"]


def _date_arg(name: str, errors: dict[str, str]) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = "Give a date as YYYY-MM-DD."
        return None


def _period_from_args() -> tuple[reports.Period, dict[str, str]]:
    errors: dict[str, str] = {}
    first, last = _date_arg("from", errors), _date_arg("to", errors)
    try:
        return reports.period(first, last, tz=service_tz()), errors
    except DomainError as exc:
        errors[exc.field or "from"] = exc.detail
        return reports.period(None, None, tz=service_tz()), errors


FILTER_ARGS = ("class", "depot")


def _scope_from_args(errors: dict[str, str]) -> reports.Scope:
    """The optional response class and depot filters; an unknown one goes into `errors` beside
    its field (and the figures are not shown as if unfiltered)."""
    db = get_db()
    found = reports.ALL
    for name in FILTER_ARGS:
        try:
            one = reports.scope(db, **{"response_class" if name == "class" else "depot": request.args.get(name)})
        except DomainError as exc:
            errors[exc.field or name] = exc.detail
            continue
        found = reports.Scope(
            one.response_class or found.response_class,
            one.depot_id if one.depot_id is not None else found.depot_id,
            one.depot or found.depot,
        )
    return found


def _filter_args(scope: reports.Scope) -> dict[str, str]:
    """The filters as query arguments, for links (CSV downloads) that must keep them."""
    args = {}
    if scope.response_class:
        args["class"] = scope.response_class
    if scope.depot:
        args["depot"] = scope.depot
    return args


def _month_from_args() -> tuple[reports.Period, dict[str, str]]:
    try:
        return reports.month_period(request.args.get("month", "").strip() or None, tz=service_tz()), {}
    except DomainError as exc:
        return reports.month_period(None, tz=service_tz()), {"month": exc.detail}


def local_time(moment: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    return local_text(moment, fmt)


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


@bp.app_template_filter("local")
def _local_filter(moment: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    return local_time(moment, fmt)


@bp.app_template_filter("percent")
def _percent_filter(value: float | None) -> str:
    return percent(value)


# --------------------------------------------------------------------------------------------
# The weekly trend chart: an inline SVG drawn here, no JavaScript needed.


def trend_charts(board: reports.Dashboard) -> list[tuple[str, Markup]]:
    """One small chart per response class with orders in the period."""
    points: dict[str, dict[date, reports.Figures]] = {}
    for t in board.trend:
        points.setdefault(t.response_class, {})[t.week_start] = t.figures
    return [
        (row.name, trend_svg(row, points.get(row.response_class, {}), board.weeks, colour=CLASS_COLOURS[n % len(CLASS_COLOURS)]))
        for n, row in enumerate(board.kpis)
        if row.figures.due
    ]


def trend_svg(
    row: reports.KpiRow, weekly: dict[date, reports.Figures], weeks: list[date], *, colour: str,
    width: int = 460, height: int = 190,
) -> Markup:
    """% on time per week for one class, with its target as a dashed line; each point has a title."""
    left, right, top, bottom = 42, 10, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    series = [(i, weekly[w].percent_on_time, w) for i, w in enumerate(weeks) if w in weekly and weekly[w].percent_on_time is not None]
    lowest = min([p for _, p, _ in series] + [row.target])
    low = max(0.0, min(80.0, (lowest // 10) * 10))

    def x(i: int) -> float:
        return left + plot_w * i / max(len(weeks) - 1, 1)

    def y(pct: float) -> float:
        return top + plot_h * (100 - max(pct, low)) / (100 - low)

    parts = [
        (
            f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg" '
            f'aria-label="{escape(row.name)}: weekly percentage on time against a target of {row.target:g}%">'
        )
    ]
    for tick in range(int(low), 101, 10 if 100 - low <= 50 else 20):
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e3e6ea"/>')
        parts.append(f'<text x="{left - 5}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11" fill="#5b6472">{tick}%</text>')
    step = max(1, len(weeks) // 6)
    for i, week in enumerate(weeks):
        if i % step == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" font-size="11" fill="#5b6472">'
                f"{week.strftime('%d %b')}</text>"
            )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{y(row.target):.1f}" y2="{y(row.target):.1f}" stroke="#1d2430" '
        f'stroke-dasharray="5 4"><title>Target {row.target:g}%</title></line>'
    )
    if series:
        path = " ".join(f"{'M' if k == 0 else 'L'}{x(i):.1f},{y(p):.1f}" for k, (i, p, _) in enumerate(series))
        parts.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, p, week in series:
            below = p < row.target
            f = weekly[week]
            label = escape(f"Week of {week:%d %b %Y}: {p:.1f}% on time ({f.on_time} of {f.counted}; {f.late} late)")
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(p):.1f}" r="{3 if below else 2.2}" fill="{"#b3261e" if below else colour}">'
                f"<title>{label}</title></circle>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


# --------------------------------------------------------------------------------------------
# Pages


@bp.get("/")
@allow(*READERS)
def dashboard():
    """Performance for a period: % on time per class, trend, breakdowns, late and at-risk orders."""
    p, errors = _period_from_args()
    filter_errors: dict[str, str] = {}
    scope = _scope_from_args(filter_errors)
    errors.update(filter_errors)
    db = get_db()
    # An unknown class or depot: the message beside its field, and no figures at all rather than
    # figures that look filtered but are not.
    board = None if filter_errors else reports.dashboard(db, p, scope=scope)
    return render_template(
        "reports/dashboard.html", board=board, p=p, errors=errors, charts=trend_charts(board) if board else [],
        args={"from": p.first.isoformat(), "to": p.last.isoformat(), **_filter_args(scope)},
        classes=reports.response_classes(db), depots=reports.depots(db), scope=scope,
        chosen={name: request.args.get(name, "").strip() for name in FILTER_ARGS},
    )


@bp.get("/monthly")
@allow(*READERS)
def monthly_report():
    """The monthly contract report, print-friendly."""
    p, errors = _month_from_args()
    report = reports.monthly_report(get_db(), p)
    return render_template(
        "reports/monthly.html", report=report, p=p, errors=errors, month=p.first.strftime("%Y-%m"),
        args={"month": p.first.strftime("%Y-%m")},
    )


@bp.get("/orders")
@allow(*READERS)
def find_order():
    """The look-up form's target: go to the order's timeline."""
    ref = request.args.get("ref", "").strip().upper()
    if not ref:
        return redirect(url_for("reports_pages.dashboard"))
    return redirect(url_for("reports_pages.order_timeline", ref=ref))


@bp.get("/orders/<ref>")
@allow(*READERS)
def order_timeline(ref: str):
    """One order's timeline by reference: no names or addresses; officers see no free text."""
    principal = current_principal()
    try:
        timeline = reports.order_timeline(get_db(), ref, with_details=principal.role != Role.OFFICER)
    except DomainError as exc:
        return render_template("error.html", title="No such order", message=exc.detail), exc.status
    return render_template("reports/timeline.html", t=timeline)


# --------------------------------------------------------------------------------------------
# CSV downloads: every table on the pages


def _stamp(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _kpi_rows(rows: list[reports.KpiRow]) -> Iterator[list[Any]]:
    for r in rows:
        f = r.figures
        yield [r.response_class, r.name, f.due, f.on_time, f.late, f.excused, f.pending, _pct(f.percent_on_time), r.target,
               {True: "met", False: "breached", None: ""}[r.met]]


KPI_HEADER = ["response_class", "name", "due", "on_time", "late", "excused", "not_yet_due", "percent_on_time", "target", "result"]
BREAKDOWN_HEADER = ["due", "on_time", "late", "excused", "percent_on_time"]


def _breakdown_rows(parts: list[reports.Breakdown]) -> Iterator[list[Any]]:
    for b in parts:
        f = b.figures
        yield [b.key, f.due, f.on_time, f.late, f.excused, _pct(f.percent_on_time)]


def _late_rows(items: list[reports.LateOrder]) -> Iterator[list[Any]]:
    for o in items:
        yield [o.ref, o.response_class, o.kind, o.status, o.depot, o.district, _stamp(o.due_at), _stamp(o.completed_at),
               o.minutes_late, "yes" if o.excused else "no", o.cause]


def _tables() -> dict[str, Callable[[], tuple[list[str], Iterator[list[Any]]]]]:
    db = get_db()

    def period() -> reports.Period:
        p, errors = _period_from_args()
        if errors:
            abort(422, "; ".join(errors.values()))
        return p

    def scope() -> reports.Scope:
        errors: dict[str, str] = {}
        found = _scope_from_args(errors)
        if errors:
            abort(422, "; ".join(errors.values()))
        return found

    def month() -> reports.Period:
        p, errors = _month_from_args()
        if errors:
            abort(422, "; ".join(errors.values()))
        return p

    def weekly():
        return (["week_start", "response_class", *BREAKDOWN_HEADER],
                ([t.week_start.isoformat(), t.response_class, t.figures.due, t.figures.on_time, t.figures.late,
                  t.figures.excused, _pct(t.figures.percent_on_time)]
                 for t in reports.weekly_trend(db, period(), scope=scope())))

    def causes(rows: list[reports.CauseRow]):
        return ([r.response_class or "", r.cause, r.label, "yes" if r.attributable else "no", r.late_orders] for r in rows)

    def delays():
        s = scope()
        filters = reports.DelayFilter(response_class=s.response_class, depot=s.depot)
        entries, _ = reports.delay_log(db, period(), filters, limit=None)
        return (["recorded_at", "order_ref", "kind", "cause", "attributable", "response_class", "depot", "district",
                 "due_at", "expected_at"],
                ([_stamp(e.recorded_at), e.order_ref, e.kind, e.cause, "yes" if e.attributable else "no",
                  e.response_class, e.depot, e.district, _stamp(e.due_at), _stamp(e.expected_at)] for e in entries))

    def at_risk():
        items, _ = reports.at_risk(db, limit=None, scope=scope())
        return (["ref", "response_class", "kind", "status", "depot", "district", "due_at", "planned_eta", "reason"],
                ([i.ref, i.response_class, i.kind, i.status, i.depot, i.district, _stamp(i.due_at), _stamp(i.planned_eta),
                  i.reason] for i in items))

    def monthly_breaches():
        report = reports.monthly_report(db, month())
        return (["response_class", "target", "percent_on_time", "more_on_time_needed", "cause", "attributable", "late_orders"],
                ([b.response_class, b.target, _pct(b.percent_on_time), b.shortfall_orders, c.cause,
                  "yes" if c.attributable else "no", c.late_orders] for b in report.breaches for c in b.causes))

    return {
        "kpis": lambda: (KPI_HEADER, _kpi_rows(reports.kpis(db, period(), scope=scope()))),
        "weekly": weekly,
        "depots": lambda: (["depot", *BREAKDOWN_HEADER],
                           _breakdown_rows(reports.by_depot(db, period(), scope=scope()))),
        "districts": lambda: (["district", *BREAKDOWN_HEADER],
                              _breakdown_rows(reports.by_district(db, period(), scope=scope()))),
        "causes": lambda: (["response_class", "cause", "label", "attributable", "late_orders"],
                           causes(reports.by_cause(db, period(), scope=scope()))),
        "attributable": lambda: (["response_class", "late", "attributable", "not_attributable"],
                                 ([a.response_class, a.late, a.attributable, a.not_attributable]
                                  for a in reports.by_attributable(reports.kpis(db, period(), scope=scope())))),
        "late": lambda: (["ref", "response_class", "kind", "status", "depot", "district", "due_at", "completed_at",
                          "minutes_late", "excused", "cause"],
                         _late_rows(reports.late_orders(db, period(), limit=None, scope=scope())[0])),
        "at_risk": at_risk,
        "delays": delays,
        "monthly_kpis": lambda: (KPI_HEADER, _kpi_rows(reports.kpis(db, month()))),
        "monthly_depots": lambda: (["depot", *BREAKDOWN_HEADER], _breakdown_rows(reports.by_depot(db, month()))),
        "breaches": monthly_breaches,
        "recycling": lambda: (["category", "collected", "returned_to_stock", "scrapped", "percent_returned"],
                              ([r.category, r.collected, r.returned_to_stock, r.scrapped, _pct(r.recycled_percent)]
                               for r in reports.recycling(db, month()))),
        "on_loan": lambda: (["category", "depot", "serialised_units", "bulk_units", "units"],
                            ([r.category, r.depot, r.serialised_units, r.bulk_units, r.units] for r in reports.on_loan(db))),
        "inspections_overdue": lambda: (["regime", "category", "in_homes", "in_stores", "overdue", "oldest_due"],
                                        ([r.regime, r.category, r.in_homes, r.in_stores, r.overdue,
                                          r.oldest_due.isoformat() if r.oldest_due else ""]
                                         for r in reports.inspections_overdue(db, today=date.today()))),
    }


# The dashboard's tables: these take the class and depot filters too.
FILTERED_TABLES = ("kpis", "weekly", "depots", "districts", "causes", "attributable", "late", "at_risk", "delays")
CSV_TABLES = (
    "kpis", "weekly", "depots", "districts", "causes", "attributable", "late", "at_risk", "delays",
    "monthly_kpis", "monthly_depots", "breaches", "recycling", "on_loan", "inspections_overdue",
)


@bp.get("/csv/<name>.csv")
@allow(*READERS)
def csv_download(name: str):
    """One table of the dashboard or the monthly report as CSV, for the same period."""
    tables = _tables()
    if name not in tables:
        abort(404, f"There is no table called {name}.")
    header, rows = tables[name]()

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in [header, *rows]:
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)

    suffix = "-".join(v for k, v in sorted(request.args.items()) if k in ("from", "to", "month"))
    if name in FILTERED_TABLES:
        # Already checked against the known classes and depots by the table's query.
        filters = [re.sub(r"[^A-Za-z0-9_]", "", request.args.get("class", "").strip()),
                   re.sub(r"[^A-Z0-9_]", "", request.args.get("depot", "").strip().upper())]
        suffix = "-".join(part for part in (suffix, *filters) if part)
    filename = f"{name}{'-' + suffix if suffix else ''}.csv"
    return Response(
        stream_with_context(generate()), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
