"""Limits on collection requests, which anyone may send: per client address, and per label so
that no one can walk the postcodes of one item to learn where it is (the answer tells nothing
anyway) or flood one household with collections."""

from __future__ import annotations

from flask import request
from limits import parse

from equipment.web.limiter import limiter

# Someone returning equipment sends one or two requests; a household a handful. Beyond that it is
# a script.
PER_ADDRESS = parse("10 per hour")
PER_LABEL = parse("5 per day")
_ADDRESS, _LABEL = "collection-request-address", "collection-request-label"


def _label_key(label: str) -> str:
    # As the label is read (equipment.orders.collection_requests.normalise_label): one key per item.
    return "-".join((label or "").upper().split())[:60]


def refused(label: str) -> bool:
    """Count this request; True when the address or the label has used up its allowance."""
    address = request.remote_addr or "unknown"
    strategy = limiter.limiter
    allowed = strategy.test(PER_ADDRESS, _ADDRESS, address) and strategy.test(PER_LABEL, _LABEL, _label_key(label))
    strategy.hit(PER_ADDRESS, _ADDRESS, address)
    strategy.hit(PER_LABEL, _LABEL, _label_key(label))
    return not allowed
