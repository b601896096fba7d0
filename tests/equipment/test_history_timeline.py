"""The demo history's asset timelines read in time order: opening stock is received before the
history lends any of it (issue #16, item 6)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from equipment.demo.history import generate_history
from equipment.models import Asset, AssetEvent, StockMovement
from equipment.stock.asset_queries import asset_view

NOW = datetime(2026, 2, 20, 9, 30, tzinfo=UTC)


def test_opening_stock_is_received_before_the_history_uses_it(db, seeded):
    generate_history(db, months=1, now=NOW, items_per_working_day=60)
    received = dict(db.execute(select(AssetEvent.asset_id, AssetEvent.at).where(AssetEvent.event == "received")).all())
    first_other = dict(
        db.execute(
            select(AssetEvent.asset_id, func.min(AssetEvent.at))
            .where(AssetEvent.event != "received")
            .group_by(AssetEvent.asset_id)
        ).all()
    )
    assert first_other, "the history lent nothing"
    assert all(received[asset_id] < at for asset_id, at in first_other.items())
    latest_opening = db.execute(
        select(func.max(StockMovement.at)).where(StockMovement.reason == "opening stock")
    ).scalar_one()
    assert latest_opening < min(first_other.values())
    lent = db.get(Asset, next(iter(first_other)))
    timeline = asset_view(db, lent.serial).events
    assert timeline[0]["event"] == "received"
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)
