"""Set-up and reading helpers for the browser journeys: the world a journey starts from is made
with the application's own services (as other users would have made it), and what a journey did
is read back from the database."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from equipment import orders
from equipment.models import Asset, Depot, Order, OrderLine, ServiceUser, User
from equipment.orders.schemas import LineIn, OrderCreate, ServiceUserIn

TZ = "Europe/London"


def london_today() -> date:
    return datetime.now(ZoneInfo(TZ)).date()


# Every read ends its transaction at once: on SQLite a transaction holds the write lock, and the
# live server must never wait on the test's session.


def user_id(db, username: str) -> int:
    found = db.exec(select(User.id).where(User.username == username)).one()
    db.commit()
    return found


def depot_id(db, code: str) -> int:
    found = db.exec(select(Depot.id).where(Depot.code == code)).one()
    db.commit()
    return found


def person(db, name: str) -> ServiceUser:
    found = db.exec(select(ServiceUser).where(ServiceUser.name == name)).one()
    db.commit()
    return found


def take_order(
    db,
    *,
    name: str,
    sku: str,
    quantity: int = 1,
    response_class: str = "next_day",
    kind: str = "delivery",
    received_at: datetime | None = None,
    serial: str | None = None,
    by: str = "coordinator",
) -> Order:
    """An order for a seeded person, taken through the orders service (it reserves stock and commits)."""
    who = person(db, name)
    data = OrderCreate(
        kind=kind,
        response_class=response_class,
        service_user=ServiceUserIn(
            name=who.name,
            address=who.address,
            postcode=who.postcode,
            nhs_number=who.nhs_number,
            phone=who.phone,
            lat=who.lat,
            lon=who.lon,
        ),
        lines=[LineIn(sku=sku, quantity=quantity, serial=serial)],
        received_at=received_at,
    )
    order = orders.create_order(db, data=data, user_id=user_id(db, by), settings=orders.OrderSettings(tz=TZ))
    db.commit()
    return order


def order_by_ref(db, ref: str) -> Order:
    db.expire_all()
    found = db.exec(select(Order).where(Order.ref == ref)).one()
    db.commit()  # end the read: the live server must not wait on this session's lock
    return found


def reserved_serials(db, order: Order) -> list[str]:
    lines = [line.id for line in db.exec(select(OrderLine).where(OrderLine.order_id == order.id))]
    serials = list(db.exec(select(Asset.serial).where(Asset.order_line_id.in_(lines)).order_by(Asset.serial)))
    db.commit()
    return serials
