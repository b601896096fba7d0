"""Coordinators' order pages: a fast new-order form, the order list, one order with its timeline
(and authorise, amend, cancel)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from pydantic import ValidationError
from sqlmodel import select

from equipment import orders
from equipment.errors import DomainError, Invalid
from equipment.models import Asset, ResponseClass
from equipment.orders import clocks
from equipment.orders import queries as orders_queries
from equipment.orders.intake import OrderSettings
from equipment.orders.schemas import OrderAmend, OrderCreate
from equipment.orders.search import is_nhs_number_search
from equipment.people import accounts
from equipment.plain_words import plain
from equipment.stock.catalogue import list_depots
from equipment.vocabulary import CAUSE_LABELS, OrderStatus, Role
from equipment.web import lookup_limits
from equipment.web.access import allow, current_principal
from equipment.web.database import get_db
from equipment.web.form_checks import form_errors
from equipment.web.labels import when
from equipment.web.pages.order_form import (
    SLOTS,
    field_for_form,
    form_lines,
    form_slot,
    order_body,
    validation_errors,
    whole_form_errors,
    with_blank_rows,
)

bp = Blueprint("orders_pages", __name__, url_prefix="/orders")
TAKERS = (Role.ADMIN, Role.COORDINATOR)
PAGE_SIZE = 50
MAX_PAGE = 100_000  # past any real list; keeps the offset inside the database's integers
OPEN = set(OrderStatus) - {OrderStatus.LOADED, OrderStatus.COMPLETED, OrderStatus.CANCELLED}


def _settings() -> OrderSettings:
    return OrderSettings.from_config(current_app.config)


def _tz() -> str:
    return _settings().tz


@bp.app_template_filter("orders_time")
def _orders_time(moment: datetime | None, fmt: str = "%a %d %b %H:%M") -> str:
    """Local time; the year shows when it is not this year."""
    return when(moment, fmt)


def _classes() -> list[ResponseClass]:

    return list(get_db().exec(select(ResponseClass).order_by(ResponseClass.kind.desc(), ResponseClass.amount)))


# --- pages ----------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@allow(*TAKERS)
def new_order():
    """The new-order form: person, prescriber, items (with live availability), timing (with the
    due time). A failed submit keeps what was typed and names every problem beside its field."""
    errors: dict[str, str] = {}
    form: Any = request.form if request.method == "POST" else {}
    typed: list[dict] = []
    if request.method == "POST":
        body, row_of, typed = order_body(request.form)
        errors = whole_form_errors(get_db(), request.form, body, row_of)
        order = _take_order(body, row_of, errors)
        if order is not None:
            due = _orders_time(order.due_at, "%a %d %b %Y %H:%M") if order.due_at else "when authorised"
            flash(f"Order {order.ref} taken: {plain(order.status)}, due {due}.")
            return redirect(url_for("orders_pages.order_detail", ref=order.ref))
    elif request.args.get("for"):
        form, typed = _prefill_from(request.args["for"], request.args.get("kind", "delivery"))
    return render_template(
        "orders/new.html",
        form=form,
        errors=errors,
        lines=with_blank_rows(typed),
        classes=_classes(),
        prescribers=accounts.list_prescribers(get_db()),
        previews=_due_previews(),
        slots=SLOTS,
        now_local=datetime.now(clocks.zone(_tz())).strftime("%Y-%m-%dT%H:%M"),
    ), (422 if errors else 200)


def _take_order(body: dict, row_of: list[int], errors: dict[str, str]):
    """The order taken, or None with `errors` filled in: the model's problems and the form's
    own checks all at once, else the one the use case met."""
    try:
        data = OrderCreate.model_validate(body)
    except ValidationError as exc:
        data = None
        errors.update({**validation_errors(exc, row_of), **errors})
    if data is None or errors:
        return None
    try:
        return orders.create_order(get_db(), data=data, user_id=current_principal().id, settings=_settings())
    except DomainError as exc:
        errors[field_for_form(exc.field or "form", row_of)] = exc.detail
    return None


def _prefill_from(ref: str, kind: str) -> tuple[dict[str, str], list[dict]]:
    """A new order for the person of order `ref` (viewing them is audited); a collection is
    prefilled with what that order left on loan."""

    view = orders_queries.view_order(get_db(), ref=ref, user_id=current_principal().id, personal=True)
    p = view.person
    form = {
        "kind": kind if kind in ("delivery", "collection", "inspection") else "delivery",
        "su_name": p.name,
        "su_address": p.address,
        "su_postcode": p.postcode,
        "su_nhs_number": p.nhs_number or "",
        "su_phone": p.phone,
        "su_access_notes": p.access_notes,
        "su_safety_alerts": p.safety_alerts,
    }
    if form["kind"] == "collection":
        form["response_class"] = "standard_collection"
    typed: list[dict] = []
    if form["kind"] != "delivery" and view.order.kind == "delivery":
        for line, item in view.lines:
            if item.serialised:
                on_loan = (
                    get_db()
                    .exec(select(Asset.serial).where(Asset.order_line_id == line.id, Asset.state == "on_loan"))
                    .all()
                )
                typed += [{"sku": "", "serial": serial, "quantity": "1"} for serial in on_loan]
            elif item.returnable:
                typed.append({"sku": item.sku, "serial": "", "quantity": str(line.quantity)})
    return form, typed


def _due_previews() -> dict[str, datetime | None]:
    """The due time each class would give an order received now (the page without scripts)."""
    result = {}
    for rc in _classes():
        result[rc.code] = orders_queries.preview_due(get_db(), response_class=rc.code, received_at=None, tz=_tz())[3]
    return result


@bp.route("")
@allow(*TAKERS)
def order_list():
    """Orders found by ref, NHS number, name or postcode and filtered by status (open orders
    first thing), class, depot and due date, earliest due first, paged."""
    args = request.args
    page = min(max(1, args.get("page", 1, type=int) or 1), MAX_PAGE)
    filters = _list_filters(args)
    errors = form_errors(args, days=("due_from", "due_to"))
    rows, total = [], 0
    if not errors:
        try:
            rows, total = _find_orders(filters, page)
        except DomainError as exc:
            errors[exc.field or "status"] = exc.detail
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template(
        "orders/list.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        filters=filters,
        errors=errors,
        statuses=list(OrderStatus),
        classes=_classes(),
        depots=list_depots(get_db()),
        now=datetime.now(clocks.zone(_tz())),
        # "Any status" is status="" in the address: kept, or the next page would open on open orders.
        query={**{k: v for k, v in filters.items() if v}, "status": filters["status"] or ""},
        everywhere={**{k: v for k, v in filters.items() if v and k != "status"}, "status": ""},
    ), (422 if errors else 200)


def _list_filters(args: Any) -> dict[str, str | None]:
    # No status in the address (the first visit) means open orders; "" (Any status) means all.
    status = args.get("status", orders_queries.OPEN)
    return {
        "q": (args.get("q") or "").strip() or None,
        "status": status or None,
        "response_class": args.get("response_class") or None,
        "kind": args.get("kind") or None,
        "depot": args.get("depot") or None,
        "due_from": args.get("due_from") or None,
        "due_to": args.get("due_to") or None,
    }


def _find_orders(filters: dict[str, str | None], page: int) -> tuple[list, int]:
    """The page of orders; an NHS-number search counts against the user's look-up limit when it
    finds no one, as the NHS-number look-up does."""
    user_id = current_principal().id
    by_nhs = bool(filters["q"]) and is_nhs_number_search(filters["q"] or "")
    if by_nhs and lookup_limits.refused(user_id):
        raise Invalid("Too many searches found no one. Wait a few minutes, then try again.", field="q")
    rows, total = orders_queries.list_orders(
        get_db(), **filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, with_people=True, user_id=user_id, tz=_tz()
    )
    if by_nhs and total == 0:
        lookup_limits.count_miss(user_id)
    return rows, total


@bp.route("/review-back-orders", methods=["POST"])
@allow(*TAKERS)
def review_back_orders():
    """Try back-orders again at every depot; log predicted delays for those now too late."""
    ready, delayed = orders.review_back_orders(get_db(), user_id=current_principal().id, tz=_tz())
    flash(
        f"Back-orders reviewed: {len(ready)} now ready"
        + (f" ({', '.join(ready[:10])})" if ready else "")
        + f"; {len(delayed)} predicted late for want of stock."
    )
    return redirect(url_for("orders_pages.order_list", status="back_order"))


@bp.route("/<ref>")
@allow(*TAKERS)
def order_detail(ref: str):
    """One order: the person (this view is audited), lines, timeline, delays; actions."""
    view = orders_queries.view_order(get_db(), ref=ref, user_id=current_principal().id, personal=True)
    return render_template(
        "orders/detail.html",
        v=view,
        o=view.order,
        person=view.person,
        causes=CAUSE_LABELS,
        can_change=view.order.status in OPEN,
        errors={},
    )


@bp.route("/<ref>/authorise", methods=["POST"])
@allow(*TAKERS)
def authorise(ref: str):
    try:
        order = orders.authorise_order(
            get_db(), ref=ref, user_id=current_principal().id, note=request.form.get("note", ""), settings=_settings()
        )
    except DomainError as exc:
        flash(exc.detail)
        return redirect(url_for("orders_pages.order_detail", ref=ref))
    flash(f"Order {order.ref} authorised: {plain(order.status)}.")
    return redirect(url_for("orders_pages.order_detail", ref=ref))


@bp.route("/<ref>/cancel", methods=["POST"])
@allow(*TAKERS)
def cancel(ref: str):
    try:
        orders.cancel_order(get_db(), ref=ref, user_id=current_principal().id, reason=request.form.get("reason", ""))
    except DomainError as exc:
        flash(exc.detail)
        return redirect(url_for("orders_pages.order_detail", ref=ref))
    flash(f"Order {ref} cancelled; anything reserved is back in stock.")
    return redirect(url_for("orders_pages.order_detail", ref=ref))


@bp.route("/<ref>/edit", methods=["GET", "POST"])
@allow(*TAKERS)
def amend(ref: str):
    """Change the class, items, slot or notes of an order before it is loaded."""
    view = orders_queries.view_order(get_db(), ref=ref, user_id=current_principal().id, personal=True)
    order = view.order
    errors: dict[str, str] = {}
    if request.method == "POST":
        lines, row_of, typed = form_lines(request.form)
        body: dict[str, Any] = {
            "response_class": request.form.get("response_class") or None,
            "lines": lines,
            "notes": request.form.get("notes", ""),
            "reason": request.form.get("reason", ""),
        }
        body["slot"] = form_slot(request.form)  # the form shows the whole slot: none clears it
        errors = form_errors(request.form, days=("slot_date",))
        if "slot_date" in errors:
            errors["slot"] = errors.pop("slot_date")
        if not errors:
            errors = _amend_order(ref, body, row_of)
        if not errors:
            flash(f"Order {ref} changed.")
            return redirect(url_for("orders_pages.order_detail", ref=ref))
        form: Any = request.form
    else:
        typed = [
            {"sku": item.sku, "serial": line.serial or "", "quantity": str(line.quantity)} for line, item in view.lines
        ]
        form = _amend_defaults(order)
    return render_template(
        "orders/edit.html",
        v=view,
        o=order,
        form=form,
        errors=errors,
        lines=with_blank_rows(typed, blanks=1),
        slots=SLOTS,
        classes=[rc for rc in _classes() if (rc.kind == "collection") == (order.kind == "collection")],
    ), (422 if errors else 200)


def _amend_order(ref: str, body: dict, row_of: list[int]) -> dict[str, str]:
    """Nothing when the change is made; else the problems beside their fields."""
    try:
        data = OrderAmend.model_validate(body)
        orders.amend_order(get_db(), ref=ref, data=data, user_id=current_principal().id, settings=_settings())
    except ValidationError as exc:
        return validation_errors(exc, row_of)
    except DomainError as exc:
        return {field_for_form(exc.field or "form", row_of): exc.detail}
    return {}


def _amend_defaults(order) -> dict[str, str]:
    values = {"response_class": order.response_class, "notes": order.notes}
    if order.slot_start and order.slot_end:
        zone = clocks.zone(_tz())
        start, end = order.slot_start.astimezone(zone), order.slot_end.astimezone(zone)
        values["slot_date"] = start.date().isoformat()
        window = next((k for k, (a, b) in SLOTS.items() if (a, b) == (f"{start:%H:%M}", f"{end:%H:%M}")), "custom")
        values.update(slot_window=window, slot_start=f"{start:%H:%M}", slot_end=f"{end:%H:%M}")
    return values


def slot_text(start: datetime | None, end: datetime | None) -> str:
    if not start or not end:
        return ""
    zone = clocks.zone(current_app.config.get("TIMEZONE", clocks.DEFAULT_TZ))
    a, b = start.astimezone(zone), end.astimezone(zone)
    return f"{a:%a %d %b} {a:%H:%M}–{b:%H:%M}"


@bp.app_template_global("orders_slot")
def _orders_slot(start: datetime | None, end: datetime | None) -> str:
    return slot_text(start, end)
