"""A small service for order tests (no tests here): three depots, districts, items, stock."""

from __future__ import annotations

from typing import Any

from equipment import stock
from equipment.demo.seed import SEED_DIR, _load_response_classes
from equipment.models import Depot, Item, PostcodeDistrict, User
from equipment.orders.schemas import OrderCreate

# Real depot locations; IP4 is Ipswich's, IP33 Bury's, NR34 Ellough's; IP14 (Stowmarket) lies
# between Ipswich and Bury but nearer Bury, and is served by Ipswich here.
DEPOTS = {"IPS": (52.0583, 1.1184), "BSE": (52.2519, 0.7366), "ELL": (52.4352, 1.5897)}
DISTRICTS = {
    "IP4": ("IPS", 52.062, 1.180),
    "IP33": ("BSE", 52.245, 0.71),
    "NR34": ("ELL", 52.45, 1.56),
    "IP14": ("IPS", 52.19, 0.99),
}
VALID_NHS = ["9434765919", "9997371275", "9996604934", "9994028782"]


def build_world(db) -> dict[str, Any]:
    """Depots, districts, classes, items and two staff users (no passwords: tests use tokens)."""
    depots = {
        code: Depot(code=code, name=f"{code} depot", address="1 Test Road", postcode="IP1 1AA", lat=lat, lon=lon)
        for code, (lat, lon) in DEPOTS.items()
    }
    db.add_all(depots.values())
    db.flush()
    for district, (code, lat, lon) in DISTRICTS.items():
        db.add(PostcodeDistrict(district=district, town=district, lat=lat, lon=lon, depot_id=depots[code].id))
    _load_response_classes(db, SEED_DIR)
    common = {"install_minutes": 5, "inspection_regime": "none"}
    items = {
        "FRAME": Item(sku="FRAME", name="Walking frame", category="walking", serialised=False, volume=2, **common),
        "BED": Item(
            sku="BED", name="Profiling bed", category="beds", serialised=True, volume=20, skills="two_person", **common
        ),
        "BARI": Item(
            sku="BARI",
            name="Bariatric bed",
            category="beds",
            serialised=True,
            volume=30,
            needs_authorisation=True,
            **common,
        ),
        "HOIST": Item(sku="HOIST", name="Mobile hoist", category="hoists", serialised=True, volume=10, **common),
    }
    db.add_all(items.values())
    staff = {
        role: User(username=f"{role}-{role}", full_name=f"Test {role}", role=role, password_hash="!")
        for role in ("coordinator", "admin", "clerk", "officer", "driver")
    }
    db.add_all(staff.values())
    db.commit()
    return {"depots": depots, "items": items, "user": staff["coordinator"], "staff": staff}


def receive(
    db,
    depot: str,
    sku: str,
    *,
    quantity: int | None = None,
    serials: list[str] | None = None,
    user_id: int | None = None,
):
    return stock.receive_goods(db, depot_code=depot, sku=sku, quantity=quantity, serials=serials, user_id=user_id)


def person(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Ada Lovelace",
        "address": "12 Test Street, Ipswich",
        "postcode": "IP4 2QJ",
        "nhs_number": VALID_NHS[0],
        "phone": "01632 960000",
        "access_notes": "Key safe 1234",
    }
    data.update(overrides)
    return data


def order_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "delivery",
        "response_class": "three_day",
        "service_user": person(),
        "lines": [{"sku": "FRAME", "quantity": 1}],
    }
    data.update(overrides)
    return data


def order_body(**overrides: Any) -> OrderCreate:
    return OrderCreate.model_validate(order_data(**overrides))
