"""The rule that prescribers see only their own orders and the people on them, for the web layer:
the prescriber record behind the signed-in account."""

from __future__ import annotations

from flask import g

from equipment.people import prescribers
from equipment.vocabulary import Role
from equipment.web.access import current_principal
from equipment.web.database import get_db

# A prescriber account not linked to a record owns no order: this id matches none.
NO_PRESCRIBER = 0


def prescriber_scope() -> int | None:
    """The signed-in prescriber's record id (NO_PRESCRIBER when unlinked); None for other roles."""
    principal = current_principal()
    if principal is None or principal.role != Role.PRESCRIBER:
        return None
    if "prescriber_scope" not in g:
        record = prescribers.prescriber_of_user(get_db(), principal.id)
        g.prescriber_scope = record.id if record else NO_PRESCRIBER
    return g.prescriber_scope


def is_prescriber() -> bool:
    return prescriber_scope() is not None
