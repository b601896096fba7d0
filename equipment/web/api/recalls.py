"""/api/v1/recalls (field safety notices, unit by unit) and /api/v1/compliance (the figures)."""

from __future__ import annotations

from flask import Response, current_app
from flask_openapi3 import APIBlueprint, Tag

from equipment import compliance
from equipment.compliance.schemas import (
    AreaOverduePublic,
    CompliancePublic,
    OpenRecallPublic,
    RecallCreate,
    RecallList,
    RecallPath,
    RecallPublic,
    RecallUnitAction,
    RecallUnitPath,
    RegimeFigurePublic,
)
from equipment.schemas import Problem
from equipment.vocabulary import Role
from equipment.web.access import allow, current_principal
from equipment.web.api.stock import WRITE_ERRORS, retrying
from equipment.web.database import get_db
from equipment.web.local_time import today

bp = APIBlueprint("api_recalls", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="compliance")])
A, CO, CL, O = Role.ADMIN, Role.COORDINATOR, Role.CLERK, Role.OFFICER
READ_ERRORS = {401: Problem, 403: Problem, 404: Problem, 422: Problem}


def settings() -> compliance.ComplianceSettings:
    return compliance.ComplianceSettings.from_config(current_app.config)


@bp.post("/recalls", responses={201: RecallPublic, **WRITE_ERRORS})
@allow(A, CL)
def create_recall(body: RecallCreate):
    """Record a field safety notice: units in stock are quarantined at once, units in homes get a
    visit (inspect, modify) or a swap (withdraw), units in transit or on a van are flagged.
    Unknown SKUs or serials, no selection or more than one, a reversed date range, or a
    selection that names no unit: 422 naming the field, and nothing written."""
    recall = retrying(
        lambda: compliance.record_recall(get_db(), data=body, user_id=current_principal().id, settings=settings())
    )
    return compliance.recall_detail(get_db(), recall.id).model_dump(mode="json"), 201


@bp.get("/recalls", responses={200: RecallList, **READ_ERRORS})
@allow(A, CO, CL, O)
def get_recalls():
    """Every recall, newest first, with its progress (affected, reached, done)."""
    items = compliance.list_recalls(get_db())
    return RecallList(items=items, total=len(items)).model_dump(mode="json")


@bp.get("/recalls/<int:id>", responses={200: RecallPublic, **READ_ERRORS})
@allow(A, CO, CL, O)
def get_recall(path: RecallPath):
    """One recall unit by unit: where each unit is (a depot, or the area of a home: never a name)
    and its status (quarantined, visit_planned, flagged, done, acknowledged)."""
    return compliance.recall_detail(get_db(), path.id).model_dump(mode="json")


@bp.post("/recalls/<int:id>/units/<serial>", responses={200: RecallPublic, **WRITE_ERRORS})
@allow(A, CL)
def act_on_unit(path: RecallUnitPath, body: RecallUnitAction):
    """A clerk's step on one unit: quarantine a flagged unit now back in a depot, or release a
    quarantined one after inspecting or modifying it (never a withdrawn one: 409)."""
    retrying(
        lambda: compliance.act_on_recall_unit(
            get_db(),
            recall_id=path.id,
            serial=path.serial,
            action=body.action,
            note=body.note,
            user_id=current_principal().id,
        )
    )
    return compliance.recall_detail(get_db(), path.id).model_dump(mode="json")


@bp.post("/recalls/<int:id>/close", responses={200: RecallPublic, **WRITE_ERRORS})
@allow(A, CL)
def close(path: RecallPath):
    """Close a recall whose every unit is dealt with (409 while some still wait)."""
    retrying(lambda: compliance.close_recall(get_db(), recall_id=path.id, user_id=current_principal().id))
    return compliance.recall_detail(get_db(), path.id).model_dump(mode="json")


def compliance_public() -> CompliancePublic:
    figures = compliance.compliance_figures(get_db(), today=today())
    return CompliancePublic(
        on_day=figures.on_day,
        regimes=[
            RegimeFigurePublic(
                regime=r.regime,
                label=r.label,
                on_loan=r.on_loan,
                in_date=r.in_date,
                overdue=r.overdue,
                share_percent=r.share,
            )
            for r in figures.regimes
        ],
        overdue_by_area=[
            AreaOverduePublic(area=a.area, regime=a.regime, overdue=a.overdue) for a in figures.overdue_by_area
        ],
        recalls=[
            OpenRecallPublic(id=r.id, reference=r.reference, action=r.action, **r.progress.model_dump())
            for r in figures.recalls
        ],
    )


@bp.get("/compliance", responses={200: CompliancePublic, **READ_ERRORS})
@allow(A, CO, O)
def get_compliance():
    """Examinations in date among equipment on loan, overdue ones by area, open recalls' progress."""
    return compliance_public().model_dump(mode="json")


@bp.get(
    "/compliance.csv",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, 401: Problem, 403: Problem},
)
@allow(A, CO, O)
def get_compliance_csv():
    """The same figures as CSV (no names)."""
    body = compliance.figures_csv(compliance.compliance_figures(get_db(), today=today()))
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": 'attachment; filename="compliance.csv"'})
