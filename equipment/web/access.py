"""Who may use which endpoint: one declaration per view, enforced before the view runs.

Every view carries `@allow(role, ...)` or `@public`. A route without a declaration is refused
(and a test walks every route to make sure none is missing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, g, redirect, render_template, request, url_for
from flask_login import UserMixin, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from equipment.people import users
from equipment.vocabulary import Role
from equipment.web.database import get_db
from equipment.web.problems import problem

F = TypeVar("F", bound=Callable[..., Any])
ACCESS_ATTRIBUTE = "_access_rule"
PUBLIC = "public"
ALL_ROLES = frozenset(Role)
STAFF = frozenset({Role.ADMIN, Role.COORDINATOR, Role.CLERK})
# Endpoints added by libraries: the API docs, their assets, and static files.
LIBRARY_PUBLIC_BLUEPRINTS = frozenset({"openapi", "swagger"})

csrf = CSRFProtect()


@dataclass(frozen=True)
class Principal(UserMixin):
    """The signed-in user as the web layer sees it (never the table row)."""

    id: int
    username: str
    role: str
    full_name: str
    van_id: int | None
    auth_version: int

    def get_id(self) -> str:
        # The version makes old sessions invalid when a password changes or a user is disabled.
        return f"{self.id}:{self.auth_version}"

    @classmethod
    def of(cls, user: Any) -> Principal:
        return cls(user.id, user.username, user.role, user.full_name, user.van_id, user.auth_version)


def allow(*roles: str) -> Callable[[F], F]:
    """Let users with one of `roles` use the decorated view."""
    unknown = set(roles) - set(Role)
    if unknown or not roles:
        raise ValueError(f"unknown roles {unknown}")

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTRIBUTE, frozenset(roles))
        return view

    return decorate


def public(view: F) -> F:
    """Let anyone use the decorated view, signed in or not."""
    setattr(view, ACCESS_ATTRIBUTE, PUBLIC)
    return view


def rule_for(app: Flask, endpoint: str) -> frozenset[str] | str | None:
    if endpoint == "static" or endpoint.split(".")[0] in LIBRARY_PUBLIC_BLUEPRINTS:
        return PUBLIC
    view = app.view_functions.get(endpoint)
    while view is not None:
        rule = getattr(view, ACCESS_ATTRIBUTE, None)
        if rule is not None:
            return rule
        view = getattr(view, "__wrapped__", None)
    return None


def current_principal() -> Principal | None:
    return g.get("principal")


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def _principal_from_bearer() -> Principal | None | bool:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    user = users.user_from_token(get_db(), token.strip(), secret_key=current_app.config["SECRET_KEY"])
    return Principal.of(user) if user else False


def enforce_access() -> Any:
    """before_request: authenticate, check the endpoint's rule, check CSRF for cookie sessions."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404/405 follow
    rule = rule_for(current_app, endpoint)
    principal: Principal | None = None
    via_cookie = False
    if is_api_request():
        bearer = _principal_from_bearer()
        if bearer is False:
            return problem(401, "Unauthorized", "The bearer token is invalid or has expired.")
        principal = bearer
    if principal is None and current_user.is_authenticated:
        principal = current_user._get_current_object()
        via_cookie = True
    g.principal = principal
    refusal = _refusal(rule, principal, endpoint)
    if refusal is not None:
        return refusal
    if via_cookie and request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    if is_api_request() and request.is_json and request.get_data() and request.get_json(silent=True) is None:
        return problem(400, "Bad request", "The request body is not valid JSON.")
    return None


def _refusal(rule: frozenset[str] | str | None, principal: Principal | None, endpoint: str) -> Any:
    """The answer refusing this request, or None when the rule lets it through."""
    if rule == PUBLIC:
        return None
    if rule is None:
        return problem(403, "Forbidden", f"No access rule is declared for {endpoint}.")
    if principal is None:
        if is_api_request():
            return problem(401, "Unauthorized", "Sign in: send Authorization: Bearer TOKEN.")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if principal.role not in rule:
        return (
            problem(403, "Forbidden", f"The {principal.role} role may not use this.")
            if is_api_request()
            else (_forbidden_page())
        )
    return None


def _forbidden_page() -> Any:

    message = "Your role does not give access to this page."
    return render_template("error.html", title="Not allowed", message=message), 403


def init_access(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    app.before_request(enforce_access)

    @app.errorhandler(CSRFError)
    def _csrf_failed(exc: CSRFError):
        if is_api_request():
            return problem(400, "Bad request", exc.description)

        message = "The form had expired. Please go back, reload the page and try again."
        return render_template("error.html", title="Please try again", message=message), 400
