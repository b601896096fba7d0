"""GET /healthz: is the service up and does the database answer?"""

from flask import jsonify
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import text

from equipment.schemas import Health
from equipment.web.access import public
from equipment.web.database import get_engine

bp = APIBlueprint("health", __name__, abp_tags=[Tag(name="health")])


@bp.get("/healthz", responses={200: Health, 503: Health})
@public
def healthz():
    """200 when the database answers, 503 otherwise."""
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return jsonify(status="degraded", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
