"""/api/v1/orders: take, list, read, amend, authorise and cancel orders; the due-time preview and
availability the order form uses. Officers and clerks never see names, addresses or NHS numbers."""

from __future__ import annotations

from flask import current_app, request
from flask_openapi3 import APIBlueprint, Tag

from equipment import orders
from equipment.errors import NotFound
from equipment.models import Order
from equipment.orders import queries as orders_queries
from equipment.orders import tracking
from equipment.orders.intake import OrderSettings
from equipment.orders.schemas import (
    AuthoriseRequest,
    Availability,
    AvailabilityItem,
    AvailabilityQuery,
    BackOrderReview,
    CancelRequest,
    DuePreview,
    DuePreviewQuery,
    EventPublic,
    OrderAmend,
    OrderCreate,
    OrderCreated,
    OrderDelayPublic,
    OrderDetail,
    OrderLinePublic,
    OrderList,
    OrderPath,
    OrderQuery,
    OrderSummary,
    OutcomePublic,
    PersonFound,
    PersonQuery,
    ServiceUserBrief,
    ServiceUserPublic,
    TrackingPublic,
)
from equipment.orders.search import is_nhs_number_search
from equipment.people import service_users
from equipment.schemas import Problem
from equipment.vocabulary import Role
from equipment.web import lookup_limits
from equipment.web.access import allow, current_principal
from equipment.web.database import get_db
from equipment.web.prescriber_scope import prescriber_scope
from equipment.web.problems import problem

bp = APIBlueprint("api_orders", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="orders")])

TAKERS = (Role.ADMIN, Role.COORDINATOR)  # take and change orders; see people
READERS = (Role.ADMIN, Role.COORDINATOR, Role.OFFICER, Role.CLERK)
# Prescribers take orders and read them too, only their own (and the people on them).
ORDERERS = (*TAKERS, Role.PRESCRIBER)
ERRORS = {401: Problem, 403: Problem, 422: Problem}


def settings() -> OrderSettings:
    return OrderSettings.from_config(current_app.config)


def sees_people() -> bool:
    principal = current_principal()
    return principal is not None and principal.role in ORDERERS


def summary_fields(order: Order, depot: str) -> dict:
    return {
        "ref": order.ref,
        "kind": order.kind,
        "status": order.status,
        "response_class": order.response_class,
        "depot": depot,
        "district": order.district,
        "received_at": order.received_at,
        "clock_started_at": order.clock_started_at,
        "due_at": order.due_at,
        "slot_start": order.slot_start,
        "slot_end": order.slot_end,
        "completed_at": order.completed_at,
        "excused": order.excused,
    }


def created_public(order: Order) -> OrderCreated:
    depot = orders_queries.depot_codes(get_db()).get(order.depot_id, "")
    return OrderCreated(
        ref=order.ref,
        kind=order.kind,
        status=order.status,
        response_class=order.response_class,
        depot=depot,
        received_at=order.received_at,
        due_at=order.due_at,
    )


def detail_public(view: orders_queries.OrderView) -> OrderDetail:
    fields = summary_fields(view.order, view.depot)
    if view.person is None:
        return OrderDetail(**fields)
    p = view.person
    return OrderDetail(
        **fields,
        authorised_at=view.order.authorised_at,
        notes=view.order.notes,
        lines=[
            OrderLinePublic(
                sku=item.sku, name=item.name, quantity=line.quantity, allocated=line.allocated, serial=line.serial
            )
            for line, item in view.lines
        ],
        events=[EventPublic(at=e.at, event=e.event, user=who, detail=e.detail) for e, who in view.events],
        delays=[
            OrderDelayPublic(
                kind=d.kind,
                cause=d.cause,
                attributable=d.attributable,
                due_at=d.due_at,
                expected_at=d.expected_at,
                recorded_at=d.recorded_at,
                note=d.note,
            )
            for d in view.delays
        ],
        outcomes=[
            OutcomePublic(status=o.status, reason=o.reason, at=o.at, serials=o.serials.split()) for o in view.outcomes
        ],
        service_user=person_public(p),
    )


