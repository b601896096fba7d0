"""Finding orders by what a caller has to hand: the order's reference, the person's NHS number,
name or postcode. One words-in, condition-out function, so the list's other filters (and a
prescriber's "only my own orders") combine with it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, func, or_
from sqlmodel import select

from equipment.errors import Invalid
from equipment.models import Order, ServiceUser
from equipment.people import nhs

MAX_QUERY_LENGTH = 100
_REF = re.compile(r"^(?:EQ-?)?0*(\d{1,9})$", re.IGNORECASE)
_NHS = re.compile(r"^\d{3}[\s-]?\d{3}[\s-]?\d{4}$")
_POSTCODE_START = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?(?: ?[0-9][A-Z]{0,2})?$")


@dataclass(frozen=True)
class Search:
    """What the words matched on: the condition on orders, and whether it was an NHS number
    (a look-up of a person's record: audited, and limited when it finds no one)."""

    condition: ColumnElement[bool]
    by_nhs_number: bool


def order_search(q: str, *, people: bool, field: str = "q") -> Search:
    """The orders `q` names: a reference; with `people`, also an NHS number, name or postcode.
    Without `people` (officers, clerks) only references match: they cannot search by person."""
    words = " ".join(q.split())
    if len(words) > MAX_QUERY_LENGTH:
        raise Invalid(f"Search with at most {MAX_QUERY_LENGTH} characters", field=field)
    by_ref = _ref_condition(words)
    if not people:
        return Search(by_ref if by_ref is not None else false(), by_nhs_number=False)
    if _NHS.match(words):
        number = re.sub(r"[\s-]", "", words)
        if not nhs.is_valid(number):
            raise Invalid("These 10 digits are not a valid NHS number: please check them", field=field)
        person = select(ServiceUser.id).where(ServiceUser.nhs_number == number)
        return Search(Order.service_user_id.in_(person), by_nhs_number=True)
    pattern = "%" + words.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
    matches = [func.lower(ServiceUser.name).like(pattern)]
    compact = words.upper()
    if _POSTCODE_START.match(compact):
        matches.append(func.replace(ServiceUser.postcode, " ", "").like(compact.replace(" ", "") + "%"))
    person = select(ServiceUser.id).where(or_(*matches))
    conditions = [Order.service_user_id.in_(person)]
    if by_ref is not None:
        conditions.append(by_ref)
    return Search(or_(*conditions), by_nhs_number=False)


def is_nhs_number_search(q: str) -> bool:
    """True when `q` is looked up as an NHS number (for limits on such look-ups)."""
    return bool(_NHS.match(" ".join(q.split())))


def _ref_condition(words: str) -> ColumnElement[bool] | None:
    match = _REF.match(words.replace(" ", ""))
    if not match:
        return None
    return Order.ref == f"EQ-{int(match.group(1)):06d}"
