"""The one exception type for bad user input.

Anything raised as :class:`InputError` is shown by the CLI as a single line
``drrn: error: <message>`` with exit status 2, never as a traceback.
"""


class InputError(Exception):
    """Bad input from the user: a missing file, a corrupt image, a wrong option value."""


def first_line(exc: BaseException, limit: int | None = 200) -> str:
    """The first line of an exception's message (or its type name), for one-line errors."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if limit is None else text[:limit]
