"""Inspection regimes: when an asset's next thorough examination or electrical test is due."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from equipment import audit
from equipment.db import use_case
from equipment.errors import Invalid, InvalidTransition
from equipment.models import Asset, Depot, Item, Order, OrderLine, ServiceUser
from equipment.service_time import today as service_today
from equipment.stock import backorders
from equipment.stock.ledger import Ledger, asset_by_serial, asset_event, change_asset
from equipment.stock.recall_hold import holding_recall
from equipment.vocabulary import InspectionRegime

REGIME_MONTHS = {
    InspectionRegime.LOLER_6M: 6,  # LOLER thorough examination of lifting equipment for people
    InspectionRegime.ELECTRICAL_12M: 12,  # periodic electrical safety test
}


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_due(regime: str, last_inspected: date) -> date | None:
    """The date the next inspection is due after one on `last_inspected`; None if no regime."""
    months = REGIME_MONTHS.get(InspectionRegime(regime)) if regime in set(InspectionRegime) else None
    return add_months(last_inspected, months) if months else None


# --- Recording inspections and listing what is due (the stock engineer's part) -----------------

INSPECTABLE_STATES = ("available", "on_loan", "quarantine", "decontaminated", "repair")
FAIL_STATES = ("repair", "quarantine")


@use_case
def record_inspection(
    session: Session,
    *,
    serial: str,
    result: str,
    user_id: int | None,
    on_fail: str = "repair",
    note: str = "",
    inspected_on: date | None = None,
) -> Asset:
    """Record an inspection (pass or fail) of one asset; commits.

    A pass sets the next due date from the item's regime and returns a cleaned or repaired
    asset to available stock. A fail sends an asset at a depot to repair or quarantine; an asset
    on loan stays where it is but is due at once, so it shows on the overdue list and cannot be
    lent again before it passes.
    """
    day = _inspection_day(result, on_fail, inspected_on)
    asset = asset_by_serial(session, serial)
    item = session.get(Item, asset.item_id)
    state, depot_id = asset.state, asset.depot_id
    to_state, values = _after_inspection(asset, item, serial, result, on_fail, day, holding_recall(session, asset.id))
    change_asset(session, asset, expected=state, to_state=to_state, **values)
    _book_inspection(session, asset, item, state, to_state, depot_id, result=result, user_id=user_id, note=note)
    if to_state == "available" and state != "available":
        backorders.fill(session, depot_id=depot_id, item_id=item.id, user_id=user_id)
    audit.record(
        session,
        user_id=user_id,
        action="asset_inspected",
        entity="asset",
        entity_id=serial,
        detail=f"{result} on {day.isoformat()} {note}".strip(),
    )
    return asset


def _inspection_day(result: str, on_fail: str, inspected_on: date | None) -> date:
    """The day of the inspection (today unless given), once the result and the fail state are checked."""
    if result not in ("pass", "fail"):
        raise Invalid("result must be pass or fail", field="result")
    if on_fail not in FAIL_STATES:
        raise Invalid("a failed asset goes to repair or quarantine", field="on_fail")
    today = service_today()
    day = inspected_on or today
    if day > today:
        raise Invalid("an inspection cannot be recorded in the future", field="inspected_on")
    return day


def _after_inspection(
    asset: Asset, item: Item, serial: str, result: str, on_fail: str, day: date, held_by: str | None = None
) -> tuple[str, dict[str, date | None]]:
    """The asset's state after the inspection and the inspection dates to set on it."""
    state = asset.state
    if result == "pass" and held_by and state != "on_loan":
        raise InvalidTransition(
            f"asset {serial} is held by recall {held_by}: it cannot go back into stock", field="serial"
        )
    if state not in INSPECTABLE_STATES:
        raise InvalidTransition(f"asset {serial} is {state}: it cannot be inspected now", field="serial")
    if result == "pass":
        if state == "quarantine":
            raise InvalidTransition(f"asset {serial} is in quarantine: decontaminate it first", field="serial")
        to_state = "available" if state in ("decontaminated", "repair") else state
        return to_state, {"last_inspected_on": day, "next_inspection_due": next_due(item.inspection_regime, day)}
    to_state = state if state == "on_loan" else on_fail
    return to_state, {"next_inspection_due": min(day, asset.next_inspection_due or day)}


def _book_inspection(
    session: Session,
    asset: Asset,
    item: Item,
    state: str,
    to_state: str,
    depot_id: int,
    *,
    result: str,
    user_id: int | None,
    note: str,
) -> None:
    """The movement (when the state changes) and the asset event of an inspection."""
    ledger = Ledger(session, user_id)
    if to_state != state:
        ledger.move(
            item_id=item.id,
            quantity=1,
            kind=f"inspection_{result}",
            source=(depot_id, state),
            target=(depot_id, to_state),
            asset_id=asset.id,
            reason=note,
        )
    asset_event(
        session,
        asset,
        event="inspected",
        from_state=state,
        to_state=to_state,
        user_id=user_id,
        depot_id=depot_id,
        result=result,
        note=note,
    )
    ledger.apply()


def inspections_due(
    session: Session,
    *,
    depot_id: int | None = None,
    district: str | None = None,
    within_days: int = 30,
    today: date | None = None,
    limit: int = 500,
    offset: int = 0,
) -> tuple[list[dict], int]:
    """Assets due for inspection within `within_days` (overdue first), per depot and area.

    The area of an asset on loan is the postcode district of the person who has it.
    """
    today = today or service_today()
    query = (
        select(Asset, Item.sku, Item.name, Item.inspection_regime, Depot.code, ServiceUser.district, Order.ref)
        .join(Item, Item.id == Asset.item_id)
        .join(Depot, Depot.id == Asset.depot_id)
        .outerjoin(ServiceUser, ServiceUser.id == Asset.service_user_id)
        .outerjoin(OrderLine, OrderLine.id == Asset.order_line_id)
        .outerjoin(Order, Order.id == OrderLine.order_id)
        .where(
            Asset.next_inspection_due.is_not(None),
            Asset.next_inspection_due <= today + timedelta(days=within_days),
            Asset.state.not_in(("scrapped", "lost")),
        )
    )
    if depot_id is not None:
        query = query.where(Asset.depot_id == depot_id)
    if district:
        query = query.where(ServiceUser.district == district.strip().upper())
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(Asset.next_inspection_due, Asset.serial).limit(limit).offset(offset)).all()
    return [
        {
            "serial": asset.serial,
            "sku": sku,
            "item": name,
            "regime": regime,
            "state": asset.state,
            "depot": code,
            "district": area,
            "order_ref": ref if asset.state == "on_loan" else None,
            "due": asset.next_inspection_due,
            "overdue": asset.next_inspection_due < today,
            "last_inspected_on": asset.last_inspected_on,
        }
        for asset, sku, name, regime, code, area, ref in rows
    ], total
