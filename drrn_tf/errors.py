"""The one exception type for bad user input.

Anything raised as :class:`InputError` is shown by the CLI as a single line
``drrn: error: <message>`` with exit status 2, never as a traceback.
"""


class InputError(Exception):
    """Bad input from the user: a missing file, a corrupt image, a wrong option value."""
