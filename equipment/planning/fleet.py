"""Reading the fleet: vans with their depot and driver (GET /vans)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from equipment.models import Depot, User, Van
from equipment.vocabulary import Role


@dataclass(frozen=True)
class VanRow:
    van: Van
    depot_code: str
    driver: str | None


def list_vans(session: Session, *, limit: int = 100, offset: int = 0) -> tuple[list[VanRow], int]:
    """Vans by registration, each with its depot's code and its (first active) driver."""
    vans = list(session.exec(select(Van).order_by(Van.reg)))
    depots = {d.id: d.code for d in session.exec(select(Depot))}
    drivers: dict[int, str] = {}
    for user in session.exec(
        select(User).where(User.role == Role.DRIVER, User.active == True, User.van_id != None).order_by(User.id)
    ):
        drivers.setdefault(user.van_id, user.username)
    rows = [VanRow(v, depots.get(v.depot_id, ""), drivers.get(v.id)) for v in vans]
    return rows[offset : offset + limit], len(rows)
