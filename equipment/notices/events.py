"""Creating messages from what happens to a plan. Helpers flush only: they join the use case that
publishes the plan or records the outcome, so a message exists exactly when its event does."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from equipment import service_time
from equipment.models import Notice, Order, Plan, Route, ServiceUser, Stop, StopOrder
from equipment.notices import wording
from equipment.notices.channels import channel_for
from equipment.vocabulary import Channel, NoticeKind, OutcomeStatus

DEFAULT_SERVICE_PHONE = "01632 960 000"


def _add(
    session: Session,
    *,
    key: str,
    kind: str,
    person: ServiceUser,
    order: Order | None,
    stop: Stop | None,
    body: str,
    sent: set[str] | None = None,
):
    """One message per event: an event already messaged is left as it is. `sent`: the keys
    already messaged, when the caller read them for many events at once."""
    known = key in sent if sent is not None else _sent(session, [key])
    if known:
        return None
    channel = channel_for(person)
    if kind == NoticeKind.ON_THE_WAY and channel == Channel.LETTER:
        return None  # a letter cannot arrive before the van does
    notice = Notice(
        event_key=key,
        kind=kind,
        channel=channel,
        service_user_id=person.id,
        order_id=order.id if order else None,
        stop_id=stop.id if stop else None,
        body=body,
    )
    try:
        with session.begin_nested():
            session.add(notice)
    except IntegrityError:  # the same event, messaged by a concurrent request a moment ago
        return None
    return notice


def _sent(session: Session, keys: list[str]) -> set[str]:
    return set(session.exec(select(Notice.event_key).where(Notice.event_key.in_(keys)))) if keys else set()


def _orders_of(session: Session, stop_id: int) -> list[Order]:
    return list(
        session.exec(select(Order).join(StopOrder, StopOrder.order_id == Order.id).where(StopOrder.stop_id == stop_id))
    )


def queue_window_notices(
    session: Session, plan: Plan, *, tz: str = service_time.DEFAULT_TZ, phone: str = DEFAULT_SERVICE_PHONE
) -> int:
    """Each visit of a published plan: the person is told its two-hour window. The same window
    for the same person on the same day is told once, however often the day is re-planned."""
    visits: dict[int, tuple[Stop, list[Order]]] = {}
    rows = session.exec(
        select(Stop, Order)
        .join(Route, Route.id == Stop.route_id)
        .join(StopOrder, StopOrder.stop_id == Stop.id)
        .join(Order, Order.id == StopOrder.order_id)
        .where(Route.plan_id == plan.id)
        .order_by(Stop.id, Order.id)
    )
    for stop, order in rows:
        visits.setdefault(stop.id, (stop, []))[1].append(order)
    people_ids = {stop.service_user_id for stop, _ in visits.values()}
    people = {p.id: p for p in session.exec(select(ServiceUser).where(ServiceUser.id.in_(people_ids)))}
    told = _windows_told(session, people_ids, plan)
    messages = []
    for stop, orders in visits.values():
        start, end = wording.visit_window(service_time.to_local(stop.eta, tz))
        key = f"window:{stop.service_user_id}:{plan.service_date}:{start:%H%M}"
        changed = bool(told.get(stop.service_user_id, set()) - {key})
        body = wording.window(
            kinds={o.kind for o in orders}, start=start, end=end, ref=orders[0].ref, phone=phone, changed=changed
        )
        messages.append((key, stop, orders[0], body))
    sent = set().union(*told.values())  # the day's window keys already messaged: one read for both
    count = 0
    for key, stop, order, body in messages:
        person = people[stop.service_user_id]
        added = _add(
            session, key=key, kind=NoticeKind.WINDOW, person=person, order=order, stop=stop, body=body, sent=sent
        )
        sent.add(key)  # two visits of one person in one window: told once
        count += added is not None
    session.flush()
    return count


def _windows_told(session: Session, people_ids: set[int], plan: Plan) -> dict[int, set[str]]:
    """The window keys each person was already messaged for the plan's day."""
    told: dict[int, set[str]] = {}
    if not people_ids:
        return told
    rows = session.exec(
        select(Notice.service_user_id, Notice.event_key).where(
            Notice.service_user_id.in_(people_ids),
            Notice.kind == NoticeKind.WINDOW,
            Notice.event_key.like(f"window:%:{plan.service_date}:%"),
        )
    )
    for person_id, key in rows:
        told.setdefault(person_id, set()).add(key)
    return told


def queue_after_outcome(
    session: Session, stop: Stop, status: str, *, tz: str = service_time.DEFAULT_TZ, phone: str = DEFAULT_SERVICE_PHONE
) -> None:
    """After a visit: the next person on the route hears the van is on its way; after a failed
    visit, the person hears what happens next."""
    if status == OutcomeStatus.FAILED:
        person = session.get(ServiceUser, stop.service_user_id)
        orders = _orders_of(session, stop.id)
        if person is not None and orders:
            body = wording.failed_visit(ref=orders[0].ref, phone=phone)
            key = f"failed_visit:{stop.id}:{person.id}"
            _add(session, key=key, kind=NoticeKind.FAILED_VISIT, person=person, order=orders[0], stop=stop, body=body)
    following = session.exec(
        select(Stop)
        .where(Stop.route_id == stop.route_id, Stop.sequence > stop.sequence, Stop.status == "pending")
        .order_by(Stop.sequence)
    ).first()
    if following is not None:
        person = session.get(ServiceUser, following.service_user_id)
        orders = _orders_of(session, following.id)
        if person is not None and orders:
            body = wording.on_the_way(local_eta=service_time.to_local(following.eta, tz))
            key = f"on_the_way:{following.id}:{person.id}"
            _add(
                session, key=key, kind=NoticeKind.ON_THE_WAY, person=person, order=orders[0], stop=following, body=body
            )
    session.flush()


def queue_recall_notice(
    session: Session,
    *,
    person: ServiceUser,
    order: Order,
    recall_id: int,
    replace: bool,
    phone: str = DEFAULT_SERVICE_PHONE,
) -> None:
    """A safety notice reaches a home: the person hears a visit is coming, once per notice."""
    session.flush()  # the visit order needs its id
    body = wording.recall(replace=replace, ref=order.ref, phone=phone)
    key = f"recall:{recall_id}:{person.id}"
    _add(session, key=key, kind=NoticeKind.RECALL, person=person, order=order, stop=None, body=body)
    session.flush()
