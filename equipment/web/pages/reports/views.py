"""The officers' pages: the dashboard, the monthly report and an order's timeline, and the
template filters they format with."""

from __future__ import annotations

from datetime import datetime

from flask import redirect, render_template, request, url_for

from equipment import reports
from equipment.errors import DomainError
from equipment.vocabulary import Role
from equipment.web.access import allow, current_principal
from equipment.web.database import get_db
from equipment.web.local_time import attribution, local_text
from equipment.web.pages.reports.blueprint import REPORT_READERS, bp
from equipment.web.pages.reports.query_args import (
    FILTER_ARGS,
    filter_args,
    month_from_args,
    period_from_args,
    scope_from_args,
)
from equipment.web.pages.reports.trend_chart import trend_charts


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def calendar_month(p: reports.Period) -> str | None:
    """'YYYY-MM' when the period is exactly one calendar month (the monthly report's), else None."""
    return p.first.strftime("%Y-%m") if reports.month_period(p.first.strftime("%Y-%m"), tz=p.tz) == p else None


def cause_rules() -> dict[str, reports.CauseRule]:
    """Every delay cause with whether the provider answers for it, as configured."""
    return {rule.cause: rule for rule in attribution().rules()}


@bp.app_template_filter("local")
def _local_filter(moment: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    return local_text(moment, fmt)


@bp.app_template_filter("percent")
def _percent_filter(value: float | None) -> str:
    return percent(value)


@bp.get("/")
@allow(*REPORT_READERS)
def dashboard():
    """Performance for a period: % on time per class, trend, breakdowns, late and at-risk orders."""
    p, errors = period_from_args()
    filter_errors: dict[str, str] = {}
    scope = scope_from_args(filter_errors)
    errors.update(filter_errors)
    db = get_db()
    # An unknown class or depot: the message beside its field, and no figures at all rather than
    # figures that look filtered but are not.
    board = None if filter_errors else reports.dashboard(db, p, scope=scope)
    return render_template(
        "reports/dashboard.html",
        board=board,
        p=p,
        errors=errors,
        charts=trend_charts(board) if board else [],
        args={"from": p.first.isoformat(), "to": p.last.isoformat(), **filter_args(scope)},
        classes=reports.response_classes(db),
        depots=reports.depots(db),
        scope=scope,
        chosen={name: request.args.get(name, "").strip() for name in FILTER_ARGS},
        rules=cause_rules(),
        month=calendar_month(p),
    )


@bp.get("/monthly")
@allow(*REPORT_READERS)
def monthly_report():
    """The monthly contract report, print-friendly."""
    p, errors = month_from_args()
    report = reports.monthly_report(get_db(), p)
    return render_template(
        "reports/monthly.html",
        report=report,
        p=p,
        errors=errors,
        month=p.first.strftime("%Y-%m"),
        args={"month": p.first.strftime("%Y-%m")},
        rules=cause_rules(),
    )


@bp.get("/orders")
@allow(*REPORT_READERS)
def find_order():
    """The look-up form's target: go to the order's timeline."""
    ref = request.args.get("ref", "").strip().upper()
    if not ref:
        return redirect(url_for("reports_pages.dashboard"))
    return redirect(url_for("reports_pages.order_timeline", ref=ref))


@bp.get("/orders/<ref>")
@allow(*REPORT_READERS)
def order_timeline(ref: str):
    """One order's timeline by reference: no names or addresses; officers see no free text."""
    principal = current_principal()
    try:
        timeline = reports.order_timeline(get_db(), ref, with_details=principal.role != Role.OFFICER)
    except DomainError as exc:
        return render_template("error.html", title="No such order", message=exc.detail), exc.status
    return render_template("reports/timeline.html", t=timeline)
