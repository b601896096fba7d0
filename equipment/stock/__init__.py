"""Stock: every depot's units and the ledger behind them. Goods received (receipts), counts
(counts), transfers between depots (transfers), returns through quarantine, decontamination and
inspection (returns, inspections), units reserved, loaded and delivered for orders
(reservations) and collected from homes (collection), back orders filled when units come free
(backorders), reading stock (queries, asset_queries), the check of the ledger against the
balances (verify), depots and the catalogue (catalogue).

Other areas use the services re-exported here: `from equipment import stock`, `stock.transfer_stock(...)`.
"""

from equipment.stock.collection import collect_asset, collect_bulk
from equipment.stock.counts import adjust_count
from equipment.stock.receipts import Receipt, receive_goods
from equipment.stock.reservations import available_quantity, deliver_line, load_line, release_line, reserve_for_line
from equipment.stock.returns import process_asset, process_bulk, return_asset, reverse_movement
from equipment.stock.transfers import dispatch_transfer, receive_transfer, transfer_stock

__all__ = [
    "Receipt",
    "adjust_count",
    "available_quantity",
    "collect_asset",
    "collect_bulk",
    "deliver_line",
    "dispatch_transfer",
    "load_line",
    "process_asset",
    "process_bulk",
    "receive_goods",
    "receive_transfer",
    "release_line",
    "reserve_for_line",
    "return_asset",
    "reverse_movement",
    "transfer_stock",
]
