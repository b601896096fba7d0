"""The router's one error, in a module without numpy so that `python -m routing` starts its
clock before the heavy imports."""


class ProblemError(ValueError):
    """Bad input: the message is one line naming what is wrong."""


class NotCompiledWarning(UserWarning):
    """The compiled ruin and recreate is not compiled: the slower numpy search runs."""


NOT_COMPILED = (
    "the fast search is not compiled, so this plan comes from the numpy search "
    "(about a hundred times fewer improvements a second; plans are worse at the same "
    "--seconds): run `python -m routing compile` once (about 30 s)"
)
