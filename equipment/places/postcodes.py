"""UK postcodes: format check, normal form and the district (outward code)."""

from __future__ import annotations

import re

from equipment.errors import Invalid

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def normalise(postcode: str, *, field: str = "postcode") -> str:
    """`ip4 2qj` -> `IP4 2QJ`; raises Invalid for anything that is not a UK postcode."""
    compact = re.sub(r"\s+", "", postcode or "").upper()
    match = _POSTCODE.match(compact[:-3] + " " + compact[-3:] if len(compact) > 3 else compact)
    if not match:
        raise Invalid(f"{postcode!r} is not a UK postcode (for example IP4 2QJ)", field=field)
    return f"{match.group(1)} {match.group(2)}"


def district_of(postcode: str) -> str:
    return normalise(postcode).split(" ")[0]
