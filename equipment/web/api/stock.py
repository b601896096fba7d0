"""The stock API: balances, receipts, counts, transfers, the ledger and processing returns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import request
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy.exc import DBAPIError, IntegrityError

from equipment import idempotency, service_time, stock
from equipment.errors import DomainError
from equipment.schemas import Problem
from equipment.stock import queries as stock_queries
from equipment.stock.schemas import (
    AdjustmentCreate,
    AdjustmentPublic,
    BalanceList,
    BalancePublic,
    BulkProcessCreate,
    MovementList,
    MovementPath,
    MovementPublic,
    MovementQuery,
    ReceiptCreate,
    ReceiptPublic,
    ReversalCreate,
    StockQuery,
    TransferCreate,
    TransferList,
    TransferPath,
    TransferPublic,
    TransferQuery,
)
from equipment.vocabulary import Role
from equipment.web.access import allow, current_principal
from equipment.web.database import get_db
from equipment.web.local_time import service_tz

bp = APIBlueprint("api_stock", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="stock")])

A, CO, CL, O = Role.ADMIN, Role.COORDINATOR, Role.CLERK, Role.OFFICER
WRITERS = (A, CL)
STAFF_READERS = (A, CO, CL)
WRITE_ERRORS = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}
T = TypeVar("T")
# PostgreSQL's answers when two transactions must not both go on: try the use case again.
RETRY_SQLSTATES = {"40P01", "40001"}


def retrying(call: Callable[[], T], attempts: int = 4) -> T:
    """Run a use case, again if the database chose it as a deadlock or serialisation victim."""
    for attempt in range(attempts):
        try:
            return call()
        except DBAPIError as exc:
            get_db().rollback()
            if getattr(exc.orig, "sqlstate", None) not in RETRY_SQLSTATES or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def user_id() -> int:
    return current_principal().id


def _stored_answer(request_under_key: idempotency.Request) -> tuple[dict, int] | None:
    earlier = idempotency.stored_answer(get_db(), request_under_key)
    return (earlier[1], earlier[0]) if earlier else None


def once(run: Callable[[Callable[[Any], None]], T], answer: Callable[[T], tuple[dict, int]]):
    """Run a write use case; with an Idempotency-Key header, at most once.

    `run(before_commit)` calls the use case; `answer(result)` is the response (body, status).
    The answer is built in the use case's own transaction, so nothing is read after the commit;
    under a key it is stored there too, so a retry with the same key and body gets the first
    answer and books nothing; the same key with another body is a 409.
    """
    key = request.headers.get("Idempotency-Key", "").strip()
    under_key = None
    db = get_db()
    if key:
        under_key = idempotency.Request(
            key=idempotency.checked_key(key),
            user_id=user_id(),
            method=request.method,
            path=request.path,
            body_hash=idempotency.body_hash(request.get_json(silent=True)),
        )
        earlier = _stored_answer(under_key)
        if earlier:
            db.rollback()
            return earlier
    given: list[tuple[dict, int]] = []

    def keep(result: Any) -> None:
        body, status = answer(result)
        given.append((body, status))
        if under_key:
            idempotency.remember(db, under_key, status=status, body=body)

    try:
        result = retrying(lambda: run(keep))
    except (IntegrityError, DomainError):
        if not under_key:
            raise
        db.rollback()
        earlier = _stored_answer(under_key)  # the twin won the race: its answer is ours too
        if earlier:
            db.rollback()
            return earlier
        raise
    return given[-1] if given else answer(result)  # nothing booked (a count that matched): nothing to keep


def aware(moment: datetime | None) -> datetime | None:
    """A time sent without an offset is the service's local time (API.md)."""
    return None if moment is None else service_time.assume_local(moment, service_tz())


def balance_public(row: stock_queries.BalanceRow) -> BalancePublic:
    return BalancePublic(
        depot=row.depot,
        sku=row.sku,
        name=row.name,
        serialised=row.serialised,
        minimum=row.minimum,
        low=row.low,
        **row.counts,
    )


def transfer_public(row) -> TransferPublic:
    transfer, sku, from_code, to_code = row
    return TransferPublic(
        id=transfer.id,
        from_depot=from_code,
        to_depot=to_code,
        sku=sku,
        quantity=transfer.quantity,
        serials=transfer.serials.split(),
        status=transfer.status,
        dispatched_at=transfer.dispatched_at,
        received_at=transfer.received_at,
    )


@bp.get("/stock", responses={200: BalanceList, 401: Problem, 403: Problem, 404: Problem, 422: Problem})
@allow(A, CO, CL, O)
def list_stock(query: StockQuery):
    """Balances per depot and item: a count per state, the minimum level and a low-stock flag."""
    rows, total = stock_queries.stock_balances(
        get_db(),
        depot_code=query.depot,
        sku=query.sku,
        q=query.q,
        low_only=query.low,
        limit=query.limit,
        offset=query.offset,
    )
    return BalanceList(items=[balance_public(r) for r in rows], total=total).model_dump(mode="json")


