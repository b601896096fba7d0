"""Orders: intake, authorisation, amendment and cancellation. One function per use case, each
one transaction that commits once; a domain error leaves nothing written.

Status after intake: awaiting_authorisation (a delivery with a high-cost item), back_order (not
all stock could be reserved), or ready (deliveries fully allocated; collections and inspections
at once). The due time is computed once, when the clock starts (received, or authorised when the
class says so and the order needs authorisation), and stored in order.due_at.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from equipment import audit
from equipment.db import use_case, utcnow
from equipment.errors import Invalid, InvalidTransition
from equipment.models import Depot, Order, OrderLine, Prescriber, ResponseClass, ServiceUser
from equipment.orders import clocks
from equipment.orders.allocation import allocate, release_all, serving_depot, shortfall_text
from equipment.orders.back_order_review import predict_stock_delay
from equipment.orders.lines import (
    ResolvedLine,
    check_assets_with_person,
    lines_text,
    make_lines,
    needs_authorisation,
    resolve_lines,
)
from equipment.orders.records import add_event, order_by_ref, order_lines
from equipment.orders.schemas import OrderAmend, OrderCreate, SlotIn
from equipment.orders.slots import check_slot
from equipment.people import prescribers
from equipment.people.service_users import PersonDetails, find_or_create
from equipment.places.geocoding import GeocoderSettings, look_up_ahead
from equipment.vocabulary import OrderKind, OrderStatus

SENDER_CLOCK_AHEAD = timedelta(minutes=2)  # a sender's clock a little ahead of ours is not "the future"
NOT_CHANGEABLE = (OrderStatus.LOADED, OrderStatus.COMPLETED, OrderStatus.CANCELLED)


@dataclass(frozen=True)
class OrderSettings:
    tz: str = clocks.DEFAULT_TZ
    geocoder: GeocoderSettings = field(default_factory=GeocoderSettings)

    @classmethod
    def from_config(cls, config: dict) -> OrderSettings:
        return cls(tz=config.get("TIMEZONE", clocks.DEFAULT_TZ), geocoder=GeocoderSettings.from_config(config))


# --- intake ------------------------------------------------------------------------------------


def create_order(
    session: Session,
    *,
    data: OrderCreate,
    user_id: int | None,
    settings: OrderSettings | None = None,
    now: datetime | None = None,
    placed_by_prescriber: bool = False,
) -> Order:
    """Take an order: check it, find or create the person, start the clock, reserve stock. Commits.

    With `placed_by_prescriber` (the prescriber `data.prescriber_id` orders for themselves) a
    collection or inspection must be for someone already on one of their orders."""
    settings = settings or OrderSettings()
    now = now or utcnow()
    su = data.service_user
    if su.lat is None:
        look_up_ahead(session, [(su.address, su.postcode)], settings.geocoder)
    try:
        return _take_order(session, data, user_id, settings, now, placed_by_prescriber)
    except IntegrityError:
        # Another request created the same person (NHS number) a moment ago: now we find them.
        return _take_order(session, data, user_id, settings, now, placed_by_prescriber)


@use_case
def _take_order(
    session: Session,
    data: OrderCreate,
    user_id: int | None,
    settings: OrderSettings,
    now: datetime,
    placed_by_prescriber: bool = False,
) -> Order:
    received_at = clocks.to_utc(data.received_at or now, tz=settings.tz)
    if received_at > now + SENDER_CLOCK_AHEAD:
        raise Invalid("The time the request came in cannot be in the future", field="received_at")
    rc = response_class_for(session, data.kind, data.response_class)
    if data.prescriber_id is not None and session.get(Prescriber, data.prescriber_id) is None:
        raise Invalid("Choose a prescriber on record", field="prescriber_id")
    slot = _slot(data.slot, settings.tz)
    lines = resolve_lines(session, data.kind, data.lines)
    person = _person(session, data, user_id, settings)
    check_slot(session, slot, depot=serving_depot(session, person.district), now=now, tz=settings.tz)
    check_assets_with_person(session, data.kind, lines, person.id)
    prescriber_waits = _prescriber_rules(session, data, lines, person, placed_by_prescriber)
    order = _new_order(session, data, rc, person, received_at, slot, user_id)
    rows = make_lines(session, order, lines)
    waits = needs_authorisation(data.kind, lines) or prescriber_waits
    if not waits or rc.clock_start != "authorised":
        _start_clock(order, rc, received_at, settings.tz)
    add_event(
        session,
        order,
        user_id,
        "received",
        f"{order.kind}, {rc.name}: {lines_text(lines)}" + _due_text(order, settings.tz),
    )
    if waits:
        order.status = OrderStatus.AWAITING_AUTHORISATION
        add_event(session, order, user_id, "awaiting_authorisation", _auth_items(lines))
    elif order.kind == OrderKind.DELIVERY:
        _allocate(session, order, rows, person, user_id, now, settings.tz)
    session.add(order)
    audit.record(session, user_id=user_id, action="created", entity="order", entity_id=order.ref)
    session.flush()
    return order


def _prescriber_rules(
    session: Session, data: OrderCreate, lines: list[ResolvedLine], person: ServiceUser, placed_by_prescriber: bool
) -> bool:
    """What the named prescriber may order (True: it waits for authorisation because of them)."""
    if data.prescriber_id is None:
        if placed_by_prescriber:
            raise Invalid("This account is not linked to a prescriber record", field="prescriber_id")
        return False
    prescribers.prescriber_by_id(session, data.prescriber_id)
    if data.kind != OrderKind.DELIVERY:
        if placed_by_prescriber:
            prescribers.check_their_person(session, data.prescriber_id, person.id)
        return False
    return prescribers.check_categories(
        session, data.prescriber_id, [(line.index, line.item.category) for line in lines]
    )


def _person(session: Session, data: OrderCreate, user_id: int | None, settings: OrderSettings) -> ServiceUser:
    """The person the order is for, found by NHS number or created (and geocoded)."""
    su = data.service_user
    return find_or_create(
        session,
        PersonDetails(
            name=su.name,
            address=su.address,
            postcode=su.postcode,
            nhs_number=su.nhs_number,
            phone=su.phone,
            lat=su.lat,
            lon=su.lon,
            access_notes=su.access_notes,
            safety_alerts=su.safety_alerts,
            email=su.email,
            contact_by=su.contact_by,
            contact_consent=su.contact_consent,
        ),
        geocoder=settings.geocoder,
        user_id=user_id,
    )


def _new_order(
    session: Session,
    data: OrderCreate,
    rc: ResponseClass,
    person: ServiceUser,
    received_at: datetime,
    slot: tuple[datetime | None, datetime | None],
    user_id: int | None,
) -> Order:
    """The order row, ready and without lines, with its reference from its id."""
    slot_start, slot_end = slot
    order = Order(
        ref="new-" + uuid.uuid4().hex[:16],
        kind=data.kind,
        response_class=rc.code,
        status=OrderStatus.READY,
        service_user_id=person.id,
        prescriber_id=data.prescriber_id,
        depot_id=serving_depot(session, person.district).id,
        district=person.district,
        received_at=received_at,
        slot_start=slot_start,
        slot_end=slot_end,
        notes=data.notes.strip(),
        created_by=user_id,
    )
    session.add(order)
    session.flush()
    order.ref = f"EQ-{order.id:06d}"
    return order


def response_class_for(session: Session, kind: str, code: str) -> ResponseClass:
    rc = session.get(ResponseClass, code)
    if rc is None:
        raise Invalid(f"Unknown response class {code!r}", field="response_class")
    wanted = OrderKind.COLLECTION if kind == OrderKind.COLLECTION else OrderKind.DELIVERY
    if rc.kind != wanted:
        raise Invalid(f"{rc.name} is a {rc.kind} class; this is a {kind}", field="response_class")
    return rc


def _slot(slot: SlotIn | None, tz: str) -> tuple[datetime | None, datetime | None]:
    if slot is None:
        return None, None
    start, end = clocks.to_utc(slot.start, tz=tz), clocks.to_utc(slot.end, tz=tz)
    if end <= start:
        raise Invalid("The slot must end after it starts", field="slot.end")
    return start, end


def _start_clock(order: Order, rc: ResponseClass, at: datetime, tz: str) -> None:
    order.clock_started_at = at
    order.due_at = clocks.due_at(rc, at, tz=tz)


def _due_text(order: Order, tz: str) -> str:
    if order.due_at is None:
        return "; the clock starts when authorised"
    return "; due " + order.due_at.astimezone(clocks.zone(tz)).strftime("%a %d %b %Y %H:%M")


def _auth_items(lines: list[ResolvedLine]) -> str:
    high_cost = sorted({line.item.sku for line in lines if line.item.needs_authorisation})
    return "needs authorisation: " + (", ".join(high_cost) or "items this prescriber orders only with authorisation")


def _allocate(
    session: Session,
    order: Order,
    rows: list[OrderLine],
    person: ServiceUser,
    user_id: int | None,
    now: datetime,
    tz: str,
) -> None:
    """Reserve stock; ready when all is held, else back_order (and a predicted delay if too late)."""
    complete = allocate(session, order, rows, lat=person.lat, lon=person.lon, user_id=user_id)
    depot = session.get(Depot, order.depot_id)
    if complete:
        if order.status not in (OrderStatus.PLANNED,):
            order.status = OrderStatus.READY
        add_event(session, order, user_id, "allocated", f"all lines reserved at {depot.code}")
        return
    order.status = OrderStatus.BACK_ORDER
    add_event(session, order, user_id, "back_order", f"waiting at {depot.code} for {shortfall_text(session, rows)}")
    session.flush()
    predict_stock_delay(session, order, now=now, user_id=user_id, tz=tz)


# --- changes -----------------------------------------------------------------------------------


@use_case
def cancel_order(
    session: Session, *, ref: str, user_id: int | None, reason: str = "", now: datetime | None = None
) -> Order:
    """Cancel before dispatch, releasing what was reserved. Commits."""

    order = order_by_ref(session, ref, for_update=True)
    if order.status in NOT_CHANGEABLE:
        raise InvalidTransition(f"An order that is {order.status} cannot be cancelled")
    release_all(session, order_lines(session, order), user_id=user_id)
    previous = order.status
    order.status = OrderStatus.CANCELLED
    session.add(order)
    add_event(
        session, order, user_id, "cancelled", f"was {previous}" + (f": {reason.strip()}" if reason.strip() else "")
    )
    audit.record(session, user_id=user_id, action="cancelled", entity="order", entity_id=order.ref, detail=reason)
    session.flush()
    return order


@use_case
def authorise_order(
    session: Session,
    *,
    ref: str,
    user_id: int | None,
    note: str = "",
    settings: OrderSettings | None = None,
    now: datetime | None = None,
) -> Order:
    """Authorise a high-cost order: start its clock if the class says so, then reserve stock. Commits."""
    settings = settings or OrderSettings()
    now = now or utcnow()

    order = order_by_ref(session, ref, for_update=True)
    if order.status != OrderStatus.AWAITING_AUTHORISATION:
        raise InvalidTransition(f"Order {ref} is {order.status}, not awaiting authorisation")
    order.authorised_at, order.authorised_by = now, user_id
    if order.clock_started_at is None:
        _start_clock(order, session.get(ResponseClass, order.response_class), now, settings.tz)
    add_event(session, order, user_id, "authorised", note.strip() + _due_text(order, settings.tz))
    person = session.get(ServiceUser, order.service_user_id)
    _allocate(session, order, order_lines(session, order), person, user_id, now, settings.tz)
    session.add(order)
    audit.record(session, user_id=user_id, action="authorised", entity="order", entity_id=order.ref)
    session.flush()
    return order


def amend_order(
    session: Session,
    *,
    ref: str,
    data: OrderAmend,
    user_id: int | None,
    settings: OrderSettings | None = None,
    now: datetime | None = None,
) -> Order:
    """Change the class, lines, slot or notes before dispatch; allocations follow. Commits."""
    settings = settings or OrderSettings()
    now = now or utcnow()
    return _amend(session, ref, data, user_id, settings, now)


@use_case
def _amend(
    session: Session, ref: str, data: OrderAmend, user_id: int | None, settings: OrderSettings, now: datetime
) -> Order:
    order = order_by_ref(session, ref, for_update=True)
    if order.status in NOT_CHANGEABLE:
        raise InvalidTransition(f"An order that is {order.status} can no longer be changed")
    sent = data.model_fields_set
    changes: list[str] = []
    if "slot" in sent:
        slot = _slot(data.slot, settings.tz)
        if slot != (order.slot_start, order.slot_end):
            check_slot(session, slot, depot=session.get(Depot, order.depot_id), now=now, tz=settings.tz)
            order.slot_start, order.slot_end = slot
            changes.append("slot")
    if data.notes is not None and data.notes.strip() != order.notes:
        order.notes = data.notes.strip()
        changes.append("notes")
    rows = order_lines(session, order)
    resolved = None
    if data.lines is not None:
        resolved = resolve_lines(session, order.kind, data.lines)
        check_assets_with_person(session, order.kind, resolved, order.service_user_id, order_id=order.id)
    if data.response_class is not None and data.response_class != order.response_class:
        rc = response_class_for(session, order.kind, data.response_class)
        order.response_class = rc.code
        changes.append(f"class {rc.code}")
        _restart_clock_for_new_class(order, rc, settings.tz)
    if resolved is not None and _lines_differ(rows, resolved):
        release_all(session, rows, user_id=user_id)
        for row in rows:
            session.delete(row)
        session.flush()
        rows = make_lines(session, order, resolved)
        changes.append("lines: " + lines_text(resolved))
        _after_new_lines(session, order, rows, resolved, user_id, now, settings.tz)
    if not changes:
        return order
    detail = (
        "; ".join(changes)
        + (f" ({data.reason.strip()})" if data.reason.strip() else "")
        + _due_text(order, settings.tz)
    )
    add_event(session, order, user_id, "amended", detail)
    audit.record(session, user_id=user_id, action="amended", entity="order", entity_id=order.ref, detail=detail)
    session.add(order)
    session.flush()
    return order


def _lines_differ(rows: list[OrderLine], resolved: list[ResolvedLine]) -> bool:
    old = sorted((r.item_id, r.quantity, r.serial or "") for r in rows)
    new = sorted((r.item.id, r.quantity, r.asset.serial if r.asset else "") for r in resolved)
    return old != new


def _restart_clock_for_new_class(order: Order, rc: ResponseClass, tz: str) -> None:
    # A changed class counts from when the clock started (or would have started) under it.
    if order.clock_started_at is not None:
        order.due_at = clocks.due_at(rc, order.clock_started_at, tz=tz)
    elif rc.clock_start != "authorised" or order.status != OrderStatus.AWAITING_AUTHORISATION:
        _start_clock(order, rc, order.received_at, tz)


def _after_new_lines(session, order, rows, resolved, user_id, now, tz) -> None:
    if order.kind != OrderKind.DELIVERY:
        return
    if needs_authorisation(order.kind, resolved) and order.authorised_at is None:
        order.status = OrderStatus.AWAITING_AUTHORISATION
        add_event(session, order, user_id, "awaiting_authorisation", _auth_items(resolved))
        return
    if order.status == OrderStatus.AWAITING_AUTHORISATION:
        # No high-cost item left: it no longer waits, and its clock runs from receipt.
        if order.clock_started_at is None:
            _start_clock(order, session.get(ResponseClass, order.response_class), order.received_at, tz)
        order.status = OrderStatus.READY
    if not any(row.allocated for row in rows):
        order.depot_id = serving_depot(session, order.district).id
    person = session.get(ServiceUser, order.service_user_id)
    _allocate(session, order, rows, person, user_id, now, tz)
