"""The store clerk's pages: stock by depot, an item across depots, an asset's timeline, and the
forms for receipts, counts, transfers, returns and inspections.

Forms post back to their own page. Bad input re-renders the form with the message beside the
field (and nothing written: each use case rolls itself back); success redirects back with a
note, keeping the depot and item so the next barcode scan goes straight in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlmodel import select

from equipment import stock
from equipment.errors import DomainError, NotFound
from equipment.models import Item
from equipment.stock import inspections as inspection_rules
from equipment.stock import queries as stock_queries
from equipment.stock.catalogue import depot_by_code, list_depots
from equipment.vocabulary import Role
from equipment.web.access import allow, current_principal
from equipment.web.database import get_db
from equipment.web.form_checks import form_day

bp = Blueprint("stock_pages", __name__, url_prefix="/stock")
A, CO, CL = Role.ADMIN, Role.COORDINATOR, Role.CLERK
READERS = (A, CO, CL)
WRITERS = (A, CL)
# Service field names -> the form field the message goes beside.
FIELD_OF = {"serials": "serial", "movement": "form", "transfer": "form", "body": "form"}


class FormErrors(dict):
    def add(self, exc: DomainError) -> None:
        field = FIELD_OF.get(exc.field or "form", exc.field or "form")
        self[field] = exc.detail


def _text(name: str) -> str:
    return request.form.get(name, "").strip()


def _int(name: str, errors: FormErrors, *, required: bool = True) -> int | None:
    raw = _text(name)
    if not raw:
        if required:
            errors[name] = "Enter a number."
        return None
    if not re.fullmatch(r"-?\d{1,9}", raw):
        errors[name] = "Enter a whole number."
        return None
    return int(raw)


def _serials(name: str = "serial") -> list[str]:
    return [s for s in re.split(r"[\s,;]+", _text(name)) if s]


def _day(name: str, errors: FormErrors) -> date | None:
    """An optional date field (YYYY-MM-DD); a bad one is a message beside the field."""
    raw = _text(name)
    try:
        return form_day(raw) if raw else None
    except ValueError as exc:
        errors[name] = str(exc)
        return None


def _attempt(errors: FormErrors, call: Callable[[], Any]) -> Any:
    """Run a use case unless the form already has errors; record a domain error beside its field."""
    if errors:
        return None
    try:
        return call()
    except DomainError as exc:
        errors.add(exc)
        return None


def _render(template: str, errors: FormErrors, **context: Any):
    status = 422 if errors else 200
    return render_template(
        template, errors=errors, form=request.form, depots=list_depots(get_db()), skus=_skus(), **context
    ), status


def _skus() -> list[tuple[str, str, bool]]:
    return [(i.sku, i.name, i.serialised) for i in get_db().exec(select(Item).order_by(Item.sku))]


def _me() -> int:
    return current_principal().id


# --- Reading ----------------------------------------------------------------------------------


@bp.route("")
@allow(*READERS)
def stock_overview():
    """Stock by depot with search, counts by state and low-stock warnings."""
    db = get_db()
    depots = list_depots(db)
    code = request.args.get("depot") or (depots[0].code if depots else "")
    q = request.args.get("q", "").strip()[:100]
    rows: list = []
    error = None
    try:
        rows, _ = stock_queries.stock_balances(db, depot_code=code or None, q=q or None, limit=5000)
    except NotFound as exc:
        error = exc.detail
    low = [r for r in rows if r.low]
    # Columns only for states something is in (available always): narrower on a phone.
    states = [s for s in stock_queries.STATES if s == "available" or any(r.counts[s] for r in rows)]
    return render_template(
        "stock/overview.html", depots=depots, code=code, q=q, rows=rows, low=low, error=error, states=states
    )


@bp.route("/items/<sku>")
@allow(*READERS)
def item_page(sku: str):
    """One item's counts by state at every depot, and its assets."""
    db = get_db()
    try:
        item, rows = stock_queries.item_across_depots(db, sku)
    except NotFound:
        abort(404)
    depot = request.args.get("depot")
    assets = []
    total = 0
    if item.serialised:
        depot_id = depot_by_code(db, depot).id if depot and depot in {d.code for d in list_depots(db)} else None
        assets, total = stock_queries.depot_assets(
            db, depot_id=depot_id, sku=sku, state=request.args.get("state"), limit=500
        )
    return render_template(
        "stock/item.html", item=item, rows=rows, assets=assets, total=total, states=stock_queries.STATES
    )