@bp.post("/stock/receipts", responses={201: ReceiptPublic, **WRITE_ERRORS})
@allow(*WRITERS)
def create_receipt(body: ReceiptCreate):
    """Goods received into a depot: `quantity` for bulk items, `serials` for serialised ones.

    Accepts an `Idempotency-Key` header: a retry with the same key and body books nothing twice."""

    def answer(receipt: stock.Receipt) -> tuple[dict, int]:
        public = ReceiptPublic(
            depot=receipt.depot,
            sku=receipt.sku,
            quantity=receipt.quantity,
            serials=receipt.serials,
            movements=receipt.movement_ids,
            orders_ready=receipt.orders_ready,
        )
        return public.model_dump(mode="json"), 201

    return once(
        lambda before_commit: stock.receive_goods(
            get_db(),
            depot_code=body.depot,
            sku=body.sku,
            quantity=body.quantity,
            serials=body.serials,
            user_id=user_id(),
            reason=body.reason,
            batch=body.batch,
            manufactured_on=body.manufactured_on,
            before_commit=before_commit,
        ),
        answer,
    )


def _movement_public(movement_id: int) -> MovementPublic:
    return MovementPublic(**stock_queries.movement(get_db(), movement_id))


@bp.post("/stock/adjustments", responses={200: AdjustmentPublic, 201: AdjustmentPublic, **WRITE_ERRORS})
@allow(*WRITERS)
def create_adjustment(body: AdjustmentCreate):
    """A stock count: the difference from the available balance is booked (201), or nothing (200).

    Accepts an `Idempotency-Key` header."""

    def answer(movement) -> tuple[dict, int]:
        if movement is None:
            return AdjustmentPublic(changed=False, movement=None).model_dump(mode="json"), 200
        return AdjustmentPublic(changed=True, movement=_movement_public(movement.id)).model_dump(mode="json"), 201

    return once(
        lambda before_commit: stock.adjust_count(
            get_db(),
            depot_code=body.depot,
            sku=body.sku,
            counted=body.counted,
            reason=body.reason,
            serials=body.serials,
            user_id=user_id(),
            before_commit=before_commit,
        ),
        answer,
    )


@bp.post("/stock/transfers", responses={201: TransferPublic, **WRITE_ERRORS})
@allow(*WRITERS)
def create_transfer(body: TransferCreate):
    """Move available stock between depots; 409 when the source has too little available.

    By default the arrival is booked in the same transaction (status `received`); with
    `receive: false` the units stay `in_transit` until `POST /stock/transfers/{id}/receive`.
    Accepts an `Idempotency-Key` header.
    """

    def answer(transfer) -> tuple[dict, int]:
        # The codes matched exactly, so the answer is built from the request without reading again.
        return transfer_public((transfer, body.sku, body.from_depot, body.to_depot)).model_dump(mode="json"), 201

    return once(
        lambda before_commit: stock.transfer_stock(
            get_db(),
            from_depot_code=body.from_depot,
            to_depot_code=body.to_depot,
            sku=body.sku,
            quantity=body.quantity,
            serials=body.serials,
            user_id=user_id(),
            receive=body.receive,
            reason=body.reason,
            before_commit=before_commit,
        ),
        answer,
    )


@bp.get("/stock/transfers", responses={200: TransferList, 401: Problem, 403: Problem, 422: Problem})
@allow(*STAFF_READERS)
def list_transfers(query: TransferQuery):
    """Transfers between depots, newest first (filter `status=in_transit` for what is on the road)."""
    rows, total = stock_queries.transfers(get_db(), status=query.status, limit=query.limit, offset=query.offset)
    return TransferList(items=[transfer_public(r) for r in rows], total=total).model_dump(mode="json")


@bp.post("/stock/transfers/<int:transfer_id>/receive", responses={200: TransferPublic, **WRITE_ERRORS})
@allow(*WRITERS)
def receive_transfer(path: TransferPath):
    """Book the arrival of a transfer in transit; 409 if it was already received."""
    transfer = retrying(lambda: stock.receive_transfer(get_db(), transfer_id=path.transfer_id, user_id=user_id()))
    return transfer_public(stock_queries.transfer_row(get_db(), transfer.id)).model_dump(mode="json")


@bp.get("/stock/movements", responses={200: MovementList, 401: Problem, 403: Problem, 404: Problem, 422: Problem})
@allow(*STAFF_READERS)
def list_movements(query: MovementQuery):
    """The ledger, newest first, by depot (either side), SKU, asset serial, order ref, kind and time."""
    rows, total = stock_queries.list_movements(
        get_db(),
        depot_code=query.depot,
        sku=query.sku,
        serial=query.asset,
        order_ref=query.order,
        kind=query.kind,
        since=aware(query.from_),
        until=aware(query.to),
        limit=query.limit,
        offset=query.offset,
    )
    return MovementList(items=[MovementPublic(**r) for r in rows], total=total).model_dump(mode="json")


@bp.post("/stock/movements/<int:movement_id>/reverse", responses={201: MovementPublic, **WRITE_ERRORS})
@allow(*WRITERS)
def reverse_movement(path: MovementPath, body: ReversalCreate):
    """Undo a bulk receipt or adjustment booked by mistake, with a movement the other way."""
    movement = retrying(
        lambda: stock.reverse_movement(get_db(), movement_id=path.movement_id, reason=body.reason, user_id=user_id())
    )
    return _movement_public(movement.id).model_dump(mode="json"), 201


@bp.post("/stock/returns", responses={201: MovementPublic, **WRITE_ERRORS})
@allow(*WRITERS)
def process_bulk_return(body: BulkProcessCreate):
    """Process returned bulk units: decontaminated, returned to stock, scrapped or lost."""
    movement = retrying(
        lambda: stock.process_bulk(
            get_db(),
            depot_code=body.depot,
            sku=body.sku,
            quantity=body.quantity,
            action=body.action,
            from_state=body.from_state,
            note=body.note,
            user_id=user_id(),
        )
    )
    return _movement_public(movement.id).model_dump(mode="json"), 201
