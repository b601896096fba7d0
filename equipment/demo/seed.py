"""Load the Suffolk demo service from seed_data/ into an empty database."""

from __future__ import annotations

import csv
import random
import zlib
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from equipment.db import use_case, utcnow
from equipment.demo.prescriber_demo import link_demo_prescriber
from equipment.errors import Conflict
from equipment.models import (
    Asset,
    AssetEvent,
    Depot,
    Item,
    PostcodeDistrict,
    Prescriber,
    ResponseClass,
    ServiceUser,
    StockBalance,
    StockMinimum,
    StockMovement,
    User,
    Van,
)
from equipment.people.users import hash_password, unusable_password
from equipment.stock.inspections import next_due
from equipment.vocabulary import Role, StockState

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"
DEMO_PASSWORD = "demo-equipment"
DEMO_USERS = [
    ("admin", Role.ADMIN, "Demo Admin"),
    ("coordinator", Role.COORDINATOR, "Demo Coordinator"),
    ("clerk", Role.CLERK, "Demo Clerk"),
    ("driver", Role.DRIVER, "Demo Driver"),
    ("officer", Role.OFFICER, "Demo Officer"),
    ("prescriber", Role.PRESCRIBER, "Shirley Hammond"),
]


def rows(name: str, data_dir: Path = SEED_DIR) -> Iterator[dict[str, str]]:
    with open(data_dir / name, newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def _bool(text: str) -> bool:
    return text.strip().lower() == "true"


def _time(text: str) -> time:
    return time.fromisoformat(text)


def database_is_empty(session: Session) -> bool:
    return all(session.exec(select(func.count()).select_from(table)).one() == 0 for table in (Depot, User, Item))


@use_case
def seed(
    session: Session, *, demo: bool = False, data_dir: Path = SEED_DIR, today: date | None = None
) -> dict[str, int]:
    """Load every seed file in one transaction; refuses a database that already holds data."""
    if not database_is_empty(session):
        raise Conflict("the database already holds data; seeding refused and nothing was changed")
    today = today or date.today()
    rng = random.Random(20261122)
    depots = _load_depots(session, data_dir)
    items = _load_items(session, data_dir, depots)
    _load_districts(session, data_dir, depots)
    _load_response_classes(session, data_dir)
    vans = _load_vans(session, data_dir, depots)
    staff = _load_staff(session, data_dir, vans, demo=demo)
    for row in rows("prescribers.csv", data_dir):
        session.add(Prescriber(**row))
    if demo:
        link_demo_prescriber(session)
    people = 0
    for row in rows("service_users.csv", data_dir):
        session.add(
            ServiceUser(
                name=row["name"],
                address=row["address"],
                postcode=row["postcode"],
                district=row["district"],
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                location_source="given",
                nhs_number=row["nhs_number"] or None,
                phone=row["phone"],
                access_notes=row["access_notes"],
                safety_alerts=row["safety_alerts"],
                email=row.get("email") or "",
                contact_by=row.get("contact_by") or "letter",
                contact_consent=row.get("contact_consent") == "yes",
            )
        )
        people += 1
    assets = _load_stock(session, data_dir, depots, items, rng, today)
    return {
        "depots": len(depots),
        "items": len(items),
        "vans": len(vans),
        "users": staff,
        "service_users": people,
        "assets": assets,
    }


def _load_depots(session: Session, data_dir: Path) -> dict[str, Depot]:
    depots = {}
    for row in rows("depots.csv", data_dir):
        depot = Depot(**{**row, "lat": float(row["lat"]), "lon": float(row["lon"])})
        session.add(depot)
        depots[depot.code] = depot
    session.flush()
    return depots


def _load_items(session: Session, data_dir: Path, depots: dict[str, Depot]) -> dict[str, Item]:
    items = {}
    for row in rows("items.csv", data_dir):
        item = Item(
            sku=row["sku"],
            name=row["name"],
            category=row["category"],
            serialised=_bool(row["serialised"]),
            volume=int(row["volume"]),
            bed_slots=int(row["bed_slots"]),
            hoist_slots=int(row["hoist_slots"]),
            skills=row["skills"].strip(),
            install_minutes=int(row["install_minutes"]),
            returnable=_bool(row["returnable"]),
            needs_authorisation=_bool(row["needs_authorisation"]),
            inspection_regime=row["inspection_regime"],
            unit_cost_pence=round(float(row["unit_cost_gbp"]) * 100),
            min_level=int(row["min_level"]),
        )
        session.add(item)
        items[item.sku] = item
    session.flush()
    for item in items.values():
        for depot in depots.values():
            session.add(StockMinimum(depot_id=depot.id, item_id=item.id, minimum=item.min_level))
    return items


def _load_districts(session: Session, data_dir: Path, depots: dict[str, Depot]) -> None:
    for row in rows("postcode_districts.csv", data_dir):
        session.add(
            PostcodeDistrict(
                district=row["district"],
                town=row["town"],
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                depot_id=depots[row["depot"]].id,
            )
        )


def _load_response_classes(session: Session, data_dir: Path) -> None:
    for row in rows("response_classes.csv", data_dir):
        session.add(
            ResponseClass(
                code=row["code"],
                name=row["name"],
                kind=row["kind"],
                clock_start=row["clock_start"],
                counting=row["counting"],
                amount=int(row["amount"]),
                service_hours_start=row["service_hours_start"] or None,
                service_hours_end=row["service_hours_end"] or None,
                cutoff=row["cutoff"] or None,
                stopped_by=row["stopped_by"],
                target_percent=float(row["target_percent"]),
            )
        )


def _load_vans(session: Session, data_dir: Path, depots: dict[str, Depot]) -> dict[str, Van]:
    vans = {}
    for row in rows("vans.csv", data_dir):
        van = Van(
            reg=row["reg"],
            name=row["name"],
            depot_id=depots[row["depot"]].id,
            volume_capacity=int(row["volume_capacity"]),
            bed_slots=int(row["bed_slots"]),
            hoist_slots=int(row["hoist_slots"]),
            skills=row["skills"].strip(),
            shift_start=_time(row["shift_start"]),
            shift_end=_time(row["shift_end"]),
            lunch_from=_time(row["lunch_from"]),
            lunch_to=_time(row["lunch_to"]),
            lunch_minutes=int(row["lunch_minutes"]),
            segregated=row.get("segregated", "yes").strip().lower() in ("yes", "true", "1"),
        )
        session.add(van)
        vans[van.reg] = van
    session.flush()
    return vans


def _load_staff(session: Session, data_dir: Path, vans: dict[str, Van], *, demo: bool) -> int:
    # Without --demo, staff accounts get a random unusable password until an admin sets one.
    demo_hash = hash_password(DEMO_PASSWORD) if demo else None
    count = 0
    for row in rows("staff.csv", data_dir):
        van = vans.get(row["van_reg"]) if row["van_reg"] else None
        session.add(
            User(
                username=row["username"],
                full_name=row["full_name"],
                role=row["role"],
                van_id=van.id if van else None,
                password_hash=demo_hash or unusable_password(),
            )
        )
        count += 1
    if demo:
        first_van = next(iter(vans.values()))
        for username, role, full_name in DEMO_USERS:
            session.add(
                User(
                    username=username,
                    full_name=full_name,
                    role=role,
                    van_id=first_van.id if role == Role.DRIVER else None,
                    password_hash=demo_hash,
                )
            )
            count += 1
    return count


def _load_stock(
    session: Session, data_dir: Path, depots: dict[str, Depot], items: dict[str, Item], rng: random.Random, today: date
) -> int:
    """Opening stock: every unit received into its depot, clean and available."""
    received_at = utcnow() - timedelta(days=1)
    assets = 0
    for row in rows("stock_levels.csv", data_dir):
        depot, item, quantity = depots[row["depot"]], items[row["sku"]], int(row["quantity"])
        if quantity <= 0:
            continue
        session.add(StockBalance(depot_id=depot.id, item_id=item.id, state=StockState.AVAILABLE, quantity=quantity))
        if not item.serialised:
            session.add(_opening_movement(item, depot, quantity, received_at))
            continue
        for number in range(1, quantity + 1):
            last = today - timedelta(days=rng.randint(0, 170)) if item.inspection_regime != "none" else None
            serial = f"{depot.code}-{item.sku}-{number:04d}"
            made, batch = _made(serial, today)
            asset = Asset(
                serial=serial,
                batch=batch,
                manufactured_on=made,
                item_id=item.id,
                depot_id=depot.id,
                state=StockState.AVAILABLE,
                last_inspected_on=last,
                next_inspection_due=next_due(item.inspection_regime, last) if last else None,
                received_at=received_at,
            )
            session.add(asset)
            assets += 1
    session.flush()
    for asset in session.exec(select(Asset)):
        item_depot = (asset.item_id, asset.depot_id)
        session.add(
            StockMovement(
                at=received_at,
                item_id=item_depot[0],
                quantity=1,
                to_depot_id=item_depot[1],
                to_state=StockState.AVAILABLE,
                asset_id=asset.id,
                kind="receipt",
                reason="opening stock",
            )
        )
        session.add(
            AssetEvent(
                asset_id=asset.id,
                at=received_at,
                event="received",
                to_state=StockState.AVAILABLE,
                depot_id=asset.depot_id,
                note="opening stock",
            )
        )
    return assets


def _made(serial: str, today: date) -> tuple[date, str]:
    """A unit's date of manufacture (up to about four years back) and its batch, the quarter it
    was made in: fixed by the serial, so that the demo's recalls find the same units every time
    and the seed's other random choices stay as they were."""
    made = today - timedelta(days=120 + zlib.crc32(serial.encode()) % 1300)
    return made, f"{made.year}-Q{(made.month - 1) // 3 + 1}"


def _opening_movement(item: Item, depot: Depot, quantity: int, at: datetime) -> StockMovement:
    return StockMovement(
        at=at,
        item_id=item.id,
        quantity=quantity,
        to_depot_id=depot.id,
        to_state=StockState.AVAILABLE,
        kind="receipt",
        reason="opening stock",
    )
