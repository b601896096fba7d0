"""Collections asked for without an account: the number on the item's label and the postcode.

A match (that asset on loan at that postcode, not already being collected) becomes a collection
order of the standard class. Whether it matched is never told: every well-formed request gets a
fresh reference, and only a match writes anything."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlmodel import Session, select

from equipment.db import use_case
from equipment.errors import DomainError, Invalid
from equipment.models import Asset, Order, OrderLine, ServiceUser
from equipment.orders.intake import OrderSettings, create_order
from equipment.orders.schemas import OrderCreate
from equipment.places.postcodes import normalise as normalise_postcode
from equipment.vocabulary import OPEN_ORDER_STATUSES, OrderKind, StockState

COLLECTION_CLASS = "standard_collection"
# What every well-formed request hears, matched or not.
ANSWER = (
    "Thank you. If the label and postcode match an item on loan there, we will arrange its collection "
    "and contact the household. Quote this reference if you call us."
)
LABEL = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,39}$")


@dataclass(frozen=True)
class CollectionRequest:
    reference: str
    order_ref: str | None  # for the service's own records and tests; never shown to the asker


def normalise_label(label: str) -> str:
    """What a person types from a label: case and spaces around or between groups do not matter."""
    text = "-".join((label or "").upper().split())
    if not LABEL.match(text):
        raise Invalid("Enter the number printed on the label, for example IPS-BED-PROF-E-0012", field="label")
    return text


def request_collection(
    session: Session, *, label: str, postcode: str, settings: OrderSettings | None = None
) -> CollectionRequest:
    """Check the request, then turn a match into a collection order (its own transaction)."""
    serial = normalise_label(label)
    wanted_postcode = normalise_postcode(postcode, field="postcode")
    reference = "CR-" + secrets.token_hex(4).upper()
    found = _find_on_loan(session, serial, wanted_postcode)
    if found is None:
        return CollectionRequest(reference, None)
    asset, person = found
    data = OrderCreate(
        kind=OrderKind.COLLECTION,
        response_class=COLLECTION_CLASS,
        service_user={
            "name": person.name,
            "address": person.address,
            "postcode": person.postcode,
            "nhs_number": person.nhs_number,
            "lat": person.lat,
            "lon": person.lon,
        },
        lines=[{"serial": asset.serial}],
        notes=f"Collection asked for by the public, request {reference}",
    )
    try:
        order = create_order(session, data=data, user_id=None, settings=settings)
    except DomainError:
        # Collected or asked for a moment ago: the asker hears the same either way.
        return CollectionRequest(reference, None)
    return CollectionRequest(reference, order.ref)


@use_case
def _find_on_loan(session: Session, serial: str, postcode: str) -> tuple[Asset, ServiceUser] | None:
    """The asset on loan at this postcode and not already on an open collection, with its holder."""
    asset = session.exec(select(Asset).where(Asset.serial == serial)).first()
    if asset is None or asset.state != StockState.ON_LOAN or asset.service_user_id is None:
        return None
    person = session.get(ServiceUser, asset.service_user_id)
    if person is None or person.postcode != postcode:
        return None
    already = session.exec(
        select(Order.id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(OrderLine.serial == serial, Order.kind == OrderKind.COLLECTION, Order.status.in_(OPEN_ORDER_STATUSES))
    ).first()
    return None if already is not None else (asset, person)
