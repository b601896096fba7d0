"""Recalls (field safety notices) on pages: record one, follow it unit by unit; and the
compliance figures block that the officers' dashboard and monthly report include."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from pydantic import ValidationError

from equipment import compliance
from equipment.compliance.schemas import RecallCreate
from equipment.errors import DomainError, NotFound
from equipment.vocabulary import Role
from equipment.web import local_time
from equipment.web.access import allow, current_principal
from equipment.web.database import get_db

bp = Blueprint("compliance_pages", __name__, url_prefix="/recalls")
A, CO, CL, O = Role.ADMIN, Role.COORDINATOR, Role.CLERK, Role.OFFICER
ACTION_CHOICES = [("inspect", "Inspect"), ("modify", "Modify"), ("withdraw", "Withdraw (swap)")]


@bp.app_context_processor
def _figures_for_reports() -> dict:
    """`compliance_figures()` for the dashboard's and the monthly report's compliance block."""
    return {"compliance_figures": lambda: compliance.compliance_figures(get_db(), today=local_time.today())}


def _words(name: str) -> list[str]:
    return request.form.get(name, "").replace(",", " ").split()


def _day(name: str, errors: dict[str, str]) -> date | None:
    raw = request.form.get(name, "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        errors[name] = "Enter a date as YYYY-MM-DD."
        return None


def _notice(errors: dict[str, str]) -> RecallCreate | None:
    """The form as a notice; a field that cannot be read is a message beside it."""
    made_from, made_to = _day("made_from", errors), _day("made_to", errors)
    if errors:
        return None
    try:
        return RecallCreate(
            reference=request.form.get("reference", "").strip()[:60],
            skus=_words("skus")[:50],
            serials=_words("serials")[:500] or None,
            batch=request.form.get("batch", "").strip()[:40] or None,
            made_from=made_from,
            made_to=made_to,
            action=request.form.get("action", "")[:10],
            response_class=request.form.get("response_class", "inspection").strip()[:24] or "inspection",
            note=request.form.get("note", "").strip()[:1000],
        )
    except ValidationError as exc:
        for error in exc.errors():
            errors[str(error["loc"][0]) if error["loc"] else "form"] = error["msg"]
        return None


@bp.route("", methods=["GET", "POST"])
@allow(A, CO, CL, O)
def recalls():
    """Every recall with its progress; admins and clerks record a new one here."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        if current_principal().role not in (A, CL):
            abort(403)
        notice = _notice(errors)
        if notice is not None:
            try:
                settings = compliance.ComplianceSettings.from_config(current_app.config)
                recall = compliance.record_recall(
                    get_db(), data=notice, user_id=current_principal().id, settings=settings
                )
                return redirect(url_for("compliance_pages.recall", recall_id=recall.id))
            except DomainError as exc:
                if exc.status == 403:
                    raise
                errors[exc.field or "form"] = exc.detail
    return render_template(
        "compliance/recalls.html",
        recalls=compliance.list_recalls(get_db()),
        errors=errors,
        form=request.form if request.method == "POST" else {},
        actions=ACTION_CHOICES,
        may_record=current_principal().role in (A, CL),
    ), (422 if errors else 200)


@bp.get("/<int:recall_id>")
@allow(A, CO, CL, O)
def recall(recall_id: int):
    """One recall unit by unit: where each unit is (a depot or an area, never a name) and what was done."""
    try:
        detail = compliance.recall_detail(get_db(), recall_id)
    except NotFound:
        abort(404)
    return render_template(
        "compliance/recall.html",
        r=detail,
        may_act=current_principal().role in (A, CL),
        message=request.args.get("m", ""),
    )


@bp.post("/<int:recall_id>/units/<serial>")
@allow(A, CL)
def act_on_unit(recall_id: int, serial: str):
    """Quarantine a flagged unit now in a depot, or release a quarantined one; the answer beside the table."""
    return _attempt(
        recall_id,
        lambda: compliance.act_on_recall_unit(
            get_db(),
            recall_id=recall_id,
            serial=serial[:40],
            action=request.form.get("action", "")[:12],
            note=request.form.get("note", "")[:300],
            user_id=current_principal().id,
        ),
        f"{serial}: done.",
    )


@bp.post("/<int:recall_id>/close")
@allow(A, CL)
def close(recall_id: int):
    return _attempt(
        recall_id,
        lambda: compliance.close_recall(get_db(), recall_id=recall_id, user_id=current_principal().id),
        "Recall closed.",
    )


def _attempt(recall_id: int, call, done: str):
    try:
        call()
        message = done
    except NotFound:
        abort(404)
    except DomainError as exc:
        if exc.status == 403:
            raise
        message = f"Not done: {exc.detail}"
    return redirect(url_for("compliance_pages.recall", recall_id=recall_id, m=message))
