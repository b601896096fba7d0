"""Where an address is: the configured geocoder (geopy) with a cache, else the district centroid.

Called when an address is saved, never while a page renders or a plan solves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from geopy.geocoders import Nominatim
from sqlmodel import Session

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
    found = _ask_geocoder(session, f"{address}, {postcode}, UK", settings)
    if found:
        return Located(found[0], found[1], district.district, "geocoder")
    return Located(district.lat, district.lon, district.district, "district_centroid")


def _ask_geocoder(session: Session, query: str, settings: GeocoderSettings) -> tuple[float, float] | None:
    if settings.provider != "nominatim" or not settings.url:
        return None
    cached = session.get(GeocodeCacheEntry, query[:300])
    if cached:
        return cached.lat, cached.lon

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
    session.add(GeocodeCacheEntry(query=query[:300], lat=result.latitude, lon=result.longitude))
    return result.latitude, result.longitude
