"""What the domain allows: the bounds on numbers the service takes from outside. A value past
them is a mistake or an attack, never a real order or count, and is refused beside its field."""

from datetime import date

MAX_UNITS = 10_000  # units of one item in one receipt, count, transfer or return
MAX_ID = 2**31 - 1  # database ids are 32-bit integers on every database we run on

# Dates the service can mean: its records start well after 2000, and nothing is planned a
# lifetime ahead. Outside these a date is a typo or a probe (and would overflow time arithmetic).
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)
