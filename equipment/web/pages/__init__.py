"""The HTML pages: one blueprint per area of work."""

from flask import Blueprint

from equipment.web.pages import admin as admin_pages
from equipment.web.pages import collection_request as collection_pages
from equipment.web.pages import compliance as compliance_pages
from equipment.web.pages import driver as driver_pages
from equipment.web.pages import home
from equipment.web.pages import notices as notices_pages
from equipment.web.pages import orders as orders_pages
from equipment.web.pages import planning as planning_pages
from equipment.web.pages import prescriber as prescriber_pages
from equipment.web.pages import reports as reports_pages
from equipment.web.pages import stock as stock_pages


def blueprints() -> list[Blueprint]:
    return [
        admin_pages.bp,
        home.bp,
        reports_pages.bp,
        stock_pages.bp,
        orders_pages.bp,
        planning_pages.bp,
        driver_pages.bp,
        notices_pages.bp,
        prescriber_pages.bp,
        collection_pages.bp,
        compliance_pages.bp,
    ]
