"""NHS numbers: ten digits, the last a modulus 11 check digit."""

from __future__ import annotations

import re

from equipment.errors import Invalid


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no digit can make them valid."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid(number: str) -> bool:
    return bool(re.fullmatch(r"\d{10}", number)) and check_digit(number[:9]) == int(number[9])


def normalise(number: str, *, field: str = "nhs_number") -> str:
    """`943 476 5919` -> `9434765919`; raises Invalid unless it is a valid NHS number."""
    compact = re.sub(r"[\s-]", "", number or "")
    if not re.fullmatch(r"\d{10}", compact):
        raise Invalid("An NHS number has 10 digits", field=field)
    if not is_valid(compact):
        raise Invalid("This is not a valid NHS number (the check digit does not match)", field=field)
    return compact
