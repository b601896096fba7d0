"""Planning a service day: orders and vans become a routing problem (problem), plan runs solve it
off the request thread (solving, runs), the solution is stored (store), read (views), published,
replaced while nothing has happened on it, and loaded (publish), and adjusted: move, lock,
re-optimise (adjust), insert an urgent job (urgent), all without reordering published routes
(keep_order)."""

from equipment.planning.adjust import move_stop, queue_reoptimise, reoptimise, set_route_lock
from equipment.planning.publish import LoadLine, load_list, mark_loaded, publish_plan, replace_plan, withdraw_plan
from equipment.planning.solving import (
    active_plan,
    create_plan,
    depot_set,
    fail_if_stale,
    mark_failed,
    plan_day_now,
    plan_problem,
    retry_plan,
    run_plan,
)
from equipment.planning.urgent import Insertion, RoomChoice, StopChange, decline_urgent, insert_urgent
from equipment.planning.views import (
    PlanView,
    RouteView,
    StopView,
    day_routes,
    get_plan,
    list_plans,
    order_lines,
    plan_view,
    route_for_driver,
)
from equipment.planning.waiting import urgent_waiting

__all__ = [
    "urgent_waiting",
    "Insertion",
    "LoadLine",
    "PlanView",
    "RouteView",
    "StopChange",
    "StopView",
    "active_plan",
    "create_plan",
    "day_routes",
    "decline_urgent",
    "depot_set",
    "fail_if_stale",
    "get_plan",
    "insert_urgent",
    "list_plans",
    "load_list",
    "mark_failed",
    "mark_loaded",
    "move_stop",
    "order_lines",
    "plan_day_now",
    "plan_problem",
    "plan_view",
    "publish_plan",
    "queue_reoptimise",
    "replace_plan",
    "reoptimise",
    "retry_plan",
    "RoomChoice",
    "route_for_driver",
    "run_plan",
    "set_route_lock",
    "withdraw_plan",
]
