"""Settings, read from environment variables only. Every setting has a working default."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))


def normalise_database_url(url: str) -> str:
    """Accept URLs as people write them: postgres:// and postgresql:// mean psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept under instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load() -> dict:
    """All settings as a dict, for create_app."""
    return {
        "DATABASE_URL": normalise_database_url(
            os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'equipment.db'}")
        ),
        "SECRET_KEY": _secret_key(),
        "TIMEZONE": os.environ.get("TIMEZONE", "Europe/London"),
        "GEOCODER": os.environ.get("GEOCODER", "offline"),
        "GEOCODER_URL": os.environ.get("GEOCODER_URL", ""),
        "GEOCODER_TIMEOUT": float(os.environ.get("GEOCODER_TIMEOUT", "3")),
        "GEOCODER_USER_AGENT": os.environ.get("GEOCODER_USER_AGENT", "community-equipment-service"),
        "MAP_TILE_URL": os.environ.get("MAP_TILE_URL", ""),
        "MAP_TILE_ATTRIBUTION": os.environ.get("MAP_TILE_ATTRIBUTION", ""),
        "OSRM_URL": os.environ.get("OSRM_URL", ""),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "TOKEN_HOURS": float(os.environ.get("TOKEN_HOURS", "12")),
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", False),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        # How many proxies in front of the app set X-Forwarded-For (0: none, the address is the peer's).
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        # GOV.UK Notify: without a key, messages to service users wait in the outbox to be printed.
        "NOTIFY_API_KEY": os.environ.get("NOTIFY_API_KEY", ""),
        "NOTIFY_BASE_URL": os.environ.get("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk"),
        "NOTIFY_SMS_TEMPLATE": os.environ.get("NOTIFY_SMS_TEMPLATE", ""),
        "NOTIFY_EMAIL_TEMPLATE": os.environ.get("NOTIFY_EMAIL_TEMPLATE", ""),
        "NOTIFY_LETTER_TEMPLATE": os.environ.get("NOTIFY_LETTER_TEMPLATE", ""),
        "PLAN_SECONDS": float(os.environ.get("PLAN_SECONDS", "30")),
        # Searches a plan runs at once, one per core, the best kept (capped at the cores; 1
        # leaves a core to the web pages while a plan runs on the same machine).
        "ROUTER_THREADS": int(os.environ.get("ROUTER_THREADS", "2")),
        # An order overdue before the service day: due at its start ("start") or no deadline ("none").
        "PLAN_OVERDUE_DEADLINE": os.environ.get("PLAN_OVERDUE_DEADLINE", "start"),
        # Compliance in the home: how far ahead an inspection due becomes a visit, and the
        # response classes (clocks) of inspection visits and of the swap after a failed one.
        "INSPECTION_LEAD_DAYS": int(os.environ.get("INSPECTION_LEAD_DAYS", "21")),
        "INSPECTION_RESPONSE_CLASS": os.environ.get("INSPECTION_RESPONSE_CLASS", "inspection"),
        "SWAP_RESPONSE_CLASS": os.environ.get("SWAP_RESPONSE_CLASS", "swap"),
        "SWAP_COLLECTION_CLASS": os.environ.get("SWAP_COLLECTION_CLASS", "swap_collection"),
        # Delay causes the provider does not answer for (not_at_home: only for a visit inside the agreed slot).
        "NOT_ATTRIBUTABLE_CAUSES": os.environ.get(
            "NOT_ATTRIBUTABLE_CAUSES", "later_date_requested,not_at_home,wrong_address"
        ),
        # The largest real request (an order of many lines, a count of 2,000 serials) is ~100 kB.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_REQUEST_BYTES", str(1024 * 1024))),
    }
