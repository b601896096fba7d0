"""Checks every HTML form makes before its use case runs, each answered beside its field: no NUL
characters (PostgreSQL cannot store them and no field of ours means one) and no implausible
dates (the API refuses the same through equipment/schemas.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from equipment.limits import EARLIEST_DAY, LATEST_DAY

NUL_MESSAGE = "This holds a character that cannot be saved (NUL): please type it again."
DATE_FORMAT_MESSAGE = "Give a date as day, month and year"
TIME_FORMAT_MESSAGE = "Give a date and a time"


def nul_errors(form: Mapping[str, str]) -> dict[str, str]:
    """A message for each field (by name) whose text holds a NUL character."""
    items = form.items(multi=True) if hasattr(form, "getlist") else form.items()  # type: ignore[call-arg]
    return {name: NUL_MESSAGE for name, value in items if isinstance(value, str) and "\x00" in value}


def implausible_day_message(day: date) -> str | None:
    if day < EARLIEST_DAY:
        return f"This date is too far in the past: give one from {EARLIEST_DAY:%d %B %Y}"
    if day > LATEST_DAY:
        return f"This date is too far ahead: give one up to {LATEST_DAY:%d %B %Y}"
    return None


def date_message(text: str, *, with_time: bool = False) -> str | None:
    """Why `text` (a form's date or date-and-time) cannot be taken, or None when it can or is blank."""
    text = text.strip()
    if not text:
        return None
    try:
        day = datetime.fromisoformat(text).date() if with_time else date.fromisoformat(text)
    except ValueError:
        return TIME_FORMAT_MESSAGE if with_time else DATE_FORMAT_MESSAGE
    return implausible_day_message(day)


def date_errors(form: Mapping[str, str], days: Iterable[str] = (), moments: Iterable[str] = ()) -> dict[str, str]:
    """A message for each named date (YYYY-MM-DD) or date-and-time field that is not plausible."""
    errors: dict[str, str] = {}
    for name, with_time in [(n, False) for n in days] + [(n, True) for n in moments]:
        message = date_message(form.get(name, "") or "", with_time=with_time)
        if message:
            errors[name] = message
    return errors


def form_errors(form: Mapping[str, str], days: Iterable[str] = (), moments: Iterable[str] = ()) -> dict[str, str]:
    """NUL characters first, then dates: what to show beside each field before anything runs."""
    return {**date_errors(form, days, moments), **nul_errors(form)}
