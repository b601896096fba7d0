"""The HTML pages: one blueprint per area of work."""

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    from equipment.web.pages import home
    from equipment.web.pages import reports as reports_pages

    return [home.bp, reports_pages.bp]
