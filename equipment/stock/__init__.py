"""Stock: the ledger of every depot's units, goods received, counts, transfers, returns
through quarantine, decontamination and inspection, reservations for orders, back orders."""

from equipment.stock.reservations import (
    available_quantity,
    collect_asset,
    collect_bulk,
    deliver_line,
    load_line,
    release_line,
    reserve_for_line,
)
from equipment.stock.returns import process_asset, process_bulk, reverse_movement
from equipment.stock.services import (
    Receipt,
    adjust_count,
    dispatch_transfer,
    receive_goods,
    receive_transfer,
    transfer_stock,
)

__all__ = ["Receipt", "adjust_count", "available_quantity", "collect_asset", "collect_bulk", "deliver_line", "dispatch_transfer", "load_line", "process_asset", "process_bulk", "receive_goods", "receive_transfer", "release_line", "reserve_for_line", "reverse_movement", "transfer_stock"]
