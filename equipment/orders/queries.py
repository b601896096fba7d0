"""Reading orders: the filtered list, one order with its timeline (views of a person's record are
audited), the due time an order would get, and live availability for the order form."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from equipment import audit, stock
from equipment.db import use_case, utcnow
from equipment.errors import Invalid
from equipment.models import (
    Delay,
    Depot,
    Item,
    Order,
    OrderEvent,
    OrderLine,
    Outcome,
    PostcodeDistrict,
    ResponseClass,
    ServiceUser,
    User,
)
from equipment.orders import clocks
from equipment.orders.records import order_by_ref
from equipment.orders.search import Search, order_search
from equipment.people import prescribers
from equipment.places.postcodes import district_of
from equipment.plain_words import plain
from equipment.stock import catalogue
from equipment.vocabulary import OPEN_ORDER_STATUSES, OrderStatus

OPEN = "open"  # the list's pseudo-status: every order still needing something done


@dataclass
class OrderRow:
    order: Order
    depot: str
    person: ServiceUser | None = None  # only when the reader may see people


@dataclass
class OrderView:
    order: Order
    depot: str
    lines: list[tuple[OrderLine, Item]]
    events: list[tuple[OrderEvent, str | None]]
    delays: list[Delay]
    outcomes: list[Outcome]
    person: ServiceUser | None = None
    timeline: list[tuple[datetime, str, str, str | None]] = field(default_factory=list)


def parse_moment(
    value: str | date | None, *, field: str, end_of_day: bool = False, tz: str = clocks.DEFAULT_TZ
) -> tuple[datetime | None, bool]:
    """(moment, is_whole_day): a date is local midnight (with `end_of_day` the next midnight);
    an ISO 8601 time without an offset is local time."""
    if value is None or value == "":
        return None, False
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError as exc:
            raise Invalid("Give a date (YYYY-MM-DD) or an ISO 8601 time", field=field) from exc
    try:
        if isinstance(value, datetime):
            return clocks.to_utc(value, tz=tz), False
        return clocks.local_moment(value + timedelta(days=1) if end_of_day else value, time(0), tz=tz), True
    except OverflowError:  # the ends of the calendar: no bound at all
        return None, False


@use_case
def list_orders(
    session: Session,
    *,
    status: str | None = None,
    response_class: str | None = None,
    kind: str | None = None,
    depot: str | None = None,
    due_from: str | date | None = None,
    due_to: str | date | None = None,
    q: str | None = None,
    prescriber_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
    with_people: bool = False,
    user_id: int | None = None,
    tz: str = clocks.DEFAULT_TZ,
) -> tuple[list[OrderRow], int]:
    """Orders matching every filter given, earliest due first, and how many match in all.

    `status` "open" is every status still needing something done; `q` searches by reference
    and, with `with_people`, by NHS number, name or postcode (audited); `prescriber_id` keeps
    only that prescriber's orders. With `with_people` (coordinators, admins) each row carries
    the person, and the listing is audited as a view of their records."""
    query = select(Order)
    if prescriber_id is not None:
        query = query.where(Order.prescriber_id == prescriber_id)
    if status == OPEN:
        query = query.where(Order.status.in_(OPEN_ORDER_STATUSES))
    elif status:
        if status not in set(OrderStatus):
            raise Invalid(f"Unknown status {status!r}", field="status")
        query = query.where(Order.status == status)
    searched = order_search(q, people=with_people) if q and q.strip() else None
    if searched is not None:
        query = query.where(searched.condition)
    if response_class:
        if session.get(ResponseClass, response_class) is None:
            raise Invalid(f"Unknown response class {response_class!r}", field="response_class")
        query = query.where(Order.response_class == response_class)
    if kind:
        query = query.where(Order.kind == kind)
    if depot:
        # An unknown depot code matches no order.
        query = query.where(Order.depot_id == select(Depot.id).where(Depot.code == depot).scalar_subquery())
    start, _ = parse_moment(due_from, field="due_from", tz=tz)
    end, whole_day = parse_moment(due_to, field="due_to", end_of_day=True, tz=tz)
    if start:
        query = query.where(Order.due_at >= start)
    if end:
        query = query.where(Order.due_at < end) if whole_day else query.where(Order.due_at <= end)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    if searched is not None and with_people:
        _audit_search(session, user_id, searched, total)
    found = session.exec(
        query.order_by(Order.due_at.is_(None), Order.due_at, Order.id).limit(limit).offset(offset)
    ).all()
    codes = depot_codes(session)
    people: dict[int, ServiceUser] = {}
    if with_people and found:
        ids = {o.service_user_id for o in found}
        people = {p.id: p for p in session.exec(select(ServiceUser).where(ServiceUser.id.in_(ids)))}
        audit.record(
            session,
            user_id=user_id,
            action="listed",
            entity="service_user",
            entity_id=f"{len(ids)} people",
            detail="orders " + " ".join(o.ref for o in found),
        )
    rows = [OrderRow(o, codes.get(o.depot_id, ""), people.get(o.service_user_id)) for o in found]
    return rows, total


def _audit_search(session: Session, user_id: int | None, searched: Search, total: int) -> None:
    # Like the NHS-number look-up: what was searched for (which may be someone's) is not kept.
    how = "NHS number" if searched.by_nhs_number else "reference, name or postcode"
    audit.record(
        session,
        user_id=user_id,
        action="searched" if total else "not_found",
        entity="service_user",
        entity_id="",
        detail=f"orders searched by {how}: {total} found",
    )


def depot_codes(session: Session) -> dict[int, str]:
    return {d.id: d.code for d in session.exec(select(Depot))}


@use_case
def view_order(
    session: Session, *, ref: str, user_id: int | None, personal: bool, prescriber_id: int | None = None
) -> OrderView:
    """One order with its lines and timeline; with `personal` the person too, and the view audited
    (the audit row is part of the read's transaction). With `prescriber_id`, another prescriber's
    order is not found."""
    order = order_by_ref(session, ref)
    prescribers.check_their_order(order, prescriber_id)
    lines = list(
        session.exec(
            select(OrderLine, Item)
            .join(Item, Item.id == OrderLine.item_id)
            .where(OrderLine.order_id == order.id)
            .order_by(OrderLine.id)
        )
    )
    events = list(
        session.exec(
            select(OrderEvent, User.username)
            .join(User, User.id == OrderEvent.user_id, isouter=True)
            .where(OrderEvent.order_id == order.id)
            .order_by(OrderEvent.at, OrderEvent.id)
        )
    )
    delays = list(session.exec(select(Delay).where(Delay.order_id == order.id).order_by(Delay.recorded_at)))
    outcomes = list(session.exec(select(Outcome).where(Outcome.order_id == order.id).order_by(Outcome.at)))
    person = None
    if personal:
        person = session.get(ServiceUser, order.service_user_id)
        audit.record(
            session,
            user_id=user_id,
            action="viewed",
            entity="service_user",
            entity_id=person.id,
            detail=f"order {order.ref}",
        )
    view = OrderView(order, depot_codes(session).get(order.depot_id, ""), lines, events, delays, outcomes, person)
    view.timeline = _timeline(view)
    return view


def _timeline(view: OrderView) -> list[tuple[datetime, str, str, str | None]]:
    """(when, what, detail, who) from events, delays and outcomes, oldest first."""
    entries = [(e.at, plain(e.event), e.detail, who) for e, who in view.events]
    entries += [(o.at, f"visit: {plain(o.status)}", plain(o.reason) if o.reason else "", None) for o in view.outcomes]
    entries.sort(key=lambda entry: entry[0])
    return entries


def preview_due(
    session: Session,
    *,
    response_class: str,
    received_at: str | datetime | None,
    needs_authorisation: bool = False,
    tz: str = clocks.DEFAULT_TZ,
    now: datetime | None = None,
) -> tuple[ResponseClass, datetime, str, datetime | None]:
    """The due time an order would get: (class, received at, when the clock starts, due or None)."""
    rc = session.get(ResponseClass, response_class)
    if rc is None:
        raise Invalid(f"Unknown response class {response_class!r}", field="response_class")
    received = parse_moment(received_at, field="received_at", tz=tz)[0] or (now or utcnow())
    if needs_authorisation and rc.clock_start == "authorised":
        return rc, received, "authorised", None
    return rc, received, "received", clocks.due_at(rc, received, tz=tz)


def availability(
    session: Session, *, postcode: str | None = None, depot: str | None = None, q: str | None = None, limit: int = 20
) -> tuple[Depot | None, str | None, list[tuple[Item, int, int]]]:
    """Catalogue items matching `q` with units available now at the serving depot and elsewhere."""

    district = None
    home = None
    if postcode:
        district = district_of(postcode.strip() or "?")
        row = session.get(PostcodeDistrict, district)
        home = session.get(Depot, row.depot_id) if row else None  # None: outside the service area
    elif depot:
        home = catalogue.depot_by_code(session, depot)
    items, _ = catalogue.search_items(session, q=q, limit=limit)
    depots = list(session.exec(select(Depot)))
    result = []
    for item in items:
        counts = {d.id: stock.available_quantity(session, depot_id=d.id, item_id=item.id) for d in depots}
        here = counts.get(home.id, 0) if home else 0
        elsewhere = sum(n for depot_id, n in counts.items() if not home or depot_id != home.id)
        result.append((item, here, elsewhere))
    return home, district, result
