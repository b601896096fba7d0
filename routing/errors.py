"""The router's one error, in a module without numpy so that `python -m routing` starts its
clock before the heavy imports."""


class ProblemError(ValueError):
    """Bad input: the message is one line naming what is wrong."""
