"""The stock ledger's primitives: movements, balances and guarded asset state changes.

Every helper here only adds rows and runs guarded UPDATEs in the caller's transaction; the
use cases in `equipment.stock` commit. Two guards keep stock honest under concurrency on
SQLite and PostgreSQL alike, without reading first and writing later:

- a balance is decreased with `quantity = quantity - n WHERE quantity >= n`; no row changed
  means there was not enough, and the caller's transaction is abandoned (OutOfStock);
- an asset changes state with `... WHERE id = :id AND state = :expected`; no row changed means
  someone else moved it first (InvalidTransition or OutOfStock).

PostgreSQL re-checks the WHERE clause after waiting for a concurrent writer's row lock, and
SQLite runs every transaction as BEGIN IMMEDIATE, so neither check can be overtaken.
Balance changes of one use case are applied in a fixed order (depot, item, state) so that two
transfers in opposite directions cannot deadlock each other.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from equipment.db import utcnow
from equipment.errors import Invalid, InvalidTransition, NotFound, OutOfStock
from equipment.limits import MAX_UNITS
from equipment.models import Asset, AssetEvent, Depot, Item, StockBalance, StockMovement
from equipment.plain_words import state_phrase
from equipment.stock.catalogue import depot_by_code, item_by_sku

BalanceKey = tuple[int, int, str]  # depot_id, item_id, state
# Called with a use case's result just before it commits: the web layer stores its answer to an
# Idempotency-Key in the same transaction, so a retry can never book the same goods twice.
BeforeCommit = Callable[[Any], None]
SERIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")


# The ledger's statements run on every stock write, so they are built once (building a statement
# costs about as much CPU as running it) and written as Core statements rather than through the
# ORM's unit of work, which costs more again. Their values are bound when they run.
_MOVEMENTS = StockMovement.__table__
_INSERT_MOVEMENTS = insert(_MOVEMENTS).returning(_MOVEMENTS.c.id, sort_by_parameter_order=True)
_BALANCES = StockBalance.__table__
_TAKE = (
    update(_BALANCES)
    .where(
        _BALANCES.c.depot_id == bindparam("key_depot"),
        _BALANCES.c.item_id == bindparam("key_item"),
        _BALANCES.c.state == bindparam("key_state"),
        _BALANCES.c.quantity >= bindparam("taken"),
    )
    .values(quantity=_BALANCES.c.quantity - bindparam("taken"))
)


def _upserts(new_quantity: Callable[[Any], Any], returning: bool = False) -> dict[str, Any]:
    """An upsert of one balance row per dialect; `new_quantity(excluded)` is the quantity set on a conflict."""
    statements = {}
    for dialect, dialect_insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert)):
        statement = dialect_insert(_BALANCES)
        statement = statement.on_conflict_do_update(
            index_elements=["depot_id", "item_id", "state"], set_={"quantity": new_quantity(statement.excluded)}
        )
        statements[dialect] = statement.returning(_BALANCES.c.quantity) if returning else statement
    return statements


_PUT = _upserts(lambda excluded: _BALANCES.c.quantity + excluded.quantity)
_LOCK = _upserts(lambda excluded: _BALANCES.c.quantity, returning=True)  # a no-op update that locks the row


@dataclass
class Movement:
    """One movement booked through a Ledger: a row of the ledger (stock_movements), written by
    `Ledger.apply`, which sets its id. A plain record: building an ORM object costs more CPU than
    writing the row."""

    at: datetime
    user_id: int | None
    item_id: int
    quantity: int
    from_depot_id: int | None
    from_state: str | None
    to_depot_id: int | None
    to_state: str | None
    asset_id: int | None
    order_id: int | None
    van_id: int | None
    kind: str
    reason: str
    reverses_id: int | None
    id: int | None = None


@dataclass
class Ledger:
    """The movements of one use case, with their balance changes applied in a fixed order."""

    session: Session
    user_id: int | None
    deltas: dict[BalanceKey, int] = field(default_factory=lambda: defaultdict(int))
    movements: list[Movement] = field(default_factory=list)
    unsaved: list[Movement] = field(default_factory=list)

    def move(
        self,
        *,
        item_id: int,
        quantity: int,
        kind: str,
        source: tuple[int, str] | None = None,
        target: tuple[int, str] | None = None,
        asset_id: int | None = None,
        order_id: int | None = None,
        van_id: int | None = None,
        reason: str = "",
        at: datetime | None = None,
        reverses_id: int | None = None,
    ) -> Movement:
        """Book `quantity` units from `source` (depot_id, state) to `target`; None is outside."""
        movement = Movement(
            at=at or utcnow(),
            user_id=self.user_id,
            item_id=item_id,
            quantity=quantity,
            from_depot_id=source[0] if source else None,
            from_state=source[1] if source else None,
            to_depot_id=target[0] if target else None,
            to_state=target[1] if target else None,
            asset_id=asset_id,
            order_id=order_id,
            van_id=van_id,
            kind=kind,
            reason=reason[:200],
            reverses_id=reverses_id,
        )
        self.movements.append(movement)
        self.unsaved.append(movement)
        if source:
            self.deltas[(source[0], item_id, source[1])] -= quantity
        if target:
            self.deltas[(target[0], item_id, target[1])] += quantity
        return movement

    def apply(self) -> None:
        """Write the movements (one INSERT), apply the net balance changes (guarded) and flush."""
        unsaved, self.unsaved = self.unsaved, []
        if unsaved:
            rows = [{name: value for name, value in vars(m).items() if name != "id"} for m in unsaved]
            ids = self.session.exec(_INSERT_MOVEMENTS, params=rows).scalars().all()
            for movement, movement_id in zip(unsaved, ids, strict=True):
                movement.id = movement_id
        pending, self.deltas = self.deltas, defaultdict(int)
        for key in sorted(pending):
            change = pending[key]
            if change < 0:
                take(self.session, key, -change)
            elif change > 0:
                put(self.session, key, change)
        self.session.flush()


def take(session: Session, key: BalanceKey, quantity: int) -> None:
    """Decrease a balance, refusing to go below zero."""
    depot_id, item_id, state = key
    result = session.exec(
        _TAKE, params={"key_depot": depot_id, "key_item": item_id, "key_state": state, "taken": quantity}
    )
    if result.rowcount != 1:
        raise OutOfStock(f"not enough {state} stock: {quantity} needed", field="quantity")


def put(session: Session, key: BalanceKey, quantity: int) -> None:
    """Increase a balance, creating its row the first time (an upsert, safe under concurrency)."""
    depot_id, item_id, state = key
    session.exec(
        _PUT[session.get_bind().dialect.name],
        params={"depot_id": depot_id, "item_id": item_id, "state": state, "quantity": quantity},
    )


def locked_balance(session: Session, key: BalanceKey) -> int:
    """A balance, read with its row locked (created at zero if missing) until the transaction ends."""
    depot_id, item_id, state = key
    return session.exec(
        _LOCK[session.get_bind().dialect.name],
        params={"depot_id": depot_id, "item_id": item_id, "state": state, "quantity": 0},
    ).scalar_one()


def balance(session: Session, depot_id: int, item_id: int, state: str) -> int:
    row = session.exec(
        select(StockBalance.quantity).where(
            StockBalance.depot_id == depot_id, StockBalance.item_id == item_id, StockBalance.state == state
        )
    ).first()
    return row or 0


def change_asset(
    session: Session,
    asset: Asset,
    *,
    expected: str | tuple[str, ...],
    to_state: str,
    error: type[InvalidTransition | OutOfStock] = InvalidTransition,
    **values: Any,
) -> str:
    """Move `asset` to `to_state` if (and only if) it is still in one of the `expected` states
    at the depot the caller read.

    Returns the state it was in. Other columns to set go in `values`.
    """
    states = (expected,) if isinstance(expected, str) else expected
    table = Asset.__table__
    # The depot is part of the guard: a concurrent transfer can take a unit away and bring it back
    # to "available" at another depot before we get its row, and our ledger entry names this depot.
    depot_id = asset.depot_id
    for state in states:
        result = session.exec(
            update(table)
            .where(table.c.id == asset.id, table.c.state == state, table.c.depot_id == depot_id)
            .values(state=to_state, **values)
        )
        if result.rowcount == 1:
            # Keep the in-memory row in step with what the database now holds.
            session.expire(asset)
            return state
    session.refresh(asset)
    needed = " or ".join(state_phrase(state) for state in states)
    raise error(f"Asset {asset.serial} is {state_phrase(asset.state)}; this needs it {needed}", field="serial")


def asset_event(
    session: Session,
    asset: Asset,
    *,
    event: str,
    from_state: str | None,
    to_state: str | None,
    user_id: int | None,
    depot_id: int | None = None,
    order_id: int | None = None,
    result: str | None = None,
    note: str = "",
    at: datetime | None = None,
) -> AssetEvent:
    row = AssetEvent(
        asset_id=asset.id,
        at=at or utcnow(),
        user_id=user_id,
        event=event,
        from_state=from_state,
        to_state=to_state,
        depot_id=depot_id,
        order_id=order_id,
        result=result,
        note=note[:300],
    )
    session.add(row)
    return row


def asset_by_serial(session: Session, serial: str, *, field: str = "serial") -> Asset:
    asset = session.exec(select(Asset).where(Asset.serial == serial.strip())).first()
    if asset is None:
        raise NotFound(f"no asset with serial {serial!r}", field=field)
    return asset


# --- Checking input -------------------------------------------------------------------------


def positive(quantity: Any, field: str = "quantity") -> int:
    """A number of units: whole, above zero and at most MAX_UNITS."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise Invalid(f"{field} must be a whole number above zero", field=field)
    if quantity > MAX_UNITS:
        raise Invalid(f"{field} can be at most {MAX_UNITS:,} at a time", field=field)
    return quantity


