"""The geocoder is asked before an order's transaction opens, never inside it.

A local HTTP server stands in for Nominatim: it answers /search and notes, for each request,
whether the order's database session was inside a transaction at that moment.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from equipment import orders
from equipment.models import GeocodeCacheEntry, ServiceUser
from equipment.orders.intake import OrderSettings
from equipment.people.imports import import_service_users
from equipment.places.geocoding import GeocoderSettings, locate
from tests.equipment.test_orders_support import build_world, order_body, person, receive

ANSWER = (52.0591, 1.1622)


@pytest.fixture
def nominatim(db):
    asked: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlsplit(self.path)
            asked.append({"path": url.path, "q": parse_qs(url.query)["q"][0], "in_transaction": db.in_transaction()})
            body = json.dumps([{"lat": str(ANSWER[0]), "lon": str(ANSWER[1]), "display_name": "Test Street"}])
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = GeocoderSettings(provider="nominatim", url=f"http://127.0.0.1:{server.server_port}/", timeout=2)
    yield settings, asked
    server.shutdown()


def test_an_order_is_geocoded_outside_its_transaction_and_once_per_address(db, nominatim):
    settings, asked = nominatim
    world = build_world(db)
    receive(db, "IPS", "FRAME", quantity=3)
    db.commit()
    db.get(ServiceUser, 1)  # the request has read something: a transaction is open

    order = orders.create_order(
        db, data=order_body(), user_id=world["user"].id, settings=OrderSettings(geocoder=settings)
    )
    person_row = db.get(ServiceUser, order.service_user_id)
    assert (person_row.lat, person_row.lon, person_row.location_source) == (*ANSWER, "geocoder")
    assert [(a["path"], a["q"], a["in_transaction"]) for a in asked] == [
        ("/search", "12 Test Street, Ipswich, IP4 2QJ, UK", False)
    ]

    again = order_body(service_user=person(name="Ben Lovelace", nhs_number=None))
    orders.create_order(db, data=again, user_id=world["user"].id, settings=OrderSettings(geocoder=settings))
    assert len(asked) == 1  # the same address: answered from the cache


def test_inside_a_transaction_locate_never_asks_the_network(db, make, nominatim):
    settings, asked = nominatim
    make.district("IP4", lat=52.07, lon=1.18)
    found = locate(db, address="1 High St", postcode="IP4 2QJ", settings=settings)
    assert found.source == "district_centroid" and asked == []
    db.add(GeocodeCacheEntry(query="1 High St, IP4 2QJ, UK", lat=ANSWER[0], lon=ANSWER[1]))
    db.flush()
    found = locate(db, address=" 1 High St ", postcode="ip4 2qj", settings=settings)
    assert (found.lat, found.lon, found.source) == (*ANSWER, "geocoder") and asked == []


def test_an_import_is_geocoded_before_its_transaction(db, nominatim):
    settings, asked = nominatim
    build_world(db)
    csv_text = "name,address,postcode,lat,lon\nAda,1 Mill Lane,IP4 2QJ,,\nBea,2 Mill Lane,IP4 2QJ,52.1,1.2\n"
    result = import_service_users(db, csv_text, geocoder=settings, user_id=None)
    assert result.people == 2
    assert [(a["q"], a["in_transaction"]) for a in asked] == [("1 Mill Lane, IP4 2QJ, UK", False)]
