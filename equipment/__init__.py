"""The community equipment service: stock, orders, planning, deliveries, delays."""
