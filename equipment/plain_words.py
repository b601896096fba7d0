"""The words people read for the codes the domain stores: states, statuses, classes, causes,
kinds, roles, skills and regimes. A code without an entry reads as its words (`_` -> space)."""

from __future__ import annotations

from equipment.vocabulary import CAUSE_LABELS

WORDS: dict[str, str] = {
    # order statuses
    "awaiting_authorisation": "awaiting authorisation",
    "back_order": "back-order (waiting for stock)",
    # asset and stock states
    "allocated": "reserved",
    "loaded": "loaded on a van",
    "on_loan": "on loan",
    "in_transit": "in transit between depots",
    "quarantine": "in quarantine (dirty)",
    "decontaminated": "decontaminated",
    "repair": "in repair",
    # response classes
    "next_day": "next day",
    "three_day": "3 working days",
    "urgent_collection": "urgent collection",
    "standard_collection": "standard collection",
    # inspection regimes and skills
    "none": "none",
    "loler_6m": "LOLER examination every 6 months",
    "electrical_12m": "electrical test every 12 months",
    "two_person": "two-person crew",
    "hoist_trained": "hoist-trained crew",
    # plans, stops and outcomes
    "no_stock": "no stock",
    "on_the_way": "on the way",
    "failed_visit": "failed visit",
    "visit_planned": "visit planned",
    # order and asset events
    "clock_started": "clock started",
    "outcome_recorded": "outcome recorded",
    "urgent_inserted": "urgent insertion",
}
WORDS.update({str(cause): label[0].lower() + label[1:] for cause, label in CAUSE_LABELS.items()})

# How a state reads after "it is" / "it needs to be".
STATE_PHRASES = {
    "available": "available",
    "allocated": "reserved for an order",
    "loaded": "loaded on a van",
    "on_loan": "on loan",
    "in_transit": "in transit",
    "quarantine": "in quarantine",
    "decontaminated": "decontaminated",
    "repair": "in repair",
    "scrapped": "scrapped",
    "lost": "lost",
}


def plain(code: object) -> str:
    """The words for a stored code; text that is no code comes back as it is."""
    if code is None:
        return ""
    text = str(code)
    return WORDS.get(text) or text.replace("_", " ")


def state_phrase(state: str) -> str:
    return STATE_PHRASES.get(state, plain(state))