@bp.route("/assets")
@allow(*READERS)
def find_asset():
    """Look an asset up by its serial (typed or scanned)."""
    serial = request.args.get("serial", "").strip()
    if serial:
        try:
            stock_queries.asset_view(get_db(), serial)
            return redirect(url_for("stock_pages.asset_page", serial=serial))
        except NotFound as exc:
            return render_template("stock/find_asset.html", serial=serial, error=exc.detail), 404
    return render_template("stock/find_asset.html", serial="", error=None)


@bp.route("/assets/<serial>")
@allow(*READERS)
def asset_page(serial: str):
    """An asset and its whole timeline."""
    try:
        view = stock_queries.asset_view(get_db(), serial)
    except NotFound:
        abort(404)
    return render_template("stock/asset.html", view=view)


# --- Receipts, counts and transfers -------------------------------------------------------------


@bp.route("/receive", methods=["GET", "POST"])
@allow(*WRITERS)
def receive():
    """Goods received: a quantity for bulk items, one scan per unit for serialised ones."""
    errors = FormErrors()
    if request.method == "POST":
        depot, sku, serials = _text("depot"), _text("sku"), _serials()
        quantity = None if serials else _int("quantity", errors)
        made = _day("manufactured_on", errors)
        receipt = _attempt(
            errors,
            lambda: stock.receive_goods(
                get_db(),
                depot_code=depot,
                sku=sku,
                quantity=quantity,
                serials=serials or None,
                user_id=_me(),
                reason=_text("reason"),
                batch=_text("batch")[:40],
                manufactured_on=made,
            ),
        )
        if receipt:
            what = ", ".join(receipt.serials) if receipt.serials else f"{receipt.quantity} units"
            ready = f" Orders now ready: {', '.join(receipt.orders_ready)}." if receipt.orders_ready else ""
            flash(f"Received {what} of {receipt.sku} at {receipt.depot}.{ready}")
            return redirect(url_for("stock_pages.receive", depot=depot, sku=sku))
    return _render("stock/receive.html", errors)


@bp.route("/adjust", methods=["GET", "POST"])
@allow(*WRITERS)
def adjust():
    """A stock count: what is physically there and available, and why it differs."""
    errors = FormErrors()
    if request.method == "POST":
        depot, sku, serials = _text("depot"), _text("sku"), _serials()
        counted = len(serials) if serials and not _text("counted") else _int("counted", errors)
        movement = _attempt(
            errors,
            lambda: stock.adjust_count(
                get_db(),
                depot_code=depot,
                sku=sku,
                counted=counted,
                reason=_text("reason"),
                serials=serials or None,
                user_id=_me(),
            ),
        )
        if not errors:
            flash(
                f"Count of {sku} at {depot} booked."
                if movement
                else f"Count of {sku} at {depot} matches: nothing to book."
            )
            return redirect(url_for("stock_pages.adjust", depot=depot, sku=sku))
    return _render("stock/adjust.html", errors)


@bp.route("/transfer", methods=["GET", "POST"])
@allow(*WRITERS)
def transfer():
    """Move stock between depots; received at once unless kept in transit."""
    errors = FormErrors()
    if request.method == "POST":
        serials = _serials()
        quantity = None if serials else _int("quantity", errors)
        done = _attempt(
            errors,
            lambda: stock.transfer_stock(
                get_db(),
                from_depot_code=_text("from_depot"),
                to_depot_code=_text("to_depot"),
                sku=_text("sku"),
                quantity=quantity,
                serials=serials or None,
                user_id=_me(),
                receive=not request.form.get("in_transit"),
            ),
        )
        if done:
            flash(
                f"Transfer {done.id}: {done.quantity} × {_text('sku')} {_text('from_depot')} → {_text('to_depot')}"
                f" ({'received' if done.status == 'received' else 'in transit'})."
            )
            return redirect(
                url_for(
                    "stock_pages.transfer", from_depot=_text("from_depot"), to_depot=_text("to_depot"), sku=_text("sku")
                )
            )
    on_the_road, _ = stock_queries.transfers(get_db(), status="in_transit", limit=200)
    return _render("stock/transfer.html", errors, on_the_road=on_the_road)


