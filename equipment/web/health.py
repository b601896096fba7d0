"""GET /healthz: is the service up and does the database answer?"""

from flask import jsonify
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import text

from equipment.schemas import Health
from equipment.web.access import public
from equipment.web.database import get_db

bp = APIBlueprint("health", __name__, abp_tags=[Tag(name="health")])


@bp.get("/healthz", responses={200: Health, 503: Health})
@public
def healthz():
    """200 when the database answers, 503 otherwise."""
    try:
        db = get_db()
        db.exec(text("SELECT 1"))
        db.rollback()
    except Exception:
        return jsonify(status="degraded", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
