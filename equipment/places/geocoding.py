"""Where an address is: the configured geocoder (geopy) with a cache, else the district centroid.

Called when an address is saved, never while a page renders or a plan solves. The geocoder is
asked by `look_up_ahead`, before the use case's transaction opens; `locate`, inside it, reads
only the cache, so a slow or absent geocoder never holds a transaction (or its locks) open.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from geopy.geocoders import Nominatim
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from equipment.db import in_use_case, new_session
from equipment.errors import Invalid
from equipment.models import GeocodeCacheEntry, PostcodeDistrict
from equipment.places.postcodes import district_of, normalise

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Located:
    lat: float
    lon: float
    district: str
    source: str  # "geocoder", "district_centroid" or "given"


@dataclass(frozen=True)
class GeocoderSettings:
    provider: str = "offline"  # "offline" or "nominatim"
    url: str = ""
    timeout: float = 3.0
    user_agent: str = "community-equipment-service"

    @classmethod
    def from_config(cls, config: dict) -> GeocoderSettings:
        return cls(
            provider=config.get("GEOCODER", "offline"),
            url=config.get("GEOCODER_URL", ""),
            timeout=float(config.get("GEOCODER_TIMEOUT", 3)),
            user_agent=config.get("GEOCODER_USER_AGENT", "community-equipment-service"),
        )


def locate(
    session: Session,
    *,
    address: str,
    postcode: str,
    settings: GeocoderSettings,
    lat: float | None = None,
    lon: float | None = None,
) -> Located:
    """Coordinates for an address in the service area; raises Invalid outside it."""
    postcode = normalise(postcode)
    district = session.get(PostcodeDistrict, district_of(postcode))
    if district is None:
        raise Invalid(f"{postcode} is outside the service area", field="postcode")
    if lat is not None and lon is not None:
        return Located(lat, lon, district.district, "given")
    cached = session.get(GeocodeCacheEntry, _query(address, postcode)) if _asks(settings) else None
    if cached is not None:
        return Located(cached.lat, cached.lon, district.district, "geocoder")
    return Located(district.lat, district.lon, district.district, "district_centroid")


def look_up_ahead(session: Session, addresses: Iterable[tuple[str, str]], settings: GeocoderSettings) -> None:
    """Ask the geocoder for (address, postcode) pairs it has not answered yet, and cache them.

    Call it before the use case: it ends `session`'s read-only transaction, and the network
    calls and cache writes run outside it. A bad postcode is left for the use case to refuse."""
    if not _asks(settings) or in_use_case(session):
        return  # inside a use case: its locate falls back to the district centroid
    wanted = set()
    for address, postcode in addresses:
        try:
            wanted.add(_query(address, postcode))
        except Invalid:
            continue
    if not wanted:
        return
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        session.commit()  # nothing written yet: only ends the snapshot held since the request began
    engine = session.get_bind()
    with new_session(engine) as reading:
        known = set(reading.exec(select(GeocodeCacheEntry.query).where(GeocodeCacheEntry.query.in_(wanted))).all())
    for query in sorted(wanted - known):
        found = _ask_network(query, settings)
        if found is None:
            continue
        with new_session(engine) as writing:
            writing.add(GeocodeCacheEntry(query=query, lat=found[0], lon=found[1]))
            try:
                writing.commit()
            except IntegrityError:  # another request cached it a moment ago
                writing.rollback()


def _asks(settings: GeocoderSettings) -> bool:
    return settings.provider == "nominatim" and bool(settings.url)


def _query(address: str, postcode: str) -> str:
    return f"{address.strip()}, {normalise(postcode)}, UK"[:300]


def _ask_network(query: str, settings: GeocoderSettings) -> tuple[float, float] | None:
    parts = urlsplit(settings.url)
    geocoder = Nominatim(
        domain=parts.netloc + parts.path.rstrip("/"),
        scheme=parts.scheme or "https",
        timeout=settings.timeout,
        user_agent=settings.user_agent,
    )
    try:
        result = geocoder.geocode(query, country_codes="gb")
    except Exception as exc:  # network down, timeout, provider error: fall back, never fail the save
        log.warning("geocoder unavailable (%s); using the postcode district centroid", type(exc).__name__)
        return None
    if result is None:
        return None
    return result.latitude, result.longitude
