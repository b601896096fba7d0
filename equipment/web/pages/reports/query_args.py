"""The officers' pages' query arguments: the period (from, to or month) and the filters (class,
depot), each error kept beside its field."""

from __future__ import annotations

from datetime import date

from flask import request

from equipment import reports
from equipment.errors import DomainError
from equipment.web.database import get_db
from equipment.web.form_checks import form_day
from equipment.web.local_time import service_tz

FILTER_ARGS = ("class", "depot")


def _date_arg(name: str, errors: dict[str, str]) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return form_day(text)
    except ValueError as exc:
        errors[name] = str(exc)
        return None


def period_from_args() -> tuple[reports.Period, dict[str, str]]:
    errors: dict[str, str] = {}
    first, last = _date_arg("from", errors), _date_arg("to", errors)
    try:
        return reports.period(first, last, tz=service_tz()), errors
    except DomainError as exc:
        errors[exc.field or "from"] = exc.detail
        return reports.period(None, None, tz=service_tz()), errors


def scope_from_args(errors: dict[str, str]) -> reports.Scope:
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


def filter_args(scope: reports.Scope) -> dict[str, str]:
    """The filters as query arguments, for links (CSV downloads) that must keep them."""
    args = {}
    if scope.response_class:
        args["class"] = scope.response_class
    if scope.depot:
        args["depot"] = scope.depot
    return args


def month_from_args() -> tuple[reports.Period, dict[str, str]]:
    try:
        return reports.month_period(request.args.get("month", "").strip() or None, tz=service_tz()), {}
    except DomainError as exc:
        return reports.month_period(None, tz=service_tz()), {"month": exc.detail}
