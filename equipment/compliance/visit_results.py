"""What the driver records at an inspection or recall visit: each unit's result (pass or fail,
who examined it, a note) and the person's acknowledgement of a recall. A pass sets the next due
date; a fail takes the unit out of use at once and books a swap on an emergency-like clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, select

from equipment import service_time
from equipment.compliance.settings import ComplianceSettings
from equipment.compliance.visits import response_class, swap_visit
from equipment.errors import Invalid
from equipment.models import Asset, Order, OrderLine, Recall, RecallUnit, ServiceUser
from equipment.stock.inspections import record_inspection
from equipment.stock.ledger import asset_by_serial, asset_event
from equipment.vocabulary import OPEN_ORDER_STATUSES, OrderKind, OrderStatus, OutcomeStatus


@dataclass(frozen=True)
class VisitReport:
    """The driver's record of an inspection or recall visit."""

    results: dict[str, str] = field(default_factory=dict)  # serial -> pass / fail
    notes: dict[str, str] = field(default_factory=dict)
    examiner: str = ""
    acknowledged: bool = False


def visit_report(inspections: list[dict] | None, examiner: str | None, acknowledged: bool | None) -> VisitReport:
    """The report from the outcome's fields, checked for shape."""
    results, notes = {}, {}
    for n, entry in enumerate(inspections or []):
        serial, result = str(entry.get("serial", "")).strip(), entry.get("result")
        if result not in ("pass", "fail"):
            raise Invalid("each unit's result is pass or fail", field=f"inspections.{n}.result")
        if serial in results:
            raise Invalid(f"{serial} has two results", field=f"inspections.{n}.serial")
        results[serial], notes[serial] = result, str(entry.get("note") or "").strip()
    return VisitReport(results, notes, (examiner or "").strip(), bool(acknowledged))


def _units_to_inspect(session: Session, orders: list[Order]) -> tuple[set[str], set[str]]:
    """Serials on the visit's inspection orders (which may have a result), and those that must:
    all but the ones a recall asks only to modify."""
    ids = [o.id for o in orders if o.kind == OrderKind.INSPECTION]
    if not ids:
        return set(), set()
    serials = set(
        session.exec(select(OrderLine.serial).where(OrderLine.order_id.in_(ids), OrderLine.serial.is_not(None)))
    )
    modified_only = set(
        session.exec(
            select(Asset.serial)
            .join(RecallUnit, RecallUnit.asset_id == Asset.id)
            .join(Recall, Recall.id == RecallUnit.recall_id)
            .where(RecallUnit.order_id.in_(ids), Recall.action == "modify")
        )
    )
    return serials, serials - modified_only


def after_visit(
    session: Session,
    *,
    orders: list[Order],
    status: str,
    report: VisitReport,
    user_id: int | None,
    at: datetime,
    settings: ComplianceSettings,
) -> None:
    """Book the visit's inspection results and recall progress (flush only; Invalid writes nothing)."""
    if status == OutcomeStatus.FAILED:
        return
    may, must = _units_to_inspect(session, orders)
    unknown = set(report.results) - may
    if unknown:
        raise Invalid(f"not inspected at this visit: {', '.join(sorted(unknown))}", field="inspections")
    missing = must - set(report.results)
    if missing:
        raise Invalid(f"record a pass or fail for {', '.join(sorted(missing))}", field="inspections")
    if report.results and not report.examiner:
        raise Invalid("who examined the equipment?", field="examiner")
    day = service_time.to_local(at, settings.tz).date()
    for serial in sorted(report.results):
        note = f"examined by {report.examiner}" + (f": {report.notes[serial]}" if report.notes.get(serial) else "")
        record_inspection(
            session, serial=serial, result=report.results[serial], user_id=user_id, note=note, inspected_on=day
        )
        if report.results[serial] == "fail":
            take_out_of_use(session, serial=serial, user_id=user_id, note=note, settings=settings)
    _settle_recall_units(session, orders, report, user_id=user_id, at=at)


def take_out_of_use(
    session: Session, *, serial: str, user_id: int | None, note: str, settings: ComplianceSettings
) -> None:
    """A unit in a home that failed: not to be used from now on, swapped as soon as can be."""
    asset = asset_by_serial(session, serial)
    # Overdue from the moment it fails: never counted in date, never lent again before it passes.
    asset.next_inspection_due = service_time.today(settings.tz) - timedelta(days=1)
    session.add(asset)
    asset_event(
        session,
        asset,
        event="out_of_use",
        from_state=asset.state,
        to_state=asset.state,
        user_id=user_id,
        depot_id=asset.depot_id,
        result="fail",
        note=f"failed inspection, not to be used: {note}",
    )
    if asset.service_user_id is None or _open_collection(session, serial):
        return
    swap_visit(
        session,
        person=session.get(ServiceUser, asset.service_user_id),
        asset=asset,
        delivery_class=response_class(session, settings.swap_class, kind="delivery", field="SWAP_RESPONSE_CLASS"),
        collection_class=response_class(
            session, settings.swap_collection_class, kind="collection", field="SWAP_COLLECTION_CLASS"
        ),
        now=service_time.now_utc(),
        user_id=user_id,
        notes=f"failed inspection of {serial}",
        tz=settings.tz,
    )


def _open_collection(session: Session, serial: str) -> str | None:
    return session.exec(
        select(Order.ref)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(OrderLine.serial == serial, Order.kind == OrderKind.COLLECTION, Order.status.in_(OPEN_ORDER_STATUSES))
    ).first()


def _settle_recall_units(
    session: Session, orders: list[Order], report: VisitReport, *, user_id: int | None, at: datetime
) -> None:
    """A recall unit is done when its visit (or the collection of a swap) is; acknowledged when
    the person acknowledged the notice at a visit for it."""
    ids = [o.id for o in orders if o.status == OrderStatus.COMPLETED]
    if not ids:
        return
    units = session.exec(
        select(RecallUnit).where((RecallUnit.order_id.in_(ids)) | (RecallUnit.swap_order_id.in_(ids)))
    ).all()
    for unit in units:
        if unit.order_id in ids and unit.done_at is None:
            unit.done_at, unit.status = at, "done"
        if report.acknowledged and unit.acknowledged_at is None:
            unit.acknowledged_at, unit.acknowledged_by = at, user_id
        if unit.done_at is not None and unit.acknowledged_at is not None:
            unit.status = "acknowledged"
        session.add(unit)
    session.flush()
