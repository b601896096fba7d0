"""Whether an outcome may be recorded: who may act on which stop, on which day, and at what
moment the outcome can plausibly have happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from equipment import service_time
from equipment.errors import Forbidden, Invalid, InvalidTransition, NotFound
from equipment.models import Order, Plan, Route, Stop
from equipment.vocabulary import OutcomeStatus, Role

# A phone's clock a little ahead of the server's is not "the future".
PHONE_CLOCK_AHEAD = timedelta(minutes=10)


@dataclass(frozen=True)
class Actor:
    """Who records the outcome (from the web layer's principal)."""

    user_id: int | None
    role: str
    van_id: int | None = None


# A phone that was offline at 23:55 sends its outcome after midnight: the route of the day before
# still takes it (its moment must still fall on that day, see check_moment). Days ahead never do.
LATE_SEND_DAYS = 1


def stop_for(
    session: Session, stop_id: int, actor: Actor, *, tz: str = service_time.DEFAULT_TZ
) -> tuple[Stop, Route, Plan]:
    """The stop, if this user may act on it: its route's driver on the route's day, a coordinator
    or an admin."""
    stop = session.get(Stop, stop_id)
    if stop is None:
        raise NotFound(f"no stop {stop_id}")
    route = session.get(Route, stop.route_id)
    plan = session.get(Plan, route.plan_id)
    # Another driver's stop answers exactly as a stop that does not exist: ids reveal nothing.
    if actor.role == Role.DRIVER and (actor.van_id is None or actor.van_id != route.van_id):
        raise NotFound(f"no stop {stop_id}")
    if actor.role == Role.DRIVER and not 0 <= (service_time.today(tz) - plan.service_date).days <= LATE_SEND_DAYS:
        raise Forbidden("a driver records outcomes only for the route's own day")
    if actor.role not in (Role.DRIVER, Role.COORDINATOR, Role.ADMIN):
        raise Forbidden(f"the {actor.role} role may not record outcomes")
    if plan.published_at is None:
        raise InvalidTransition("the route is not published yet")
    return stop, route, plan


def check_moment(
    at: datetime, *, recorded_at: datetime, service_date: date, route: Route, orders: list[Order], tz: str
) -> None:
    """An outcome's moment must be plausible: on the route's service day, not before any of its
    orders was received or the van was loaded, and not after it reached us. A phone that was
    offline sends late but truthfully, so any earlier moment of the same day is fine."""
    if at > recorded_at + PHONE_CLOCK_AHEAD:
        raise Invalid("the outcome cannot be in the future", field="at")
    # Compared in UTC, so an absurd year cannot overflow a time-zone conversion.
    day_start = service_time.local_midnight(service_date, tz)
    if not day_start <= at < service_time.local_midnight(service_date + timedelta(days=1), tz):
        raise Invalid(f"the outcome must fall on the route's service day, {service_date.isoformat()}", field="at")
    if route.loaded_at is not None and at < route.loaded_at:
        raise Invalid("the outcome cannot be before the van was loaded", field="at")
    received = max((o.received_at for o in orders), default=None)
    if received is not None and at < received:
        raise Invalid("the outcome cannot be before the order was received", field="at")


def checked_time_and_status(at: datetime, status: str) -> datetime:
    """An outcome's moment has its UTC offset and its status is one of the outcomes."""
    if at.tzinfo is None:
        raise Invalid("give the time with its UTC offset", field="at")
    if status not in set(OutcomeStatus):
        raise Invalid(f"status must be one of {', '.join(OutcomeStatus)}", field="status")
    return at
