"""The HTML pages: one blueprint per area of work."""

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    from equipment.web.pages import home

    return [home.bp]
