"""Appointment slots at intake: a slot is a promise, so one already over, or one in which no van
of the serving depot works, is refused beside the field (planning treats slots as hard)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import Session, select

from equipment.errors import Invalid
from equipment.models import Depot, Van, VanAbsence
from equipment.service_time import to_local, zone


def check_slot(
    session: Session, slot: tuple[datetime | None, datetime | None], *, depot: Depot, now: datetime, tz: str
) -> None:
    """Refuse (Invalid, field `slot`) a slot that has ended or has no working time in it."""
    start, end = slot
    if start is None or end is None:
        return
    if end <= now:
        raise Invalid("The slot is in the past: choose one that has not ended yet", field="slot")
    if not _has_working_time(session, start, end, depot=depot, tz=tz):
        raise Invalid(
            f"No van of {depot.name} works in that slot: choose one inside the vans' working hours", field="slot"
        )


WORKING_HOURS = (time(8), time(17))  # a depot without vans on record: the working day


def _has_working_time(session: Session, start: datetime, end: datetime, *, depot: Depot, tz: str) -> bool:
    """Some active van of the depot is on shift (and not off the road) during part of the slot."""
    vans = session.exec(
        select(Van.id, Van.shift_start, Van.shift_end).where(Van.depot_id == depot.id, Van.active == True)
    )
    shifts = [tuple(v) for v in vans] or [(None, *WORKING_HOURS)]
    day = to_local(start, tz).date()
    last = to_local(end, tz).date()
    while day <= last:
        absent = set(session.exec(select(VanAbsence.van_id).where(VanAbsence.day == day)))
        for van_id, shift_start, shift_end in shifts:
            if van_id in absent:
                continue
            shift_from = datetime.combine(day, shift_start, tzinfo=zone(tz))
            shift_to = datetime.combine(day, shift_end, tzinfo=zone(tz))
            if max(start, shift_from) < min(end, shift_to):
                return True
        day += timedelta(days=1)
    return False
