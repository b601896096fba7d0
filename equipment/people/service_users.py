"""Service users (people at home): find or create them for an order, with a checked NHS number,
a checked postcode and a location. Helpers flush only; the order's use case commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from equipment import audit
from equipment.db import use_case
from equipment.errors import Conflict, Invalid
from equipment.models import Order, ServiceUser
from equipment.people import nhs
from equipment.places.geocoding import GeocoderSettings, locate
from equipment.places.postcodes import normalise as normalise_postcode
from equipment.vocabulary import OPEN_ORDER_STATUSES


@dataclass(frozen=True)
class PersonDetails:
    """What an order says about the person (already stripped of surrounding spaces)."""

    name: str
    address: str
    postcode: str
    nhs_number: str | None = None
    phone: str = ""
    lat: float | None = None
    lon: float | None = None
    access_notes: str = ""
    safety_alerts: str = ""
    email: str = ""
    contact_by: str | None = None  # None: as recorded (a new person: letters)
    contact_consent: bool | None = None


def find_or_create(
    session: Session,
    details: PersonDetails,
    *,
    geocoder: GeocoderSettings,
    user_id: int | None,
    field_prefix: str = "service_user.",
) -> ServiceUser:
    """The person with this NHS number, else with this name at this postcode, else a new one.

    A found person's contact details, address and notes are brought up to date from the order
    (so a delivery and a collection at one address keep one person and can share a visit)."""
    name = " ".join(details.name.split())
    if not name:
        raise Invalid("Enter the person's name", field=field_prefix + "name")
    if not details.address.strip():
        raise Invalid("Enter the address", field=field_prefix + "address")
    postcode = normalise_postcode(details.postcode, field=field_prefix + "postcode")
    number = nhs.normalise(details.nhs_number, field=field_prefix + "nhs_number") if details.nhs_number else None
    if (details.lat is None) != (details.lon is None):
        raise Invalid(
            "Give both lat and lon, or neither", field=field_prefix + ("lon" if details.lon is None else "lat")
        )

    person = _find(session, name=name, postcode=postcode, nhs_number=number)
    if person is None:
        located = _locate(session, details.address, postcode, details, geocoder, field_prefix)
        person = ServiceUser(
            name=name,
            address=details.address.strip(),
            postcode=postcode,
            district=located.district,
            lat=located.lat,
            lon=located.lon,
            location_source=located.source,
            nhs_number=number,
            phone=details.phone.strip(),
            access_notes=details.access_notes.strip(),
            safety_alerts=details.safety_alerts.strip(),
            email=details.email.strip(),
            contact_by=details.contact_by or "letter",
            contact_consent=bool(details.contact_consent),
        )
        session.add(person)
        session.flush()
        audit.record(session, user_id=user_id, action="created", entity="service_user", entity_id=person.id)
        return person

    changed = _update(session, person, details, postcode, number, geocoder, field_prefix)
    if changed:
        audit.record(
            session,
            user_id=user_id,
            action="updated",
            entity="service_user",
            entity_id=person.id,
            detail="changed: " + ", ".join(changed),
        )
    return person


def _find(session: Session, *, name: str, postcode: str, nhs_number: str | None) -> ServiceUser | None:
    if nhs_number:
        person = session.exec(select(ServiceUser).where(ServiceUser.nhs_number == nhs_number)).first()
        if person is not None:
            return person
    candidates = session.exec(
        select(ServiceUser)
        .where(func.lower(ServiceUser.name) == name.lower(), ServiceUser.postcode == postcode)
        .order_by(ServiceUser.id)
    ).all()
    for person in candidates:
        # Same name and postcode but a different NHS number is a different person.
        if not nhs_number or not person.nhs_number:
            return person
    return None


def _locate(session, address, postcode, details, geocoder, field_prefix):
    try:
        return locate(session, address=address, postcode=postcode, settings=geocoder, lat=details.lat, lon=details.lon)
    except Invalid as exc:
        raise Invalid(exc.detail, field=field_prefix + "postcode") from exc


def _update(session, person, details, postcode, number, geocoder, field_prefix) -> list[str]:
    changed: list[str] = []
    address = details.address.strip()
    moved = address != person.address or postcode != person.postcode
    if moved or (details.lat is not None and (details.lat, details.lon) != (person.lat, person.lon)):
        located = _locate(session, address, postcode, details, geocoder, field_prefix)
        person.address, person.postcode, person.district = address, postcode, located.district
        person.lat, person.lon, person.location_source = located.lat, located.lon, located.source
        changed.append("address")
    if number and person.nhs_number != number:
        if person.nhs_number:
            raise Conflict("The person found has a different NHS number", field=field_prefix + "nhs_number")
        person.nhs_number = number
        changed.append("nhs_number")
    for attribute in ("phone", "access_notes", "safety_alerts", "email"):
        value = getattr(details, attribute).strip()
        if value and value != getattr(person, attribute):
            setattr(person, attribute, value)
            changed.append(attribute)
    for attribute in ("contact_by", "contact_consent"):
        value = getattr(details, attribute)
        if value is not None and value != getattr(person, attribute):
            setattr(person, attribute, value)
            changed.append(attribute)
    if changed:
        session.add(person)
        session.flush()
    return changed


@use_case
def look_up(session: Session, *, nhs_number: str, user_id: int | None) -> tuple[ServiceUser, list[str]] | None:
    """The person with this NHS number and the refs of their open orders, or None. A find is a
    view of their record, and a look-up that finds no one is a probe: both are audited (the
    miss without the number tried, which may be someone's)."""
    number = "".join(nhs_number.split())
    person = None
    if nhs.is_valid(number):
        person = session.exec(select(ServiceUser).where(ServiceUser.nhs_number == number)).first()
    if person is None:
        audit.record(
            session,
            user_id=user_id,
            action="not_found",
            entity="service_user",
            entity_id="",
            detail="looked up by NHS number: no one found",
        )
        return None
    refs = list(
        session.exec(
            select(Order.ref)
            .where(Order.service_user_id == person.id, Order.status.in_(OPEN_ORDER_STATUSES))
            .order_by(Order.id)
        )
    )
    audit.record(
        session,
        user_id=user_id,
        action="viewed",
        entity="service_user",
        entity_id=person.id,
        detail="looked up by NHS number",
    )
    return person, refs
