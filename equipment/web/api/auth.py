"""POST /api/v1/auth/token: exchange a username and password for a bearer token;
DELETE /api/v1/auth/token: end it (and every other session and token of that user)."""

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag

from equipment.people import users
from equipment.schemas import Problem, TokenPublic, TokenRequest
from equipment.vocabulary import Role
from equipment.web import sign_in_limits
from equipment.web.access import allow, current_principal, public
from equipment.web.database import get_db
from equipment.web.problems import problem

bp = APIBlueprint("api_auth", __name__, url_prefix="/api/v1/auth", abp_tags=[Tag(name="auth")])


@bp.post("/token", responses={200: TokenPublic, 401: Problem, 422: Problem, 429: Problem})
@public
def create_token(body: TokenRequest):
    """A bearer token for the API; send it as `Authorization: Bearer TOKEN`."""
    if sign_in_limits.refused_before_checking(body.username):
        return _too_many()
    user = users.authenticate(get_db(), body.username, body.password)
    if user is None:
        if sign_in_limits.refused_after_failure(body.username):
            return _too_many()
        return problem(401, "Unauthorized", "Wrong username or password.")
    token, expires_at = users.issue_token(
        user, secret_key=current_app.config["SECRET_KEY"], hours=current_app.config["TOKEN_HOURS"]
    )
    return TokenPublic(token=token, role=user.role, expires_at=expires_at).model_dump(mode="json")


@bp.delete("/token", responses={204: None, 401: Problem})
@allow(*Role)
def revoke_token():
    """Sign out everywhere: this token, every other token and every web session of the user end now."""
    users.end_sessions(get_db(), user_id=current_principal().id)
    return "", 204


def _too_many():
    answer = problem(429, "Too many requests", "Too many failed sign-in attempts. Wait a minute, then try again.")
    answer.headers["Retry-After"] = "60"
    return answer
