"""Recording a field safety notice: which units it names, and acting on each at once. Units in
stock are quarantined (and can never be allocated while the recall holds them), a unit reserved
for an order is replaced on that order (or the order waits), units in homes get a visit (inspect
or modify; a swap to withdraw), units in transit or on a van are flagged to the clerk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from equipment import audit, notices
from equipment.compliance.schemas import RecallCreate
from equipment.compliance.settings import ComplianceSettings
from equipment.compliance.visits import add_unit_lines, inspection_visit, response_class, swap_visit
from equipment.db import use_case, utcnow
from equipment.errors import Conflict, Invalid
from equipment.models import Asset, Item, Order, OrderLine, Recall, RecallUnit, ServiceUser
from equipment.orders.allocation import allocate
from equipment.orders.records import add_event
from equipment.stock.ledger import SERIAL, Ledger, asset_event, change_asset
from equipment.vocabulary import OrderStatus, StockState

S = StockState
ACTIONS = ("inspect", "modify", "withdraw")
IN_STOCK = (S.AVAILABLE, S.QUARANTINE, S.DECONTAMINATED, S.REPAIR)
MOVING = (S.IN_TRANSIT, S.LOADED)
OUT_OF_SERVICE = (S.SCRAPPED, S.LOST)


@dataclass(frozen=True)
class Selection:
    """The checked notice: its lines and how it names units."""

    items: list[Item]
    serials: list[str]
    batch: str
    made_from: date | None
    made_to: date | None


def check_notice(session: Session, data: RecallCreate) -> Selection:
    """The notice's lines and selection, or Invalid naming the field at fault (nothing written)."""
    if not data.reference.strip():
        raise Invalid("give the notice's reference", field="reference")
    if data.action not in ACTIONS:
        raise Invalid(f"action must be one of {', '.join(ACTIONS)}", field="action")
    skus = [s.strip() for s in data.skus if s.strip()]
    if not skus:
        raise Invalid("name at least one catalogue line (sku)", field="skus")
    items = []
    for sku in skus:
        item = session.exec(select(Item).where(Item.sku == sku)).first()
        if item is None:
            raise Invalid(f"No catalogue item with SKU {sku!r}", field="skus")
        if not item.serialised:
            raise Invalid(f"{sku} is not serialised: a recall names units", field="skus")
        items.append(item)
    serials = [s.strip() for s in (data.serials or []) if s.strip()]
    batch = (data.batch or "").strip()
    ranged = data.made_from is not None or data.made_to is not None
    if sum((bool(serials), bool(batch), ranged)) != 1:
        raise Invalid("name the units one way: serials, a batch, or a manufacture date range", field="serials")
    if ranged and (data.made_from is None or data.made_to is None):
        raise Invalid(
            "give both ends of the manufacture date range", field="made_to" if data.made_from else "made_from"
        )
    if ranged and data.made_to < data.made_from:
        raise Invalid("the range ends before it starts", field="made_to")
    for serial in serials:
        if not SERIAL.match(serial):
            raise Invalid(f"{serial!r} is not a serial number", field="serials")
    return Selection(items, serials, batch, data.made_from, data.made_to)


def affected_assets(session: Session, selection: Selection) -> list[Asset]:
    """The units the notice names (scrapped and lost units are out of reach and left out)."""
    item_ids = [i.id for i in selection.items]
    query = select(Asset).where(Asset.item_id.in_(item_ids), Asset.state.not_in(OUT_OF_SERVICE))
    if selection.serials:
        found = {a.serial: a for a in session.exec(select(Asset).where(Asset.serial.in_(selection.serials)))}
        for serial in selection.serials:
            asset = found.get(serial)
            if asset is None:
                raise Invalid(f"No asset with serial {serial!r}", field="serials")
            if asset.item_id not in item_ids:
                raise Invalid(f"{serial} is not one of {', '.join(i.sku for i in selection.items)}", field="serials")
        query = query.where(Asset.serial.in_(selection.serials))
    elif selection.batch:
        query = query.where(Asset.batch == selection.batch)
    else:
        query = query.where(Asset.manufactured_on >= selection.made_from, Asset.manufactured_on <= selection.made_to)
    assets = list(session.exec(query.order_by(Asset.serial).with_for_update()))
    if not assets:
        field = "serials" if selection.serials else "batch" if selection.batch else "made_from"
        raise Invalid("the notice names no unit the service holds or has lent", field=field)
    return assets


def record_recall(
    session: Session, *, data: RecallCreate, user_id: int | None, settings: ComplianceSettings | None = None
) -> Recall:
    """Record a field safety notice and act on every unit it names; commits once."""
    try:
        return _record(session, data=data, user_id=user_id, settings=settings or ComplianceSettings())
    except IntegrityError as exc:  # the same reference recorded a moment ago by someone else
        raise Conflict(f"recall {data.reference.strip()} is already recorded", field="reference") from exc


