"""Reports: delays recorded and listed, KPIs against the agreed times, the monthly pack and the
officers' dashboard.

periods: local days and weeks; scopes: which orders count (class, depot); counting: how an order
counts, in SQL; indicators: the KPIs per class; breakdowns: by depot, district, week and fault;
attribution: which delay causes are the provider's (configuration); causes: why late orders were
late; late_lists: late and at-risk orders; delays: the delay log; timeline: one order's history; monthly: the contract's monthly report; officers_dashboard: the
dashboard in one go; delay_recorder: recording a delay; schemas: the API's bodies.
"""

from equipment.reports.attribution import DEFAULT_ATTRIBUTION, Attribution, CauseRule
from equipment.reports.breakdowns import (
    AttributableRow,
    Breakdown,
    TrendPoint,
    by_attributable,
    by_depot,
    by_district,
    weekly_trend,
)
from equipment.reports.causes import CauseRow, by_cause
from equipment.reports.counting import Figures
from equipment.reports.delays import DelayEntry, DelayFilter, delay_log
from equipment.reports.indicators import KpiRow, kpis, totals
from equipment.reports.late_lists import AtRisk, LateOrder, at_risk, late_orders
from equipment.reports.monthly import MonthlyReport, inspections_overdue, monthly_report, on_loan, recycling
from equipment.reports.officers_dashboard import Dashboard, dashboard
from equipment.reports.periods import Period, month_period, period, weeks_of
from equipment.reports.scopes import ALL, CLASS_ORDER, Scope, depots, response_classes, scope
from equipment.reports.timeline import OrderTimeline, order_timeline

__all__ = [
    "ALL",
    "DEFAULT_ATTRIBUTION",
    "Attribution",
    "CauseRule",
    "CLASS_ORDER",
    "AtRisk",
    "AttributableRow",
    "Breakdown",
    "CauseRow",
    "Dashboard",
    "DelayEntry",
    "DelayFilter",
    "Figures",
    "KpiRow",
    "LateOrder",
    "MonthlyReport",
    "OrderTimeline",
    "Period",
    "Scope",
    "TrendPoint",
    "at_risk",
    "by_attributable",
    "by_cause",
    "by_depot",
    "by_district",
    "dashboard",
    "delay_log",
    "depots",
    "inspections_overdue",
    "kpis",
    "late_orders",
    "month_period",
    "monthly_report",
    "on_loan",
    "order_timeline",
    "period",
    "recycling",
    "response_classes",
    "scope",
    "totals",
    "weekly_trend",
    "weeks_of",
]
