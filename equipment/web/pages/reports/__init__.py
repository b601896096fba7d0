"""Officers' pages: the performance dashboard, the monthly contract report, an order's timeline
(by reference, never a name or address) and a CSV download of every table.

blueprint (bp, who may read), query_args (period and filters from the URL), trend_chart (the
inline SVG), views (the pages), downloads (the CSV tables)."""

from equipment.web.pages.reports import downloads, views
from equipment.web.pages.reports.blueprint import REPORT_READERS, bp
from equipment.web.pages.reports.downloads import CSV_TABLES, FILTERED_TABLES

__all__ = ["CSV_TABLES", "FILTERED_TABLES", "REPORT_READERS", "bp", "downloads", "views"]
