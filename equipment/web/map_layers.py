"""The background of the maps when no tile server is configured: the county's outline and its
towns (equipment.places.base_map), added to a map's data."""

from __future__ import annotations

from typing import Any

from flask import current_app

from equipment.places.base_map import base_map


def tile_settings() -> dict[str, Any]:
    """Tiles when MAP_TILE_URL is set; otherwise the shipped outline and towns to draw instead."""
    tiles = current_app.config.get("MAP_TILE_URL") or ""
    settings: dict[str, Any] = {"tiles": tiles, "attribution": current_app.config.get("MAP_TILE_ATTRIBUTION") or ""}
    if not tiles:
        settings.update(base_map())
    return settings
