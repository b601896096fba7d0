"""Orders: intake from prescribers, due times from the response-class clocks, authorisation,
amendment, cancellation, choosing the depot and reserving stock, reading orders."""

from equipment.orders.intake import (
    OrderSettings,
    amend_order,
    authorise_order,
    cancel_order,
    create_order,
    predict_back_order_delays,
    review_back_orders,
)

__all__ = ["OrderSettings", "amend_order", "authorise_order", "cancel_order", "create_order", "predict_back_order_delays", "review_back_orders"]
