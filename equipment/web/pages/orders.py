"""Coordinators' order pages: a fast new-order form, the order list, one order with its timeline
(and authorise, amend, cancel)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from pydantic import ValidationError
from sqlmodel import select

from equipment import orders
from equipment.errors import DomainError
from equipment.models import Asset, ResponseClass
from equipment.orders import clocks
from equipment.orders import queries as orders_queries
from equipment.orders.intake import OrderSettings
from equipment.orders.schemas import OrderAmend, OrderCreate
from equipment.stock.catalogue import list_depots
from equipment.vocabulary import CAUSE_LABELS, OrderStatus, Role
from equipment.web.access import allow, current_principal
from equipment.web.database import get_db

bp = Blueprint("orders_pages", __name__, url_prefix="/orders")
TAKERS = (Role.ADMIN, Role.COORDINATOR)
PAGE_SIZE = 50
BLANK_LINES = 3
MAX_PAGE = 100_000  # past any real list; keeps the offset inside the database's integers
SLOTS = {"am": ("08:00", "13:00"), "pm": ("12:00", "17:00"), "day": ("08:00", "17:00")}
OPEN = set(OrderStatus) - {OrderStatus.LOADED, OrderStatus.COMPLETED, OrderStatus.CANCELLED}


def _settings() -> OrderSettings:
    return OrderSettings.from_config(current_app.config)


def _tz() -> str:
    return _settings().tz


@bp.app_template_filter("orders_time")
def _orders_time(moment: datetime | None, fmt: str = "%a %d %b %H:%M") -> str:
    if moment is None:
        return ""
    return moment.astimezone(clocks.zone(current_app.config.get("TIMEZONE", clocks.DEFAULT_TZ))).strftime(fmt)


def _classes() -> list[ResponseClass]:

    return list(get_db().exec(select(ResponseClass).order_by(ResponseClass.kind.desc(), ResponseClass.amount)))


# --- the form <-> the request body -----------------------------------------------------------


def _form_lines(form: Any) -> tuple[list[dict], list[int], list[dict]]:
    """(lines for the body, the form row of each, every row as typed) from lines-N-* fields."""
    rows = sorted({int(key.split("-")[1]) for key in form if key.startswith("lines-") and key.split("-")[1].isdigit()})
    lines, row_of, typed = [], [], []
    for n in rows:
        sku = form.get(f"lines-{n}-sku", "").strip()
        serial = form.get(f"lines-{n}-serial", "").strip()
        quantity = form.get(f"lines-{n}-quantity", "").strip()
        typed.append({"sku": sku, "serial": serial, "quantity": quantity})
        if not (sku or serial):
            continue
        line: dict[str, Any] = {"quantity": quantity or "1"}
        if sku:
            line["sku"] = sku.upper()
        if serial:
            line["serial"] = serial
        lines.append(line)
        row_of.append(len(typed) - 1)
    return lines, row_of, typed


def _form_slot(form: Any) -> dict | None:
    day = form.get("slot_date", "").strip()
    window = form.get("slot_window", "")
    if not day or not window:
        return None
    start, end = SLOTS.get(window, (form.get("slot_start", "").strip(), form.get("slot_end", "").strip()))
    return {"start": f"{day}T{start or '00:00'}", "end": f"{day}T{end or '00:00'}"}


def _order_body(form: Any) -> tuple[dict, list[int], list[dict]]:
    lines, row_of, typed = _form_lines(form)
    person = {
        key: form.get(f"su_{key}", "").strip()
        for key in ("name", "address", "postcode", "nhs_number", "phone", "access_notes", "safety_alerts")
    }
    person["nhs_number"] = person["nhs_number"] or None
    body = {
        "kind": form.get("kind", "delivery"),
        "response_class": form.get("response_class", ""),
        "service_user": person,
        "lines": lines,
        "slot": _form_slot(form),
        "notes": form.get("notes", "").strip(),
    }
    if form.get("received_at", "").strip():
        body["received_at"] = form["received_at"].strip()
    return body, row_of, typed


def _field_for_form(field: str, row_of: list[int]) -> str:
    """`service_user.nhs_number` -> `su_nhs_number`; `lines.0.sku` -> `lines-<row>-sku`."""
    parts = field.split(".")
    if parts[0] == "service_user" and len(parts) > 1:
        return "su_" + parts[1]
    if parts[0] == "lines" and len(parts) > 2 and parts[1].isdigit():
        row = row_of[int(parts[1])] if int(parts[1]) < len(row_of) else int(parts[1])
        return f"lines-{row}-{parts[2]}"
    if parts[0] == "slot":
        return "slot"
    return parts[0]


def _validation_errors(exc: ValidationError, row_of: list[int]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        location = [str(p) for p in err.get("loc", ()) if not str(p).startswith(("function-", "nullable"))]
        message = err.get("msg", "invalid").removeprefix("Value error, ")
        if location in (["lines"],) and err.get("type") == "too_short":
            message = "Add at least one item."
        errors.setdefault(_field_for_form(".".join(location), row_of), message)
    return errors


# --- pages ----------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@allow(*TAKERS)
def new_order():
    """The new-order form: person, items (with live availability), timing (with the due time)."""
    errors: dict[str, str] = {}
    form: Any = request.form if request.method == "POST" else {}
    typed: list[dict] = []
    if request.method == "POST":
        body, row_of, typed = _order_body(request.form)
        try:
            data = OrderCreate.model_validate(body)
            order = orders.create_order(get_db(), data=data, user_id=current_principal().id, settings=_settings())
        except ValidationError as exc:
            errors = _validation_errors(exc, row_of)
        except DomainError as exc:
            errors = {_field_for_form(exc.field or "form", row_of): exc.detail}
        else:
            due = _orders_time(order.due_at, "%a %d %b %Y %H:%M") if order.due_at else "when authorised"
            flash(f"Order {order.ref} taken: {order.status.replace('_', ' ')}, due {due}.")
            return redirect(url_for("orders_pages.order_detail", ref=order.ref))
    elif request.args.get("for"):
        form, typed = _prefill_from(request.args["for"], request.args.get("kind", "delivery"))
    typed = typed + [{"sku": "", "serial": "", "quantity": ""} for _ in range(BLANK_LINES)]
    previews = _due_previews()
    status = 422 if errors else 200
    return render_template(
        "orders/new.html",
        form=form,
        errors=errors,
        lines=typed,
        classes=_classes(),
        previews=previews,
        slots=SLOTS,
        now_local=datetime.now(clocks.zone(_tz())).strftime("%Y-%m-%dT%H:%M"),
    ), status


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
    """Orders filtered by status, class, depot and due date, earliest due first, paged."""
    args = request.args
    errors: dict[str, str] = {}
    page = min(max(1, args.get("page", 1, type=int) or 1), MAX_PAGE)
    filters = {
        "status": args.get("status") or None,
        "response_class": args.get("response_class") or None,
        "kind": args.get("kind") or None,
        "depot": args.get("depot") or None,
        "due_from": args.get("due_from") or None,
        "due_to": args.get("due_to") or None,
    }
    rows, total = [], 0
    try:
        rows, total = orders_queries.list_orders(
            get_db(),
            **filters,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
            with_people=True,
            user_id=current_principal().id,
            tz=_tz(),
        )
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
        query={k: v for k, v in filters.items() if v},
    ), (422 if errors else 200)


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
    flash(f"Order {order.ref} authorised: {order.status.replace('_', ' ')}.")
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
        lines, row_of, typed = _form_lines(request.form)
        body: dict[str, Any] = {
            "response_class": request.form.get("response_class") or None,
            "lines": lines,
            "notes": request.form.get("notes", ""),
            "reason": request.form.get("reason", ""),
        }
        body["slot"] = _form_slot(request.form)  # the form shows the whole slot: none clears it
        try:
            data = OrderAmend.model_validate(body)
            orders.amend_order(get_db(), ref=ref, data=data, user_id=current_principal().id, settings=_settings())
        except ValidationError as exc:
            errors = _validation_errors(exc, row_of)
        except DomainError as exc:
            errors = {_field_for_form(exc.field or "form", row_of): exc.detail}
        else:
            flash(f"Order {ref} changed.")
            return redirect(url_for("orders_pages.order_detail", ref=ref))
        form: Any = request.form
    else:
        typed = [
            {"sku": item.sku, "serial": line.serial or "", "quantity": str(line.quantity)} for line, item in view.lines
        ]
        form = _amend_defaults(order)
    typed = typed + [{"sku": "", "serial": "", "quantity": ""}]
    return render_template(
        "orders/edit.html",
        v=view,
        o=order,
        form=form,
        errors=errors,
        lines=typed,
        slots=SLOTS,
        classes=[rc for rc in _classes() if (rc.kind == "collection") == (order.kind == "collection")],
    ), (422 if errors else 200)


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
