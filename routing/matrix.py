"""Travel time and distance matrices: great-circle with a road factor, or OSRM's table service."""

from __future__ import annotations

import json
import urllib.request

import numpy as np

from routing.errors import ProblemError

EARTH_RADIUS_M = 6_371_008.8
DEFAULT_SPEED_KMH = 48.0  # average door-to-door road speed across a rural county


def build_matrices(
    locations: list[tuple[float, float]],
    *,
    road_factor: float = 1.3,
    speed_kmh: float = DEFAULT_SPEED_KMH,
    osrm_url: str | None = None,
    timeout: float = 30.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(durations in s, distances in m) as int64 matrices for [(lon, lat), ...]."""
    if osrm_url:
        return osrm_table(locations, osrm_url, timeout=timeout)
    if len(locations) == 0:
        empty = np.zeros((0, 0), dtype=np.int64)
        return empty, empty.copy()
    pts = np.radians(np.asarray(locations, dtype=np.float64))
    lon, lat = pts[:, 0], pts[:, 1]
    # Great-circle distance from the chord between unit vectors: exact, and cheaper
    # than the haversine's trigonometry on every pair.
    cos_lat = np.cos(lat)
    xyz = (cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat))
    chord2 = np.zeros((len(pts), len(pts)))
    for c in xyz:
        diff = c[:, None] - c[None, :]
        diff *= diff
        chord2 += diff
    np.sqrt(chord2, out=chord2)
    chord2 *= 0.5
    np.clip(chord2, 0.0, 1.0, out=chord2)
    metres = np.arcsin(chord2, out=chord2)
    metres *= 2.0 * EARTH_RADIUS_M * road_factor
    seconds = np.rint(metres * (3.6 / speed_kmh)).astype(np.int64)
    return seconds, np.rint(metres).astype(np.int64)


def osrm_table(
    locations: list[tuple[float, float]], osrm_url: str, *, timeout: float = 30.0
) -> tuple[np.ndarray, np.ndarray]:
    """Ask an OSRM server's table service for durations and distances."""
    coords = ";".join(f"{lon:.6f},{lat:.6f}" for lon, lat in locations)
    url = f"{osrm_url.rstrip('/')}/table/v1/driving/{coords}?annotations=duration,distance"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            body = json.loads(resp.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise ProblemError(f"OSRM table request to {osrm_url} failed: {exc}") from None
    if body.get("code") != "Ok":
        raise ProblemError(f"OSRM table request failed: {body.get('code')} {body.get('message', '')}")
    dur = np.array(body["durations"], dtype=np.float64)
    dist = np.array(body["distances"], dtype=np.float64)
    if np.isnan(dur).any() or np.isnan(dist).any():
        raise ProblemError("OSRM could not route between some locations")
    return np.rint(dur).astype(np.int64), np.rint(dist).astype(np.int64)
