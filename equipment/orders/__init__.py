"""Orders: intake from prescribers and coordinators (intake), due times from the response-class
clocks (clocks), which depot supplies an order and reserving its stock there (allocation),
checking its lines (lines), back orders tried again and their predicted delays
(back_order_review), and reading orders (queries).

Other areas use the services re-exported here: `from equipment import orders`, `orders.create_order(...)`.
"""

from equipment.orders.back_order_review import predict_back_order_delays, review_back_orders
from equipment.orders.intake import OrderSettings, amend_order, authorise_order, cancel_order, create_order

__all__ = [
    "OrderSettings",
    "amend_order",
    "authorise_order",
    "cancel_order",
    "create_order",
    "predict_back_order_delays",
    "review_back_orders",
]
