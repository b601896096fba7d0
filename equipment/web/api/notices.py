"""Messages to service users (the outbox), for coordinators."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from equipment import notices
from equipment.notices.schemas import NoticeList, NoticePublic, NoticeQuery
from equipment.schemas import Problem
from equipment.vocabulary import Role
from equipment.web.access import allow
from equipment.web.database import get_db

bp = APIBlueprint("api_notices", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="notices")])


@bp.get("/notices", responses={200: NoticeList, 401: Problem, 403: Problem, 422: Problem})
@allow(Role.COORDINATOR, Role.ADMIN)
def list_notices(query: NoticeQuery):
    """Messages to service users, newest first: order, channel, kind and delivery status."""
    rows, total = notices.list_notices(
        get_db(), status=query.status, kind=query.kind, channel=query.channel, limit=query.limit, offset=query.offset
    )
    items = [
        NoticePublic(
            id=row.notice.id,
            order_ref=row.order_ref,
            channel=row.notice.channel,
            kind=row.notice.kind,
            status=row.notice.status,
            created_at=row.notice.created_at,
            sent_at=row.notice.sent_at,
            error=row.notice.error,
        )
        for row in rows
    ]
    return NoticeList(items=items, total=total).model_dump(mode="json")
