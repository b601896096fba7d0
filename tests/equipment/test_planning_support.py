"""A small planning world for the planning, deliveries and web tests (no tests in here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import select

from equipment import planning, service_time, stock
from equipment.db import utcnow
from equipment.demo.ready_orders import make_ready_order
from equipment.models import Depot, Item, Order, Plan, ServiceUser, Van
from equipment.vocabulary import OrderKind

TZ = service_time.DEFAULT_TZ
DEPOT = (52.06, 1.15)  # lat, lon
KM_LAT = 1 / 111.2  # degrees of latitude per km


@dataclass
class World:
    db: object
    engine: object
    make: object
    depot: Depot
    vans: list[Van]
    frame: Item  # bulk, small
    bed: Item  # serialised, two-person
    hoist: Item  # serialised, hoist-trained
    day: date
    people: list[ServiceUser] = field(default_factory=list)
    _n: int = 0

    def at(self, hh: int, mm: int = 0, day: date | None = None) -> datetime:
        return datetime.combine(day or self.day, time(hh, mm), tzinfo=service_time.zone(TZ)).astimezone(UTC)

    def person(self, km_north: float = 3.0, km_east: float = 0.0, **fields) -> ServiceUser:
        self._n += 1
        lat = DEPOT[0] + km_north * KM_LAT
        lon = DEPOT[1] + km_east * KM_LAT / 0.615
        p = ServiceUser(
            name=fields.pop("name", f"Person {self._n}"),
            address=f"{self._n} Test Street",
            postcode="IP4 1AA",
            district="IP4",
            lat=lat,
            lon=lon,
            **fields,
        )
        self.db.add(p)
        self.db.commit()
        self.people.append(p)
        return p

    def order(
        self,
        person: ServiceUser | None = None,
        *,
        kind: str = OrderKind.DELIVERY,
        klass: str = "next_day",
        due: datetime | None = None,
        lines=None,
        slot=None,
        ref: str | None = None,
    ) -> Order:
        self._n += 1
        person = person or self.person()
        lines = lines if lines is not None else [(self.frame, 1)]
        order = make_ready_order(
            self.db,
            ref=ref or f"EQ-{100000 + self._n:06d}",
            person=person,
            depot=self.depot,
            lines=lines,
            # Not yet due when made, whatever the hour the suite runs (a world of today, after 16:00).
            due_at=due or max(self.at(17), utcnow() + timedelta(hours=1)),
            kind=kind,
            response_class=klass,
            slot=slot,
        )
        self.db.commit()
        return order

    def plan(self, seconds: float = 0.3, depots: list[str] | None = None) -> Plan:
        self.db.commit()
        plan_id = planning.plan_day_now(self.engine, service_date=self.day, depot_codes=depots, seconds=seconds, tz=TZ)
        self.db.expire_all()
        return self.db.get(Plan, plan_id)

    def published(self, seconds: float = 0.3) -> Plan:
        plan = self.plan(seconds)
        planning.publish_plan(self.db, plan_id=plan.id, user_id=None)
        return plan

    def view(self, plan: Plan) -> planning.PlanView:
        self.db.expire_all()
        return planning.plan_view(self.db, plan.id)


def build_world(db, engine, make, *, vans: int = 1, day: date | None = None, **van_fields) -> World:
    make.response_classes()
    depot = make.depot("IPS", lat=DEPOT[0], lon=DEPOT[1])
    make.district("IP4", depot)
    van_list = [make.van(depot, **van_fields) for _ in range(vans)]
    frame = make.item("FRAME", volume=2, install_minutes=5)
    bed = make.item(
        "BED",
        name="Profiling bed",
        category="beds",
        serialised=True,
        volume=20,
        bed_slots=1,
        skills="two_person",
        install_minutes=40,
    )
    hoist = make.item(
        "HOIST",
        name="Mobile hoist",
        category="hoists",
        serialised=True,
        volume=10,
        hoist_slots=1,
        skills="hoist_trained",
        install_minutes=30,
    )
    stock.receive_goods(db, depot_code="IPS", sku="FRAME", quantity=50, user_id=None)
    stock.receive_goods(db, depot_code="IPS", sku="BED", serials=[f"BED-{i:03d}" for i in range(1, 9)], user_id=None)
    stock.receive_goods(db, depot_code="IPS", sku="HOIST", serials=[f"HST-{i:03d}" for i in range(1, 6)], user_id=None)
    day = day or (service_time.today(TZ) + timedelta(days=2))
    return World(db, engine, make, depot, van_list, frame, bed, hoist, day)


def order_refs_on_routes(view: planning.PlanView) -> list[list[str]]:
    return [[o.ref for o in sv.orders] for rv in view.routes for sv in rv.stops]


def get_order(db, ref: str) -> Order:
    db.expire_all()
    return db.exec(select(Order).where(Order.ref == ref)).one()
