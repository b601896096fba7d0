"""All tables. Importing this module registers every table on SQLModel.metadata."""

from equipment.models.catalogue import Depot, Item, PostcodeDistrict, StockMinimum
from equipment.models.compliance import Recall, RecallUnit
from equipment.models.fleet import Van, VanAbsence
from equipment.models.notices import Notice
from equipment.models.orders import Order, OrderEvent, OrderLine, ResponseClass
from equipment.models.people import GeocodeCacheEntry, Prescriber, ServiceUser, User
from equipment.models.planning import Outcome, Plan, PlanProblem, Route, Stop, StopOrder, Unplanned
from equipment.models.records import AuditEvent, Delay, IdempotentRequest
from equipment.models.stock import Asset, AssetEvent, StockBalance, StockMovement, Transfer

__all__ = [
    "Asset",
    "AssetEvent",
    "AuditEvent",
    "Delay",
    "Depot",
    "GeocodeCacheEntry",
    "IdempotentRequest",
    "Item",
    "Notice",
    "Order",
    "OrderEvent",
    "OrderLine",
    "Outcome",
    "Plan",
    "PlanProblem",
    "PostcodeDistrict",
    "Prescriber",
    "Recall",
    "RecallUnit",
    "ResponseClass",
    "Route",
    "ServiceUser",
    "StockBalance",
    "StockMinimum",
    "StockMovement",
    "Stop",
    "StopOrder",
    "Transfer",
    "Unplanned",
    "User",
    "Van",
    "VanAbsence",
]