def clean_serials(serials: Iterable[str], field: str = "serials") -> list[str]:
    """Serial numbers as scanned: trimmed, well-formed and each given once."""
    cleaned = [str(s).strip() for s in serials]
    if not cleaned:
        raise Invalid("give at least one serial number", field=field)
    for serial in cleaned:
        if not SERIAL.match(serial):
            raise Invalid(f"{serial!r} is not a serial number (letters, digits, . _ / -, at most 40)", field=field)
    seen: set[str] = set()
    for serial in cleaned:
        if serial in seen:
            raise Invalid(f"serial {serial} is given twice", field=field)
        seen.add(serial)
    return cleaned


# Built once, like the ledger's statements: every stock write starts with it. Two fixed
# parameters rather than an expanding IN list, whose SQL is rendered again on every run.
_DEPOTS_AND_ITEM = (
    select(Depot, Item)
    .join(Item, Item.sku == bindparam("sku"))
    .where(Depot.code.in_([bindparam("code"), bindparam("other_code")]))
)


def depots_and_item(session: Session, codes: dict[str, str], sku: str) -> tuple[list[Depot], Item]:
    """The depots with the given codes (one or two, keyed by the input field naming each) and the
    catalogue item, read in one query."""
    wanted = list(codes.values())
    rows = session.exec(_DEPOTS_AND_ITEM, params={"sku": sku, "code": wanted[0], "other_code": wanted[-1]}).all()
    found = {depot.code: depot for depot, _ in rows}
    if rows and all(code in found for code in wanted):
        return [found[code] for code in wanted], rows[0][1]
    # Something is missing: look each up on its own to say which, depots first.
    return [depot_by_code(session, code, field=field) for field, code in codes.items()], item_by_sku(session, sku)


def depot_and_item(session: Session, depot_code: str, sku: str, depot_field: str = "depot") -> tuple[Depot, Item]:
    (depot,), item = depots_and_item(session, {depot_field: depot_code}, sku)
    return depot, item
