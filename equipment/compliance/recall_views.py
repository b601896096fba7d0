"""Reading recalls: unit by unit, where each is (a depot, or a home's area, never a name) and
what has been done; and each recall's progress in three numbers."""

from __future__ import annotations

from sqlalchemy import case, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from equipment.compliance.schemas import RecallProgress, RecallPublic, RecallSummary, RecallUnitPublic
from equipment.errors import NotFound
from equipment.models import Asset, Depot, Item, Order, Recall, RecallUnit, ServiceUser
from equipment.vocabulary import StockState

REACHED = ("quarantined", "released", "done", "acknowledged")
DONE = ("quarantined", "released", "acknowledged")
WHERE = {StockState.ON_LOAN: "home", StockState.IN_TRANSIT: "in_transit", StockState.LOADED: "on_van"}


def progress_by_recall(session: Session, recall_ids: list[int]) -> dict[int, RecallProgress]:
    """Affected, reached (out of circulation, or the home visited) and done (quarantined, or
    visited with the person's acknowledgement), per recall."""
    if not recall_ids:
        return {}
    rows = session.exec(
        select(
            RecallUnit.recall_id,
            func.count(),
            func.sum(case((RecallUnit.status.in_(REACHED), 1), else_=0)),
            func.sum(case((RecallUnit.status.in_(DONE), 1), else_=0)),
        )
        .where(RecallUnit.recall_id.in_(recall_ids))
        .group_by(RecallUnit.recall_id)
    ).all()
    found = {rid: RecallProgress(affected=n, reached=int(r or 0), done=int(d or 0)) for rid, n, r, d in rows}
    return {rid: found.get(rid, RecallProgress(affected=0, reached=0, done=0)) for rid in recall_ids}


def list_recalls(session: Session, *, open_only: bool = False) -> list[RecallSummary]:
    query = select(Recall).order_by(Recall.created_at.desc(), Recall.id.desc())
    if open_only:
        query = query.where(Recall.status == "open")
    recalls = list(session.exec(query))
    progress = progress_by_recall(session, [r.id for r in recalls])
    return [
        RecallSummary(
            id=r.id,
            reference=r.reference,
            action=r.action,
            status=r.status,
            created_at=r.created_at,
            progress=progress[r.id],
        )
        for r in recalls
    ]


def recall_detail(session: Session, recall_id: int) -> RecallPublic:
    recall = session.get(Recall, recall_id)
    if recall is None:
        raise NotFound(f"no recall {recall_id}", field="id")
    visit, swap = aliased(Order), aliased(Order)
    rows = session.exec(
        select(RecallUnit, Asset, Item.sku, Depot.code, ServiceUser.district, visit.ref, visit.status, swap.ref)
        .join(Asset, Asset.id == RecallUnit.asset_id)
        .join(Item, Item.id == Asset.item_id)
        .join(Depot, Depot.id == Asset.depot_id)
        .outerjoin(ServiceUser, ServiceUser.id == Asset.service_user_id)
        .outerjoin(visit, visit.id == RecallUnit.order_id)
        .outerjoin(swap, swap.id == RecallUnit.swap_order_id)
        .where(RecallUnit.recall_id == recall.id)
        .order_by(Asset.serial)
    ).all()
    units = [
        RecallUnitPublic(
            serial=asset.serial,
            sku=sku,
            batch=asset.batch,
            manufactured_on=asset.manufactured_on,
            where=WHERE.get(asset.state, "depot"),
            depot=code,
            area=district if asset.state == StockState.ON_LOAN else None,
            status=unit.status,
            order_ref=visit_ref,
            swap_order_ref=swap_ref,
            visit_status=visit_status,
            done_at=unit.done_at,
            acknowledged_at=unit.acknowledged_at,
        )
        for unit, asset, sku, code, district, visit_ref, visit_status, swap_ref in rows
    ]
    return RecallPublic(
        id=recall.id,
        reference=recall.reference,
        action=recall.action,
        response_class=recall.response_class,
        skus=recall.skus.split(),
        serials=recall.serials.split(),
        batch=recall.batch or None,
        made_from=recall.made_from,
        made_to=recall.made_to,
        note=recall.note,
        status=recall.status,
        created_at=recall.created_at,
        progress=progress_by_recall(session, [recall.id])[recall.id],
        units=units,
    )


def recalls_at_visit(session: Session, order_ids: list[int]) -> list[str]:
    """The references of the recalls that a visit serving these orders acts on."""
    if not order_ids:
        return []
    return sorted(
        set(
            session.exec(
                select(Recall.reference)
                .join(RecallUnit, RecallUnit.recall_id == Recall.id)
                .where(RecallUnit.order_id.in_(order_ids) | RecallUnit.swap_order_id.in_(order_ids))
            )
        )
    )
