"""The officers' pages' blueprint and who may read them."""

from flask import Blueprint

from equipment.vocabulary import Role

bp = Blueprint("reports_pages", __name__, url_prefix="/reports")
REPORT_READERS = (Role.ADMIN, Role.COORDINATOR, Role.OFFICER)
