"""Security headers on every answer; `Cache-Control: no-store` on every answer that may hold
personal data."""

from urllib.parse import urlsplit

from flask import Flask, Response, g, request

# Files that are the same for everyone (stylesheets, scripts, map library) may be cached.
STATIC_ENDPOINTS = frozenset({"static", "openapi.static", "swagger.static", "planning_pages.leaflet_asset"})
# The answer carries a new bearer token though the request was not yet signed in.
TOKEN_ENDPOINTS = frozenset({"api_auth.create_token"})


def holds_personal_data() -> bool:
    """Any answer to a signed-in user may name someone (a route, an order, a look-up), and the
    rule that is easy to check is the honest one: every authenticated answer, and a new token."""
    endpoint = request.endpoint or ""
    if endpoint in STATIC_ENDPOINTS:
        return False
    return g.get("principal") is not None or endpoint in TOKEN_ENDPOINTS


def init_security_headers(app: Flask) -> None:
    tile_url = app.config.get("MAP_TILE_URL") or ""
    tile_host = ""
    if tile_url:
        parts = urlsplit(tile_url.replace("{s}", "a"))
        tile_host = f" {parts.scheme}://{parts.netloc.replace('a.', '*.', 1)}"
    policy = (
        "default-src 'self'; img-src 'self' data:" + tile_host + "; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    )

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", policy)
        if holds_personal_data():
            # Neither the browser nor a proxy keeps a copy (a shared PC's back button, a cache).
            response.headers["Cache-Control"] = "no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