@use_case
def _record(session: Session, *, data: RecallCreate, user_id: int | None, settings: ComplianceSettings) -> Recall:
    selection = check_notice(session, data)
    rc = response_class(session, data.response_class.strip(), kind="delivery")
    reference = data.reference.strip()
    if session.exec(select(Recall.id).where(Recall.reference == reference)).first() is not None:
        raise Conflict(f"recall {reference} is already recorded", field="reference")
    assets = affected_assets(session, selection)
    recall = Recall(
        reference=reference,
        action=data.action,
        response_class=rc.code,
        skus=" ".join(i.sku for i in selection.items),
        serials=" ".join(selection.serials)[:4000],
        batch=selection.batch,
        made_from=selection.made_from,
        made_to=selection.made_to,
        note=data.note.strip(),
        created_by=user_id,
    )
    session.add(recall)
    session.flush()
    visits: dict[int, Order] = {}  # one inspection visit per home, whatever the units there
    for asset in assets:
        _act_on_unit(session, recall, asset, visits, user_id=user_id, settings=settings)
    audit.record(
        session,
        user_id=user_id,
        action="recall_recorded",
        entity="recall",
        entity_id=reference,
        detail=f"{data.action}: {len(assets)} units",
    )
    session.flush()
    return recall


def _act_on_unit(
    session: Session,
    recall: Recall,
    asset: Asset,
    visits: dict[int, Order],
    *,
    user_id: int | None,
    settings: ComplianceSettings,
) -> None:
    state = asset.state
    unit = RecallUnit(recall_id=recall.id, asset_id=asset.id, status="flagged", found_state=state)
    if state in IN_STOCK:
        quarantine(session, recall, asset, user_id=user_id)
        unit.status, unit.done_at = "quarantined", utcnow()
    elif state == S.ALLOCATED:
        _take_from_order(session, recall, asset, user_id=user_id)
        unit.status, unit.done_at = "quarantined", utcnow()
    elif state == S.ON_LOAN and asset.service_user_id is not None:
        _visit(session, recall, asset, unit, visits, user_id=user_id, settings=settings)
        unit.status = "visit_planned"
    else:
        unit.note = f"{state}: check and quarantine it when it reaches a depot"
    session.add(unit)
    asset_event(
        session,
        asset,
        event="recalled",
        from_state=state,
        to_state=asset.state if state != S.ALLOCATED else S.QUARANTINE,
        user_id=user_id,
        depot_id=asset.depot_id,
        note=f"{recall.reference}: {recall.action} ({unit.status})",
    )


def quarantine(session: Session, recall: Recall, asset: Asset, *, user_id: int | None) -> None:
    state = asset.state
    if state == S.QUARANTINE:
        return
    change_asset(session, asset, expected=state, to_state=S.QUARANTINE)
    ledger = Ledger(session, user_id)
    ledger.move(
        item_id=asset.item_id,
        quantity=1,
        kind="recall",
        source=(asset.depot_id, state),
        target=(asset.depot_id, S.QUARANTINE),
        asset_id=asset.id,
        reason=recall.reference,
    )
    ledger.apply()


def _take_from_order(session: Session, recall: Recall, asset: Asset, *, user_id: int | None) -> None:
    """A reserved unit leaves its order for quarantine; the order takes another unit or waits."""
    line = session.get(OrderLine, asset.order_line_id)
    change_asset(session, asset, expected=S.ALLOCATED, to_state=S.QUARANTINE, order_line_id=None)
    ledger = Ledger(session, user_id)
    ledger.move(
        item_id=asset.item_id,
        quantity=1,
        kind="recall",
        source=(asset.depot_id, S.ALLOCATED),
        target=(asset.depot_id, S.QUARANTINE),
        asset_id=asset.id,
        order_id=line.order_id,
        reason=recall.reference,
    )
    ledger.apply()
    line.allocated = max(0, line.allocated - 1)
    session.add(line)
    session.flush()
    order = session.get(Order, line.order_id)
    person = session.get(ServiceUser, order.service_user_id)
    lines = list(session.exec(select(OrderLine).where(OrderLine.order_id == order.id)))
    if allocate(session, order, lines, lat=person.lat, lon=person.lon, user_id=user_id):
        add_event(
            session, order, user_id, "allocated", f"{asset.serial} recalled ({recall.reference}): another unit reserved"
        )
        return
    if order.status in (OrderStatus.READY, OrderStatus.PLANNED):
        order.status = OrderStatus.BACK_ORDER
    session.add(order)
    add_event(session, order, user_id, "back_order", f"{asset.serial} recalled ({recall.reference}): waiting for stock")


def _visit(
    session: Session,
    recall: Recall,
    asset: Asset,
    unit: RecallUnit,
    visits: dict[int, Order],
    *,
    user_id: int | None,
    settings: ComplianceSettings,
) -> None:
    """Units in a home: a visit to inspect or modify them (one per home); a swap to withdraw one."""
    person = session.get(ServiceUser, asset.service_user_id)
    rc = response_class(session, recall.response_class, kind="delivery")
    notes = f"recall {recall.reference}: {recall.action}"
    if recall.action == "withdraw":
        collection_class = response_class(session, settings.swap_collection_class, kind="collection")
        delivery, collection = swap_visit(
            session,
            person=person,
            asset=asset,
            delivery_class=rc,
            collection_class=collection_class,
            now=utcnow(),
            user_id=user_id,
            notes=notes,
            tz=settings.tz,
        )
        unit.order_id, unit.swap_order_id = collection.id, delivery.id
        notices.queue_recall_notice(session, person=person, order=collection, recall_id=recall.id, replace=True)
        return
    order = visits.get(person.id)
    if order is None:
        order = visits[person.id] = inspection_visit(
            session,
            person=person,
            assets=[asset],
            rc=rc,
            due_on=None,
            now=utcnow(),
            user_id=user_id,
            notes=notes,
            tz=settings.tz,
        )
    else:
        add_unit_lines(session, order, [asset])
    unit.order_id = order.id
    notices.queue_recall_notice(session, person=person, order=order, recall_id=recall.id, replace=False)