def too_many_look_ups():
    answer = problem(429, "Too many requests", "Too many look-ups found no one. Wait a few minutes, then try again.")
    answer.headers["Retry-After"] = "600"
    return answer


def person_public(p) -> ServiceUserPublic:
    return ServiceUserPublic(
        name=p.name,
        address=p.address,
        postcode=p.postcode,
        nhs_number=p.nhs_number,
        phone=p.phone,
        lat=p.lat,
        lon=p.lon,
        access_notes=p.access_notes,
        safety_alerts=p.safety_alerts,
        email=p.email,
        contact_by=p.contact_by,
        contact_consent=p.contact_consent,
    )


@bp.post("/orders", responses={201: OrderCreated, 409: Problem, **ERRORS})
@allow(*ORDERERS)
def create_order(body: OrderCreate):
    """Take an order. Returns its `ref`, `status` (ready, back_order or awaiting_authorisation) and `due_at`.
    A prescriber orders as themselves (`prescriber_id` is theirs, whatever is sent)."""
    scope = prescriber_scope()
    if scope is not None:
        body = body.model_copy(update={"prescriber_id": scope or None})
    order = orders.create_order(
        get_db(), data=body, user_id=current_principal().id, settings=settings(), placed_by_prescriber=scope is not None
    )
    return created_public(order).model_dump(mode="json"), 201


@bp.get("/orders", responses={200: OrderList, 429: Problem, **ERRORS})
@allow(*READERS, Role.PRESCRIBER)
def list_orders(query: OrderQuery):
    """Orders, earliest due first, filtered by status, response class, kind, depot and due time,
    and found by `q`: an order ref, or (coordinators) an NHS number, name or postcode."""
    people = sees_people()
    user_id = current_principal().id
    by_nhs = people and bool(query.q) and is_nhs_number_search(query.q)
    if by_nhs and lookup_limits.refused(user_id):
        return too_many_look_ups()
    rows, total = orders_queries.list_orders(
        get_db(),
        status=query.status,
        response_class=query.response_class,
        kind=query.kind,
        depot=query.depot,
        # The raw text tells a date (the whole day) from a time; the model has checked its format.
        due_from=request.args.get("due_from"),
        due_to=request.args.get("due_to"),
        q=query.q,
        limit=query.limit,
        offset=query.offset,
        with_people=people,
        user_id=user_id,
        tz=settings().tz,
        prescriber_id=prescriber_scope(),
    )
    if by_nhs and total == 0:
        lookup_limits.count_miss(user_id)
    items = [
        OrderSummary(
            **summary_fields(row.order, row.depot),
            service_user=ServiceUserBrief(name=row.person.name, postcode=row.person.postcode) if row.person else None,
        )
        for row in rows
    ]
    return OrderList(items=items, total=total).model_dump(mode="json")


@bp.get("/orders/preview-due", responses={200: DuePreview, **ERRORS})
@allow(*ORDERERS)
def preview_due(query: DuePreviewQuery):
    """The due time an order of this class received at `received_at` (default now) would get."""
    rc, received, starts, due = orders_queries.preview_due(
        get_db(),
        response_class=query.response_class,
        received_at=query.received_at,
        needs_authorisation=query.needs_authorisation,
        tz=settings().tz,
    )
    return DuePreview(response_class=rc.code, received_at=received, clock_starts=starts, due_at=due).model_dump(
        mode="json"
    )


@bp.get("/orders/availability", responses={200: Availability, 404: Problem, **ERRORS})
@allow(*ORDERERS)
def availability(query: AvailabilityQuery):
    """Catalogue items matching `q` with what is available now at the depot serving `postcode`."""
    depot, district, found = orders_queries.availability(
        get_db(), postcode=query.postcode, depot=query.depot, q=query.q, limit=query.limit
    )
    items = [
        AvailabilityItem(
            sku=item.sku,
            name=item.name,
            serialised=item.serialised,
            needs_authorisation=item.needs_authorisation,
            available=here,
            elsewhere=elsewhere,
        )
        for item, here, elsewhere in found
    ]
    return Availability(depot=depot.code if depot else None, district=district, items=items).model_dump(mode="json")


