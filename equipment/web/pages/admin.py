"""Admins run the service: users (create, change, deactivate, reset a password), and read-only
lists of the depots, vans and catalogue."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlmodel import select

from equipment.errors import DomainError
from equipment.models import Prescriber, User, Van
from equipment.people import accounts
from equipment.stock import catalogue
from equipment.vocabulary import Role
from equipment.web.access import allow, current_principal
from equipment.web.database import get_db
from equipment.web.form_checks import form_errors
from equipment.web.labels import plain_words

bp = Blueprint("admin_pages", __name__, url_prefix="/admin")
PAGE_SIZE = 100
NEW_PRESCRIBER = "new"
USER_FIELDS = ("username", "full_name", "role", "password", "van", "prescriber_id")
NEW_PRESCRIBER_FIELDS = ("p_name", "p_profession", "p_organisation", "p_email")


def _choices() -> dict[str, Any]:
    db = get_db()
    prescribers = accounts.list_prescribers(db)
    return {
        "roles": [(role.value, plain_words(role.value)) for role in Role],
        "van_options": [(reg, reg) for reg in db.exec(select(Van.reg).where(Van.active).order_by(Van.reg))],
        "prescriber_options": [(str(p.id), prescriber_text(p)) for p in prescribers],
        "prescriber_role": accounts.PRESCRIBER_ROLE,
    }


def prescriber_text(p: Prescriber) -> str:
    return " · ".join(part for part in (p.name, p.profession, p.organisation) if part)


@bp.route("/users")
@allow(Role.ADMIN)
def users():
    """Every user with their role, van or prescriber, and whether they can sign in."""
    role = request.args.get("role") or None
    role = role if role in set(Role) else None
    rows, total = accounts.list_users(get_db(), role=role, limit=PAGE_SIZE * 10)
    return render_template("admin/users.html", rows=rows, total=total, role=role, **_choices())


@bp.route("/users/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new_user():
    """A new user: role, van for drivers, prescriber record for prescribers, a first password."""
    errors: dict[str, str] = {}
    form: Any = request.form if request.method == "POST" else {}
    if request.method == "POST":
        errors = form_errors(form)
        if not errors:
            try:
                user = accounts.add_user(get_db(), **_new_user_arguments(form), created_by=current_principal().id)
            except DomainError as exc:
                errors = {_page_field(exc.field): exc.detail}
            else:
                flash(f"User {user.username} created. Give them their password in person.")
                return redirect(url_for("admin_pages.user", user_id=user.id))
    return render_template("admin/new_user.html", form=form, errors=errors, **_choices()), (422 if errors else 200)


def _new_user_arguments(form: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "username": form.get("username", ""),
        "full_name": form.get("full_name", ""),
        "role": form.get("role", ""),
        "password": form.get("password", ""),
        "van_reg": form.get("van") or None,
    }
    return {**arguments, **_prescriber_link(form)}


def _prescriber_link(form: Any) -> dict[str, Any]:
    """The prescriber the form names: one on record, a new record, or none."""
    chosen = form.get("prescriber_id", "")
    if chosen == NEW_PRESCRIBER:
        new = accounts.NewPrescriber(
            name=form.get("p_name", ""),
            profession=form.get("p_profession", ""),
            organisation=form.get("p_organisation", ""),
            email=form.get("p_email", ""),
        )
        return {"new_prescriber": new}
    if chosen.isdigit() and len(chosen) < 10:
        return {"prescriber_id": int(chosen)}
    if chosen:
        return {"prescriber_id": 0}  # matches no record: refused beside the field
    return {}


def _page_field(field: str | None) -> str:
    if field and field.startswith("prescriber."):
        return "p_" + field.split(".", 1)[1]
    return {"prescriber": "prescriber_id", "user": "form", None: "form"}.get(field, field)  # type: ignore[arg-type]


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def user(user_id: int):
    """One user: change their name, role, van or prescriber."""
    row = accounts.user_row(get_db(), user_id)
    errors: dict[str, str] = {}
    form: Any = request.form if request.method == "POST" else _user_defaults(row)
    if request.method == "POST":
        errors = form_errors(form)
        if not errors:
            link = _prescriber_link(form)
            try:
                accounts.change_user(
                    get_db(),
                    user_id=user_id,
                    changed_by=current_principal().id,
                    full_name=form.get("full_name", ""),
                    role=form.get("role", row.user.role),
                    van_reg=form.get("van") or None,
                    prescriber_link={"prescriber_id": link.get("prescriber_id"), "new": link.get("new_prescriber")},
                )
            except DomainError as exc:
                errors = {_page_field(exc.field): exc.detail}
            else:
                flash(f"User {row.user.username} changed.")
                return redirect(url_for("admin_pages.user", user_id=user_id))
    return render_template("admin/user.html", row=row, form=form, errors=errors, **_choices()), (422 if errors else 200)


def _user_defaults(row: accounts.UserRow) -> dict[str, str]:
    return {
        "full_name": row.user.full_name,
        "role": row.user.role,
        "van": row.van_reg or "",
        "prescriber_id": str(row.user.prescriber_id or ""),
    }


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@allow(Role.ADMIN)
def set_active(user_id: int):
    """Deactivate (their sessions and tokens end at once) or reactivate a user."""
    active = request.form.get("active") == "yes"
    try:
        changed = accounts.change_user(get_db(), user_id=user_id, changed_by=current_principal().id, active=active)
    except DomainError as exc:
        flash(exc.detail)
    else:
        flash(
            f"{changed.username} can sign in again."
            if active
            else f"{changed.username} is deactivated: signed out everywhere and cannot sign in."
        )
    return redirect(url_for("admin_pages.user", user_id=user_id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@allow(Role.ADMIN)
def reset_password(user_id: int):
    """A new password, shown on this answer only (never stored in clear, never in the session)."""
    changed, password = accounts.reset_password(get_db(), user_id=user_id, changed_by=current_principal().id)
    row = accounts.user_row(get_db(), changed.id)
    response = render_template(
        "admin/user.html", row=row, form=_user_defaults(row), errors={}, new_password=password, **_choices()
    )
    return response, 200, {"Cache-Control": "no-store"}


# --- read-only lists ------------------------------------------------------------------------


@bp.route("/depots")
@allow(Role.ADMIN)
def depots():
    """The depots (stores) of the service."""
    return render_template("admin/depots.html", depots=catalogue.list_depots(get_db()))


@bp.route("/vans")
@allow(Role.ADMIN)
def vans():
    """The vans: depot, capacity, crew skills, shift and their drivers."""
    db = get_db()
    codes = {d.id: d.code for d in catalogue.list_depots(db)}
    drivers: dict[int, list[str]] = {}
    for username, van_id in db.exec(select(User.username, User.van_id).where(User.van_id.is_not(None), User.active)):
        drivers.setdefault(van_id, []).append(username)
    found = list(db.exec(select(Van).order_by(Van.depot_id, Van.reg)))
    return render_template("admin/vans.html", vans=found, codes=codes, drivers=drivers)


@bp.route("/catalogue")
@allow(Role.ADMIN)
def catalogue_items():
    """The catalogue, searchable by words in the SKU, name or category."""
    q = request.args.get("q", "").replace("\x00", "").strip()[:100]
    items, total = catalogue.search_items(get_db(), q=q or None, limit=1000)
    return render_template("admin/catalogue.html", items=items, total=total, q=q)
