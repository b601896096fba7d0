"""Assets (serialised units): their timeline, processing steps, inspections; and the on-loan export."""

from __future__ import annotations

import csv
import io

from flask import Response
from flask_openapi3 import APIBlueprint, Tag

from equipment import stock
from equipment.schemas import Problem
from equipment.stock import inspections
from equipment.stock import queries as stock_queries
from equipment.stock.catalogue import depot_by_code
from equipment.stock.schemas import (
    AssetAction,
    AssetEventPublic,
    AssetPath,
    AssetPublic,
    CollectionCreate,
    InspectionCreate,
    InspectionDueList,
    InspectionDuePublic,
    InspectionQuery,
)
from equipment.vocabulary import Role
from equipment.web.access import allow, current_principal
from equipment.web.api.stock import STAFF_READERS, WRITE_ERRORS, WRITERS, aware, retrying
from equipment.web.database import get_db

bp = APIBlueprint("api_assets", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="assets")])
exports_bp = APIBlueprint("api_exports", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="exports")])

A, CO, CL, O = Role.ADMIN, Role.COORDINATOR, Role.CLERK, Role.OFFICER
ON_LOAN_COLUMNS = [
    "asset",
    "sku",
    "item",
    "quantity",
    "order_ref",
    "area",
    "depot",
    "since",
    "last_inspected_on",
    "next_inspection_due",
    "open_recall",
]


def asset_public(serial: str) -> AssetPublic:
    view = stock_queries.asset_view(get_db(), serial)
    asset = view.asset
    return AssetPublic(
        serial=asset.serial,
        sku=view.item.sku,
        item=view.item.name,
        depot=view.depot.code,
        state=asset.state,
        order_ref=view.order_ref,
        area=view.district,
        on_loan_since=asset.on_loan_since,
        inspection_regime=view.item.inspection_regime,
        last_inspected_on=asset.last_inspected_on,
        next_inspection_due=asset.next_inspection_due,
        overdue=view.overdue,
        batch=asset.batch,
        manufactured_on=asset.manufactured_on,
        history=[AssetEventPublic(**event) for event in view.events],
    )


@bp.get("/assets/<serial>", responses={200: AssetPublic, 401: Problem, 403: Problem, 404: Problem, 422: Problem})
@allow(*STAFF_READERS)
def get_asset(path: AssetPath):
    """One asset with its full history and next inspection due (no personal names)."""
    return asset_public(path.serial).model_dump(mode="json")


@bp.post("/assets/<serial>/actions", responses={200: AssetPublic, **WRITE_ERRORS})
@allow(*WRITERS)
def act_on_asset(path: AssetPath, body: AssetAction):
    """A processing step: decontaminated, repaired, quarantined, scrapped or lost (409 when its state does not allow it)."""
    retrying(
        lambda: stock.process_asset(
            get_db(), serial=path.serial, action=body.action, note=body.note, user_id=current_principal().id
        )
    )
    return asset_public(path.serial).model_dump(mode="json")


@bp.post("/assets/<serial>/inspections", responses={201: AssetPublic, **WRITE_ERRORS})
@allow(*WRITERS)
def inspect_asset(path: AssetPath, body: InspectionCreate):
    """Record an inspection: a pass sets the next due date; a fail sends the asset to repair or quarantine."""
    retrying(
        lambda: inspections.record_inspection(
            get_db(),
            serial=path.serial,
            result=body.result,
            on_fail=body.on_fail,
            note=body.note,
            inspected_on=body.inspected_on,
            user_id=current_principal().id,
        )
    )
    return asset_public(path.serial).model_dump(mode="json"), 201


@bp.post("/assets/<serial>/return", responses={200: AssetPublic, **WRITE_ERRORS})
@allow(*WRITERS)
def return_asset(path: AssetPath, body: CollectionCreate):
    """An asset on loan comes back to a depot (outside a planned collection): it goes to quarantine."""
    retrying(
        lambda: stock.return_asset(
            get_db(), serial=path.serial, depot_code=body.depot, at=aware(body.at), user_id=current_principal().id
        )
    )
    return asset_public(path.serial).model_dump(mode="json")


@bp.get("/inspections/due", responses={200: InspectionDueList, 401: Problem, 403: Problem, 404: Problem, 422: Problem})
@allow(A, CO, CL, O)
def inspections_due(query: InspectionQuery):
    """Assets due or overdue for inspection, per depot and area (postcode district while on loan)."""
    db = get_db()
    depot_id = depot_by_code(db, query.depot).id if query.depot else None
    rows, total = inspections.inspections_due(
        db,
        depot_id=depot_id,
        district=query.district,
        within_days=query.within_days,
        limit=query.limit,
        offset=query.offset,
    )
    return InspectionDueList(items=[InspectionDuePublic(**r) for r in rows], total=total).model_dump(mode="json")


def on_loan_csv() -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ON_LOAN_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in stock_queries.on_loan(get_db()):
        writer.writerow(
            {
                **row,
                "since": row["since"].isoformat() if row["since"] else "",
                "next_inspection_due": row["next_inspection_due"].isoformat() if row["next_inspection_due"] else "",
                "last_inspected_on": row["last_inspected_on"].isoformat() if row["last_inspected_on"] else "",
            }
        )
    return buffer.getvalue()


@exports_bp.get(
    "/exports/on-loan.csv",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, 401: Problem, 403: Problem},
)
@allow(A, CO, CL, O)
def export_on_loan():
    """Everything on loan (asset, item, order ref, area, since, last and next examination, any
    open recall): no names."""
    return Response(
        on_loan_csv(), mimetype="text/csv", headers={"Content-Disposition": 'attachment; filename="on-loan.csv"'}
    )