@bp.get("/orders/person", responses={200: PersonFound, 404: Problem, 429: Problem, **ERRORS})
@allow(*TAKERS)
def find_person(query: PersonQuery):
    """The person with this NHS number (for the order form; the view is audited); 404 when unknown.
    Look-ups that find no one are audited too, and limited per user (429 once spent)."""
    user_id = current_principal().id
    if lookup_limits.refused(user_id):
        return too_many_look_ups()
    found = service_users.look_up(get_db(), nhs_number=query.nhs_number, user_id=user_id)
    if found is None:
        lookup_limits.count_miss(user_id)
        raise NotFound("No person with this NHS number", field="nhs_number")
    person, refs = found
    return PersonFound(service_user=person_public(person), open_orders=refs).model_dump(mode="json")


@bp.post("/orders/review-back-orders", responses={200: BackOrderReview, **ERRORS})
@allow(*TAKERS)
def review_back_orders():
    """Try every back-order again at any depot that can now supply it whole; log predicted stock
    delays for back-orders that can no longer meet their due time."""
    ready, delayed = orders.review_back_orders(get_db(), user_id=current_principal().id, tz=settings().tz)
    return BackOrderReview(ready=ready, delayed=delayed).model_dump(mode="json")


@bp.get("/orders/<ref>", responses={200: OrderDetail, 404: Problem, **ERRORS})
@allow(*READERS, Role.PRESCRIBER)
def get_order(path: OrderPath):
    """One order. Coordinators and admins also get lines, timeline and the person (each view is
    audited); officers and clerks get the summary without any personal data. A prescriber gets
    only their own orders (another's is 404), with `tracking`: visit window, proof of delivery."""
    scope = prescriber_scope()
    view = orders_queries.view_order(
        get_db(), ref=path.ref, user_id=current_principal().id, personal=sees_people(), prescriber_id=scope
    )
    detail = detail_public(view)
    if scope is not None:
        detail.tracking = tracking_public(tracking.track(get_db(), view.order))
    return detail.model_dump(mode="json")


def tracking_public(t: tracking.Tracking) -> TrackingPublic:
    return TrackingPublic(
        visit_date=t.visit.service_date if t.visit else None,
        visit_eta=t.visit.eta if t.visit else None,
        window_start=t.visit.window_start if t.visit else None,
        window_end=t.visit.window_end if t.visit else None,
        delivered_at=t.delivered_at,
        received_by=t.received_by,
        failed_at=t.failed_at,
        failure_reason=t.failure_reason,
        rebooked_for=t.rebooked_for,
    )


@bp.patch("/orders/<ref>", responses={200: OrderCreated, 404: Problem, 409: Problem, **ERRORS})
@allow(*TAKERS)
def amend_order(path: OrderPath, body: OrderAmend):
    """Change the class, lines, slot or notes before dispatch; reservations follow the change."""
    order = orders.amend_order(get_db(), ref=path.ref, data=body, user_id=current_principal().id, settings=settings())
    return created_public(order).model_dump(mode="json")


@bp.post("/orders/<ref>/cancel", responses={200: OrderCreated, 404: Problem, 409: Problem, **ERRORS})
@allow(*TAKERS)
def cancel_order(path: OrderPath, body: CancelRequest):
    """Cancel before dispatch, releasing what was reserved."""
    order = orders.cancel_order(get_db(), ref=path.ref, user_id=current_principal().id, reason=body.reason)
    return created_public(order).model_dump(mode="json")


@bp.post("/orders/<ref>/authorise", responses={200: OrderCreated, 404: Problem, 409: Problem, **ERRORS})
@allow(*TAKERS)
def authorise_order(path: OrderPath, body: AuthoriseRequest):
    """Authorise an order waiting for it (high-cost items): starts the clock if the class says so."""
    order = orders.authorise_order(
        get_db(), ref=path.ref, user_id=current_principal().id, note=body.note, settings=settings()
    )
    return created_public(order).model_dump(mode="json")
