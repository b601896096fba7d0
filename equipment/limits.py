"""What the domain allows: the bounds on numbers the service takes from outside. A value past
them is a mistake or an attack, never a real order or count, and is refused beside its field."""

MAX_UNITS = 10_000  # units of one item in one receipt, count, transfer or return
MAX_ID = 2**31 - 1  # database ids are 32-bit integers on every database we run on
