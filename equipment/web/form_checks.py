"""Checks every HTML form makes before its use case runs, each answered beside its field: no NUL
characters (PostgreSQL cannot store them and no field of ours means one) and no implausible
dates (the API refuses the same through equipment/schemas.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

from equipment.limits import EARLIEST_DAY, LATEST_DAY

NUL_MESSAGE = "This holds a character that cannot be saved (NUL): please type it again."
DATE_FORMAT_MESSAGE = "Give a date as day, month and year"
TIME_FORMAT_MESSAGE = "Give a date and a time"


def nul_errors(form: Mapping[str, str]) -> dict[str, str]:
    """A message for each field (by name) whose text held a NUL character."""
    items = form.items(multi=True) if hasattr(form, "getlist") else form.items()  # type: ignore[call-arg]
    held = {name for name, value in items if isinstance(value, str) and "\x00" in value}
    return dict.fromkeys(held | set(getattr(form, "had_nul", ())), NUL_MESSAGE)


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


def form_day(text: str) -> date:
    """A day typed into a form; ValueError with words for the field when it is not a plausible day."""
    message = date_message(text) or (DATE_FORMAT_MESSAGE if not text.strip() else None)
    if message:
        raise ValueError(message)
    return date.fromisoformat(text.strip())


class CleanedForm(ImmutableMultiDict):
    """A form whose NUL characters were taken out; `had_nul` names the fields that held one."""

    had_nul: frozenset[str] = frozenset()


class FormRequest(Request):
    """A browser never sends a NUL character in a form field; a crafted request may, and no
    database text column can hold one (PostgreSQL refuses it). So forms arrive without them, and
    a form that checks (form_errors) still says so beside the field."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form and any("\x00" in value for _, value in form.items(multi=True)):
            cleaned = CleanedForm(
                [(key.replace("\x00", ""), value.replace("\x00", "")) for key, value in form.items(multi=True)]
            )
            cleaned.had_nul = frozenset(k.replace("\x00", "") for k, v in form.items(multi=True) if "\x00" in v)
            self.__dict__["form"] = cleaned
