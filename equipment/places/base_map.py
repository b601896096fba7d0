"""What a map shows without a tile server: the county's outline and its towns, from files the
project ships (seed_data/suffolk_outline.geojson, a simplified outline drawn from the public
coordinates of places along the coast and the border rivers; seed_data/towns.csv)."""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path
from typing import Any

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"
OUTLINE_FILE = "suffolk_outline.geojson"
TOWNS_FILE = "towns.csv"


@cache
def base_map(data_dir: Path = SEED_DIR) -> dict[str, Any]:
    """{"outline": GeoJSON, "towns": [{name, lat, lon}]}; either is empty when its file is absent."""
    outline_path, towns_path = data_dir / OUTLINE_FILE, data_dir / TOWNS_FILE
    outline = json.loads(outline_path.read_text(encoding="utf-8")) if outline_path.exists() else None
    towns = []
    if towns_path.exists():
        with open(towns_path, newline="", encoding="utf-8") as handle:
            towns = [
                {"name": r["name"], "lat": float(r["lat"]), "lon": float(r["lon"])} for r in csv.DictReader(handle)
            ]
    return {"outline": outline, "towns": towns}
