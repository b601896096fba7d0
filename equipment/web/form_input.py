"""What HTML forms send, made safe at the door: no NUL characters, and days only in a sane range."""

from __future__ import annotations

from datetime import date

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

from equipment.limits import EARLIEST_DAY, LATEST_DAY

DAY_MESSAGE = f"Give a day between {EARLIEST_DAY.year} and {LATEST_DAY.year} as YYYY-MM-DD."


def form_day(text: str) -> date:
    """A day typed into a form; ValueError with words for the field when it is not a plausible day."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(DAY_MESSAGE) from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(DAY_MESSAGE)
    return day


class FormRequest(Request):
    """A browser never sends a NUL character in a form field; a crafted request may, and no
    database text column can hold one (PostgreSQL refuses it). So forms arrive without them."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form and any("\x00" in value for _, value in form.items(multi=True)):
            self.__dict__["form"] = ImmutableMultiDict(
                [(key.replace("\x00", ""), value.replace("\x00", "")) for key, value in form.items(multi=True)]
            )