@bp.route("/transfers/<int:transfer_id>/receive", methods=["POST"])
@allow(*WRITERS)
def receive_transfer(transfer_id: int):
    try:
        stock.receive_transfer(get_db(), transfer_id=transfer_id, user_id=_me())
        flash(f"Transfer {transfer_id} received.")
    except DomainError as exc:
        flash(exc.detail)
    return redirect(url_for("stock_pages.transfer"))


# --- Returns and inspections --------------------------------------------------------------------


@bp.route("/returns", methods=["GET", "POST"])
@allow(*WRITERS)
def returns_queue():
    """Returns: booked in to quarantine, decontaminated, repaired, scrapped or lost; the queues."""
    errors = FormErrors()
    db = get_db()
    if request.method == "POST":
        action = _text("action")
        if _text("sku"):  # bulk units
            quantity = _int("quantity", errors)
            done = _attempt(
                errors,
                lambda: stock.process_bulk(
                    db,
                    depot_code=_text("depot"),
                    sku=_text("sku"),
                    quantity=quantity,
                    action=action,
                    user_id=_me(),
                    note=_text("note"),
                ),
            )
            label = f"{quantity} × {_text('sku')}"
        else:
            serial = _text("serial")
            if not serial:
                errors["serial"] = "Scan or type the serial."
            elif action == "returned":
                done = _attempt(
                    errors, lambda: stock.return_asset(db, serial=serial, depot_code=_text("depot"), user_id=_me())
                )
                done = not errors
            else:
                done = _attempt(
                    errors,
                    lambda: stock.process_asset(db, serial=serial, action=action, user_id=_me(), note=_text("note")),
                )
            label = serial
        if not errors and done:
            flash(f"{label}: {action.replace('_', ' ')}.")
            return redirect(url_for("stock_pages.returns_queue", depot=_text("depot"), action=action))
    code = request.values.get("depot") or ""
    depot_id = None
    if code:
        try:
            depot_id = depot_by_code(db, code).id
        except NotFound:
            code = ""
    return _render("stock/returns.html", errors, queue=stock_queries.returns_queue(db, depot_id=depot_id), code=code)


def _inspection_list(errors: FormErrors) -> dict[str, Any]:
    db = get_db()
    code = request.values.get("depot", "")
    district = request.values.get("district", "").strip().upper()[:6]
    within = request.values.get("within", "30")
    within_days = int(within) if within.isdigit() and int(within) <= 366 else 30
    depot_id = None
    if code:
        try:
            depot_id = depot_by_code(db, code).id
        except NotFound as exc:
            errors["depot"] = exc.detail
    rows, total = inspection_rules.inspections_due(
        db, depot_id=depot_id, district=district or None, within_days=within_days, limit=500
    )
    return {"rows": rows, "total": total, "code": code, "district": district, "within": within_days}


@bp.route("/inspections")
@allow(A, CL, CO)
def inspections():
    """Assets due and overdue for inspection by depot and area, and the form to record one."""
    errors = FormErrors()
    return _render("stock/inspections.html", errors, **_inspection_list(errors))


@bp.route("/inspections", methods=["POST"])
@allow(*WRITERS)
def record_inspection():
    errors = FormErrors()
    serial = _text("serial")
    if not serial:
        errors["serial"] = "Scan or type the serial."
    result = _text("result")
    if result not in ("pass", "fail"):
        errors["result"] = "Choose pass or fail."
    day = None
    if _text("inspected_on"):
        try:
            day = form_day(_text("inspected_on"))
        except ValueError as exc:
            errors["inspected_on"] = str(exc)
    done = _attempt(
        errors,
        lambda: inspection_rules.record_inspection(
            get_db(),
            serial=serial,
            result=result,
            on_fail=_text("on_fail") or "repair",
            note=_text("note"),
            inspected_on=day,
            user_id=_me(),
        ),
    )
    if done:
        flash(f"{serial}: inspection {'passed' if result == 'pass' else 'failed'}; now {done.state}.")
        return redirect(
            url_for(
                "stock_pages.inspections",
                depot=request.values.get("depot", ""),
                district=request.values.get("district", ""),
            )
        )
    return _render("stock/inspections.html", errors, **_inspection_list(FormErrors()))
