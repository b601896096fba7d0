"""What the messages say. Health data stays out: no item or condition, only "your equipment"."""

from __future__ import annotations

from datetime import datetime, timedelta

from equipment.vocabulary import OrderKind

SERVICE_NAME = "Community equipment service"
WINDOW_LENGTH = timedelta(hours=2)


def visit_window(local_eta: datetime) -> tuple[datetime, datetime]:
    """About two hours around the ETA, on the half hour, so small re-plans keep the same window."""
    start = local_eta - WINDOW_LENGTH / 2
    start = start.replace(minute=0 if start.minute < 30 else 30, second=0, microsecond=0)
    return start, start + WINDOW_LENGTH


def _what(kinds: set[str]) -> str:
    if kinds == {OrderKind.DELIVERY}:
        return "deliver your equipment"
    if kinds == {OrderKind.COLLECTION}:
        return "collect equipment from you"
    return "visit you about your equipment"


def window(*, kinds: set[str], start: datetime, end: datetime, ref: str, phone: str, changed: bool = False) -> str:
    """`changed`: the person was told another window for this day before."""
    return (
        f"{SERVICE_NAME}: {'the time of your visit has changed. ' if changed else ''}we will {_what(kinds)} on {start:%A} {start.day} {start:%B} "
        f"between {start:%H:%M} and {end:%H:%M}. If this time does not suit you, call {phone} "
        f"and quote {ref}."
    )


def on_the_way(*, local_eta: datetime) -> str:
    return f"{SERVICE_NAME}: our van is on its way to you and should arrive at about {local_eta:%H:%M}."


def failed_visit(*, ref: str, phone: str) -> str:
    return (
        f"{SERVICE_NAME}: we called today but could not complete the visit. We will contact you "
        f"with a new date. To arrange one now, call {phone} and quote {ref}."
    )


def recall(*, replace: bool, ref: str, phone: str) -> str:
    then = "replace it" if replace else "check it"
    return (
        f"{SERVICE_NAME}: the maker of some of your equipment has issued a safety notice. We will "
        f"contact you to arrange a visit to {then}. If you are worried, call {phone} and quote {ref}."
    )
