"""The web layer: the app factory wires settings, database, auth, API and pages."""

from __future__ import annotations

from typing import Any

from flask import redirect
from flask_openapi3 import Info, OpenAPI
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import config
from equipment.cli.setup import init_cli
from equipment.db import make_engine
from equipment.reports.attribution import DEFAULT_SETTING, Attribution
from equipment.schemas import Problem
from equipment.web import api, pages
from equipment.web.access import init_access, public
from equipment.web.auth import init_auth
from equipment.web.database import init_database
from equipment.web.form_checks import FormRequest
from equipment.web.health import bp as health_bp
from equipment.web.json_bodies import BoundedJSONProvider, refuse_nul_characters
from equipment.web.labels import init_labels
from equipment.web.limiter import limiter
from equipment.web.logs import init_logging
from equipment.web.navigation import init_navigation
from equipment.web.openapi import EquipmentOpenAPI
from equipment.web.pages.notices import init_sending
from equipment.web.problems import register_error_handlers, validation_problem
from equipment.web.security import init_security_headers


class DatabaseIdConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(overrides: dict[str, Any] | None = None) -> OpenAPI:
    """Build the app from config.py's settings, with `overrides` (tests) on top."""
    settings = config.load()
    settings.update(overrides or {})
    app = EquipmentOpenAPI(
        __name__,
        info=Info(title="Community equipment service", version="1.0.0"),
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
        doc_prefix="/api/v1",
        doc_url="/openapi.json",
        responses={400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem},
        validation_error_status=422,
        validation_error_callback=validation_problem,
    )
    app.json = BoundedJSONProvider(app)
    app.request_class = FormRequest
    app.config.update(settings)
    app.config["ATTRIBUTION"] = Attribution.from_setting(settings.get("NOT_ATTRIBUTABLE_CAUSES", DEFAULT_SETTING))
    # An id beyond the database's integer range can match nothing: let such URLs be plain 404s.
    app.url_map.converters["int"] = DatabaseIdConverter
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        RATELIMIT_STORAGE_URI=settings["REDIS_URL"] or "memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        JSON_SORT_KEYS=False,
    )
    init_logging()
    if settings.get("TRUSTED_PROXIES"):
        n = settings["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    init_database(app, settings.get("ENGINE") or make_engine(settings["DATABASE_URL"]))
    limiter.init_app(app)
    init_access(app)
    app.before_request(refuse_nul_characters)  # after the access check: a stranger gets 401 first
    init_auth(app)
    init_security_headers(app)
    register_error_handlers(app)
    init_navigation(app)
    init_labels(app)
    _register_api(app)
    _register_pages(app)
    init_sending(app)
    init_cli(app)
    return app


def _register_api(app: OpenAPI) -> None:
    app.register_api(health_bp)
    for bp in api.blueprints():
        app.register_api(bp)

    @app.get("/api/v1/docs", doc_ui=False)
    @public
    def api_docs():
        """The page to read and try the API (Swagger UI)."""
        return redirect("/api/v1/swagger")


def _register_pages(app: OpenAPI) -> None:
    for bp in pages.blueprints():
        app.register_blueprint(bp)
