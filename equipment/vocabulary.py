"""The fixed words of the domain: roles, states, kinds, causes."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    CLERK = "clerk"
    DRIVER = "driver"
    OFFICER = "officer"
    PRESCRIBER = "prescriber"


class StockState(StrEnum):
    """Where a unit is in its life. Bulk balances use the same states."""

    AVAILABLE = "available"
    ALLOCATED = "allocated"
    LOADED = "loaded"
    ON_LOAN = "on_loan"
    IN_TRANSIT = "in_transit"
    QUARANTINE = "quarantine"
    DECONTAMINATED = "decontaminated"
    REPAIR = "repair"
    SCRAPPED = "scrapped"
    LOST = "lost"


class InspectionRegime(StrEnum):
    NONE = "none"
    LOLER_6M = "loler_6m"
    ELECTRICAL_12M = "electrical_12m"


class OrderKind(StrEnum):
    DELIVERY = "delivery"
    COLLECTION = "collection"
    INSPECTION = "inspection"


class OrderStatus(StrEnum):
    AWAITING_AUTHORISATION = "awaiting_authorisation"
    BACK_ORDER = "back_order"
    READY = "ready"
    PLANNED = "planned"
    LOADED = "loaded"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


# An order is open until it is completed or cancelled: it still needs something doing.
OPEN_ORDER_STATUSES = tuple(s for s in OrderStatus if s not in (OrderStatus.COMPLETED, OrderStatus.CANCELLED))


class PlanStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class OutcomeStatus(StrEnum):
    DELIVERED = "delivered"
    COLLECTED = "collected"
    FAILED = "failed"


class DelayKind(StrEnum):
    PREDICTED = "predicted"
    ACTUAL = "actual"


class DelayCause(StrEnum):
    STOCK_UNAVAILABLE = "stock_unavailable"
    NO_VAN_CAPACITY = "no_van_capacity"
    NO_TRAINED_CREW = "no_trained_crew"
    NOT_AT_HOME = "not_at_home"
    ACCESS_PROBLEM = "access_problem"
    WRONG_ADDRESS = "wrong_address"
    VEHICLE_BREAKDOWN = "vehicle_breakdown"
    EQUIPMENT_FAULT = "equipment_fault"
    LATER_DATE_REQUESTED = "later_date_requested"
    OUTSIDE_SLOT = "outside_slot"
    OTHER = "other"


# Which causes are not the provider's fault is configuration: equipment.reports.attribution.

CAUSE_LABELS = {
    DelayCause.STOCK_UNAVAILABLE: "Stock unavailable",
    DelayCause.NO_VAN_CAPACITY: "No van capacity",
    DelayCause.NO_TRAINED_CREW: "No trained crew",
    DelayCause.NOT_AT_HOME: "Person not at home",
    DelayCause.ACCESS_PROBLEM: "Access problem",
    DelayCause.WRONG_ADDRESS: "Wrong address",
    DelayCause.VEHICLE_BREAKDOWN: "Vehicle breakdown",
    DelayCause.EQUIPMENT_FAULT: "Equipment fault",
    DelayCause.LATER_DATE_REQUESTED: "Later date requested by the person",
    DelayCause.OUTSIDE_SLOT: "Outside every slot",
    DelayCause.OTHER: "Other",
}


class NoticeKind(StrEnum):
    WINDOW = "window"
    ON_THE_WAY = "on_the_way"
    FAILED_VISIT = "failed_visit"
    RECALL = "recall"


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"


class NoticeStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # handed to the provider; its answer is not stored yet
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
