"""Postcodes, inspection due dates, geocoding fallback."""

from datetime import date

import pytest

from equipment.errors import Invalid
from equipment.places.geocoding import GeocoderSettings, locate
from equipment.places.postcodes import district_of, normalise
from equipment.stock.inspections import add_months, next_due


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("ip4 2qj", "IP4 2QJ"), ("IP42QJ", "IP4 2QJ"), ("NR32  1AB", "NR32 1AB"), ("CB9 8PT", "CB9 8PT")],
)
def test_postcodes_normalise(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize("raw", ["", "IP4", "12345", "IP4 2Q", "IPP 2QJ"])
def test_bad_postcodes_are_refused(raw):
    with pytest.raises(Invalid):
        normalise(raw)


def test_district():
    assert district_of("ip33 1ab") == "IP33"


def test_inspection_due_dates():
    assert next_due("loler_6m", date(2026, 8, 31)) == date(2027, 2, 28)
    assert next_due("electrical_12m", date(2024, 2, 29)) == date(2025, 2, 28)
    assert next_due("none", date(2026, 1, 1)) is None
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_offline_geocoding_uses_district_centroid(db, make):
    make.district("IP4", lat=52.07, lon=1.18)
    found = locate(db, address="1 High St", postcode="ip4 2qj", settings=GeocoderSettings())
    assert (found.lat, found.lon, found.source, found.district) == (52.07, 1.18, "district_centroid", "IP4")
    with pytest.raises(Invalid) as outside:
        locate(db, address="1 High St", postcode="SW1A 1AA", settings=GeocoderSettings())
    assert outside.value.field == "postcode"


def test_unreachable_geocoder_falls_back(db, make):
    make.district("IP4", lat=52.07, lon=1.18)
    settings = GeocoderSettings(provider="nominatim", url="http://127.0.0.1:9/", timeout=0.5)
    found = locate(db, address="1 High St", postcode="IP4 2QJ", settings=settings)
    assert found.source == "district_centroid"
