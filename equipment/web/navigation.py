"""The main menu: each role sees the pages it can use."""

from flask import Flask, current_app

from equipment.vocabulary import Role

A, CO, CL, D, O, P = Role.ADMIN, Role.COORDINATOR, Role.CLERK, Role.DRIVER, Role.OFFICER, Role.PRESCRIBER

# (label, endpoint, roles); entries whose page is not built yet are left out at render time.
MENU = [
    ("New order", "orders_pages.new_order", {A, CO}),
    ("Orders", "orders_pages.order_list", {A, CO}),
    ("Plan the day", "planning_pages.plans", {A, CO}),
    ("Messages", "notices_pages.outbox", {A, CO}),
    ("Stock", "stock_pages.stock_overview", {A, CO, CL}),
    ("Receive", "stock_pages.receive", {A, CL}),
    ("Returns", "stock_pages.returns_queue", {A, CL}),
    ("Inspections", "stock_pages.inspections", {A, CL, CO}),
    ("Load lists", "planning_pages.load_lists", {A, CL}),
    ("Recalls", "compliance_pages.recalls", {A, CL, CO, O}),
    ("My route", "driver_pages.today", {D}),
    ("Performance", "reports_pages.dashboard", {A, CO, O}),
    ("Contract report", "reports_pages.monthly_report", {A, O}),
    ("My orders", "prescriber_pages.my_orders", {P}),
    ("Order equipment", "prescriber_pages.new_order", {P}),
    ("Users", "admin_pages.users", {A}),
    ("Depots", "admin_pages.depots", {A}),
    ("Vans", "admin_pages.vans", {A}),
    ("Catalogue", "admin_pages.catalogue_items", {A}),
]


def init_navigation(app: Flask) -> None:
    @app.context_processor
    def _menu() -> dict:
        def nav_links() -> list[tuple[str, str, set[str]]]:
            return [entry for entry in MENU if entry[1] in current_app.view_functions]

        return {"nav_links": nav_links}
