"""GET /api/v1/delays (the delay log) and GET /api/v1/kpis (per response class)."""

from flask_openapi3 import APIBlueprint, Tag

from equipment import reports
from equipment.reports.schemas import DelayList, DelayPublic, DelayQuery, KpiList, KpiPublic, PeriodQuery
from equipment.schemas import Problem
from equipment.vocabulary import Role
from equipment.web.access import allow
from equipment.web.database import get_db
from equipment.web.local_time import service_tz

bp = APIBlueprint("api_reports", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="reports")])
REPORT_READERS = (Role.ADMIN, Role.COORDINATOR, Role.OFFICER)


def _period(query: PeriodQuery) -> reports.Period:
    return reports.period(query.from_, query.to, tz=service_tz())


@bp.get("/kpis", responses={200: KpiList, 401: Problem, 403: Problem, 422: Problem})
@allow(*REPORT_READERS)
def get_kpis(query: PeriodQuery):
    """Per response class: orders due in the period, on time, late, excused, % on time and target."""
    rows = reports.kpis(get_db(), _period(query))
    items = [KpiPublic(**row.contract()) for row in rows]
    return KpiList(items=items, total=len(items)).model_dump(mode="json")


@bp.get("/delays", responses={200: DelayList, 401: Problem, 403: Problem, 404: Problem, 422: Problem})
@allow(*REPORT_READERS)
def get_delays(query: DelayQuery):
    """The delay log (predicted and actual), newest first, filtered by class, depot and cause."""
    filters = reports.DelayFilter(response_class=query.class_, depot=query.depot, cause=query.cause, kind=query.kind)
    entries, total = reports.delay_log(get_db(), _period(query), filters, limit=query.limit, offset=query.offset)
    items = [
        DelayPublic(
            id=e.id,
            order_ref=e.order_ref,
            kind=e.kind,
            cause=e.cause,
            cause_label=e.cause_label,
            attributable=e.attributable,
            response_class=e.response_class,
            depot=e.depot,
            district=e.district,
            due_at=e.due_at,
            expected_at=e.expected_at,
            recorded_at=e.recorded_at,
        )
        for e in entries
    ]
    return DelayList(items=items, total=total).model_dump(mode="json")
