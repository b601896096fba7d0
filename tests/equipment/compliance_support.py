"""A planning world with equipment under inspection regimes, lent to people (no tests in here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import select

from equipment import deliveries, service_time, stock
from equipment.db import utcnow
from equipment.models import Asset, Item, Order, OrderLine
from equipment.vocabulary import OrderStatus, Role
from tests.equipment.test_planning_support import TZ, World, build_world

COORD = deliveries.Actor(None, Role.COORDINATOR)


@dataclass
class ComplianceWorld:
    world: World
    lifter: Item  # LOLER, serialised, batches B1 (LFT-001..004) and B2 (LFT-005..007)
    tester: Item  # electrical, serialised

    @property
    def db(self):
        return self.world.db

    def lend(self, person, item: Item, *, due_in_days: int | None) -> Asset:
        """One unit of `item` delivered to `person` (by a completed order), next due in so many days."""
        order = self.world.order(person, lines=[(item, 1)])
        line = self.db.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
        (serial,) = stock.deliver_line(self.db, line=line, service_user_id=person.id, at=utcnow(), user_id=None)
        order.status, order.completed_at = OrderStatus.COMPLETED, utcnow()
        self.db.add(order)
        asset = self.db.exec(select(Asset).where(Asset.serial == serial)).one()
        if due_in_days is not None:
            asset.next_inspection_due = self.today + timedelta(days=due_in_days)
            self.db.add(asset)
        self.db.commit()
        return asset

    @property
    def today(self) -> date:
        return service_time.today(TZ)

    def asset(self, serial: str) -> Asset:
        self.db.expire_all()
        return self.db.exec(select(Asset).where(Asset.serial == serial)).one()

    def orders_of(self, person, **where) -> list[Order]:
        self.db.expire_all()
        query = select(Order).where(Order.service_user_id == person.id).order_by(Order.id)
        for name, value in where.items():
            query = query.where(getattr(Order, name) == value)
        return list(self.db.exec(query))


def build_compliance_world(db, engine, make) -> ComplianceWorld:
    world = build_world(db, engine, make, day=service_time.today(TZ))
    lifter = make.item(
        "LIFT-L",
        name="Ceiling track hoist",
        category="hoists",
        serialised=True,
        volume=10,
        hoist_slots=1,
        skills="hoist_trained",
        install_minutes=30,
        inspection_regime="loler_6m",
    )
    tester = make.item(
        "PUMP-E",
        name="Air mattress pump",
        category="pressure",
        serialised=True,
        volume=3,
        install_minutes=10,
        inspection_regime="electrical_12m",
    )
    made = service_time.today(TZ) - timedelta(days=400)
    stock.receive_goods(
        db,
        depot_code="IPS",
        sku="LIFT-L",
        serials=[f"LFT-{i:03d}" for i in range(1, 5)],
        batch="B1",
        manufactured_on=made,
        user_id=None,
    )
    stock.receive_goods(
        db,
        depot_code="IPS",
        sku="LIFT-L",
        serials=[f"LFT-{i:03d}" for i in range(5, 8)],
        batch="B2",
        manufactured_on=made + timedelta(days=100),
        user_id=None,
    )
    stock.receive_goods(db, depot_code="IPS", sku="PUMP-E", serials=[f"PMP-{i:03d}" for i in range(1, 5)], user_id=None)
    return ComplianceWorld(world, lifter, tester)


def stop_with(world: World, plan, ref: str):
    view = world.view(plan)
    return next(sv.stop for rv in view.routes for sv in rv.stops if ref in [o.ref for o in sv.orders])
