"""Planning a service day: orders and vans become a routing problem, plan runs solve it off the
request thread, the solution is stored, reviewed, published and adjusted (move, lock,
re-optimise, insert an urgent job)."""

from equipment.planning.plans import (
    PlanView,
    RouteView,
    StopChange,
    StopView,
    create_plan,
    day_routes,
    fail_if_stale,
    get_plan,
    insert_urgent,
    list_plans,
    load_list,
    mark_failed,
    mark_loaded,
    move_stop,
    order_lines,
    plan_day_now,
    plan_view,
    publish_plan,
    reoptimise,
    retry_plan,
    run_plan,
    set_route_lock,
)

__all__ = ["PlanView", "RouteView", "StopChange", "StopView", "create_plan", "day_routes", "fail_if_stale", "get_plan", "insert_urgent", "list_plans", "load_list", "mark_failed", "mark_loaded", "move_stop", "order_lines", "plan_day_now", "plan_view", "publish_plan", "reoptimise", "retry_plan", "run_plan", "set_route_lock"]
