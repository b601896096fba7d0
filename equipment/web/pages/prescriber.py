"""Prescribers' pages, on a phone or a desktop: their own orders (status, due time, the planned
visit window, proof of delivery, a failed visit and its rebooking), a new order for a person
they name, and a collection of an item on loan to one of their people."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from pydantic import ValidationError
from sqlmodel import select

from equipment import orders
from equipment.errors import DomainError
from equipment.models import Asset, Prescriber, ResponseClass
from equipment.orders import clocks, tracking
from equipment.orders import queries as orders_queries
from equipment.orders.intake import OrderSettings
from equipment.orders.schemas import OrderCreate
from equipment.people import prescribers
from equipment.vocabulary import OrderKind, OrderStatus, Role, StockState
from equipment.web.access import allow, current_principal
from equipment.web.database import get_db
from equipment.web.pages.order_form import person_body
from equipment.web.prescriber_scope import prescriber_scope

bp = Blueprint("prescriber_pages", __name__, url_prefix="/prescriber")
PAGE_SIZE = 25
MAX_PAGE = 100_000
LINE_ROWS = 4
MAX_LINES = 50  # as many as an order takes
STATUS_WORDS = {
    OrderStatus.AWAITING_AUTHORISATION: "Waiting for authorisation",
    OrderStatus.BACK_ORDER: "Waiting for stock",
    OrderStatus.READY: "Ready to plan",
    OrderStatus.PLANNED: "Visit planned",
    OrderStatus.LOADED: "On the van",
    OrderStatus.COMPLETED: "Done",
    OrderStatus.FAILED: "Visit failed",
    OrderStatus.CANCELLED: "Cancelled",
}


def _settings() -> OrderSettings:
    return OrderSettings.from_config(current_app.config)


def _local(moment: datetime | None, fmt: str = "%a %d %b %Y %H:%M") -> str:
    if moment is None:
        return ""
    return moment.astimezone(clocks.zone(_settings().tz)).strftime(fmt)


@bp.app_template_filter("status_words")
def _status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status.replace("_", " "))


def _me() -> Prescriber | None:
    scope = prescriber_scope()
    return get_db().get(Prescriber, scope) if scope else None


def _delivery_classes() -> list[ResponseClass]:
    query = select(ResponseClass).where(ResponseClass.kind == "delivery").order_by(ResponseClass.amount)
    return list(get_db().exec(query))


@bp.route("/orders")
@allow(Role.PRESCRIBER)
def my_orders():
    """This prescriber's open orders earliest due first (or all, newest first), with the planned
    visit once published."""
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    show = "all" if request.args.get("show") == "all" else "open"
    rows, total = tracking.own_orders(
        get_db(),
        prescriber_id=prescriber_scope(),
        open_only=show == "open",
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        user_id=current_principal().id,
    )
    visits = tracking.latest_visits(get_db(), [row.order.id for row in rows])
    return render_template(
        "prescriber/orders.html",
        record=_me(),
        rows=rows,
        visits=visits,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        show=show,
        local=_local,
    )


def _order_body(form: Any) -> tuple[dict, list[dict]]:
    """The request body from the form, and every line row as typed."""
    typed, lines = [], []
    numbers = sorted(
        {int(key.split("-")[1]) for key in form if key.startswith("lines-") and key.split("-")[1].isdigit()}
    )
    for n in numbers[:MAX_LINES]:
        row = {key: form.get(f"lines-{n}-{key}", "").strip() for key in ("sku", "quantity", "serial")}
        typed.append(row)
        if row["sku"] or row["serial"]:
            line = {
                "quantity": row["quantity"] or "1",
                "sku": row["sku"].upper() or None,
                "serial": row["serial"] or None,
            }
            lines.append((len(typed) - 1, line))
    person = person_body(form)
    body = {
        "kind": OrderKind.DELIVERY,
        "response_class": form.get("response_class", ""),
        "service_user": person,
        "lines": [line for _, line in lines],
        "notes": form.get("notes", "").strip(),
        "prescriber_id": prescriber_scope() or None,
    }
    body["_rows"] = [row for row, _ in lines]
    return body, typed


def _field_name(location: list[str], rows: list[int]) -> str:
    """`service_user.name` -> `su_name`; `lines.0.sku` -> `lines-<row>-sku`."""
    if location[:1] == ["service_user"] and len(location) > 1:
        return "su_" + location[1]
    if location[:1] == ["lines"] and len(location) > 2 and location[1].isdigit():
        index = int(location[1])
        return f"lines-{rows[index] if index < len(rows) else index}-{location[2]}"
    return location[0] if location else "form"


FIELD_WORDS = {
    "su_name": "the person's name",
    "su_address": "the address",
    "su_postcode": "the postcode",
    "su_nhs_number": "the NHS number",
    "response_class": "how soon it is needed",
}


def _plain_message(err: dict, field: str) -> str:
    kind = err.get("type", "")
    words = FIELD_WORDS.get(field, "this")
    if kind in ("missing", "string_too_short"):
        return f"Enter {words}"
    if kind == "string_too_long":
        return f"Shorten {words}"
    if kind == "too_short":
        return "Add at least one item"
    if kind.startswith("int"):
        return "Enter a whole number"
    if kind == "literal_error":
        return "Choose one of the options"
    return err.get("msg", "Check this").removeprefix("Value error, ")


def _take(body: dict) -> tuple[Any, dict[str, str]]:
    rows = body.pop("_rows")
    try:
        data = OrderCreate.model_validate(body)
        order = orders.create_order(
            get_db(), data=data, user_id=current_principal().id, settings=_settings(), placed_by_prescriber=True
        )
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            location = [str(p) for p in err.get("loc", ()) if not str(p).startswith(("function-", "nullable"))]
            name = _field_name(location, rows)
            errors.setdefault(name, _plain_message(err, name))
        return None, errors
    except DomainError as exc:
        return None, {_field_name((exc.field or "form").split("."), rows): exc.detail}
    return order, {}


@bp.route("/orders/new", methods=["GET", "POST"])
@allow(Role.PRESCRIBER)
def new_order():
    """Order equipment for a person: found by NHS number (or name and postcode), else created."""
    errors: dict[str, str] = {}
    form: Any = {}
    typed: list[dict] = []
    if request.method == "POST":
        form = request.form
        body, typed = _order_body(request.form)
        order, errors = _take(body)
        if order is not None:
            due = _local(order.due_at) if order.due_at else "once authorised"
            flash(f"Order {order.ref} sent: {_status_words(order.status).lower()}, due {due}.")
            return redirect(url_for("prescriber_pages.order_detail", ref=order.ref))
    typed = typed + [{"sku": "", "serial": "", "quantity": ""} for _ in range(max(1, LINE_ROWS - len(typed)))]
    previews = {
        rc.code: orders_queries.preview_due(get_db(), response_class=rc.code, received_at=None, tz=_settings().tz)[3]
        for rc in _delivery_classes()
    }
    me = _me()
    return render_template(
        "prescriber/new_order.html",
        record=me,
        form=form,
        errors=errors,
        lines=typed,
        classes=_delivery_classes(),
        previews=previews,
        authorised_first=prescribers.categories(me.authorisation_categories) if me else [],
        orderable=prescribers.categories(me.orderable_categories) if me else [],
    ), (422 if errors else 200)


def _on_loan_from(view: orders_queries.OrderView) -> list[tuple[str, str]]:
    """(serial, item name) of what this order left on loan with the person, still there."""
    line_ids = [line.id for line, _ in view.lines]
    names = {line.id: item.name for line, item in view.lines}
    if not line_ids or view.order.kind != OrderKind.DELIVERY:
        return []
    assets = get_db().exec(
        select(Asset)
        .where(Asset.order_line_id.in_(line_ids), Asset.state == StockState.ON_LOAN)
        .where(Asset.service_user_id == view.order.service_user_id)
        .order_by(Asset.serial)
    )
    return [(asset.serial, names.get(asset.order_line_id, "")) for asset in assets]


@bp.route("/orders/<ref>")
@allow(Role.PRESCRIBER)
def order_detail(ref: str):
    """One of this prescriber's orders (another's is not found): where it stands."""
    view = orders_queries.view_order(
        get_db(), ref=ref, user_id=current_principal().id, personal=True, prescriber_id=prescriber_scope()
    )
    return render_template(
        "prescriber/order.html",
        v=view,
        o=view.order,
        person=view.person,
        t=tracking.track(get_db(), view.order),
        on_loan=_on_loan_from(view),
        local=_local,
    )


@bp.route("/orders/<ref>/collection", methods=["POST"])
@allow(Role.PRESCRIBER)
def ask_for_collection(ref: str):
    """A collection (standard class) of items this order left on loan with the person."""
    view = orders_queries.view_order(
        get_db(), ref=ref, user_id=current_principal().id, personal=True, prescriber_id=prescriber_scope()
    )
    on_loan = {serial for serial, _ in _on_loan_from(view)}
    chosen = [serial for serial in request.form.getlist("serial") if serial in on_loan]
    if not chosen:
        flash("Choose the items to collect.")
        return redirect(url_for("prescriber_pages.order_detail", ref=ref))
    p = view.person
    body = {
        "kind": OrderKind.COLLECTION,
        "response_class": "standard_collection",
        "service_user": {"name": p.name, "address": p.address, "postcode": p.postcode, "nhs_number": p.nhs_number},
        "lines": [{"serial": serial} for serial in chosen],
        "notes": f"Collection of what {ref} delivered",
        "prescriber_id": prescriber_scope() or None,
        "_rows": [],
    }
    order, errors = _take(body)
    if order is None:
        flash(next(iter(errors.values())))
        return redirect(url_for("prescriber_pages.order_detail", ref=ref))
    flash(f"Collection {order.ref} asked for, due {_local(order.due_at)}.")
    return redirect(url_for("prescriber_pages.order_detail", ref=order.ref))
