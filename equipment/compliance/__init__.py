"""Compliance in the home: inspections of equipment on loan become visits ahead of their due
date (schedule), the driver's results at those visits and what a fail sets going (visit_results),
manufacturers' field safety notices acted on unit by unit (recalls, recall_views), the visit
orders the service makes itself (visits), and the figures commissioners see (figures)."""

from equipment.compliance.figures import ComplianceFigures, compliance_figures, figures_csv
from equipment.compliance.recall_units import act_on_recall_unit, close_recall
from equipment.compliance.recall_views import list_recalls, recall_detail, recalls_at_visit
from equipment.compliance.recalls import record_recall
from equipment.compliance.schedule import Scheduled, schedule_before_planning, schedule_inspection_visits
from equipment.compliance.settings import ComplianceSettings
from equipment.compliance.visit_results import VisitReport, after_visit, visit_report

__all__ = [
    "ComplianceFigures",
    "ComplianceSettings",
    "Scheduled",
    "VisitReport",
    "act_on_recall_unit",
    "after_visit",
    "close_recall",
    "compliance_figures",
    "figures_csv",
    "list_recalls",
    "recall_detail",
    "recalls_at_visit",
    "record_recall",
    "schedule_before_planning",
    "schedule_inspection_visits",
    "visit_report",
]
