"""Which channel reaches a person: their choice, when they consented and we hold the contact."""

from __future__ import annotations

from equipment.models import ServiceUser
from equipment.vocabulary import Channel


def channel_for(person: ServiceUser) -> Channel:
    """Text or e-mail only with consent and a number or address to use; otherwise a letter."""
    if person.contact_consent and person.contact_by == Channel.SMS and person.phone.strip():
        return Channel.SMS
    if person.contact_consent and person.contact_by == Channel.EMAIL and person.email.strip():
        return Channel.EMAIL
    return Channel.LETTER


def letter_address(person: ServiceUser) -> list[str]:
    """Notify's letter lines: the name, the address split at its commas, the postcode last."""
    lines = [person.name] + [part.strip() for part in person.address.split(",") if part.strip()]
    return lines[:6] + [person.postcode]
