"""POST /api/v1/auth/token: exchange a username and password for a bearer token."""

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag

from equipment.people import users
from equipment.schemas import Problem, TokenPublic, TokenRequest
from equipment.web.access import public
from equipment.web.database import get_db
from equipment.web.limiter import limiter
from equipment.web.problems import problem

bp = APIBlueprint("api_auth", __name__, url_prefix="/api/v1/auth", abp_tags=[Tag(name="auth")])


@bp.post("/token", responses={200: TokenPublic, 401: Problem, 422: Problem})
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def create_token(body: TokenRequest):
    """A bearer token for the API; send it as `Authorization: Bearer TOKEN`."""
    user = users.authenticate(get_db(), body.username, body.password)
    if user is None:
        return problem(401, "Unauthorized", "Wrong username or password.")
    token, expires_at = users.issue_token(
        user, secret_key=current_app.config["SECRET_KEY"], hours=current_app.config["TOKEN_HOURS"]
    )
    return TokenPublic(token=token, role=user.role, expires_at=expires_at).model_dump(mode="json")
