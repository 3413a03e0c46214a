"""The package's exceptions: what the ``drrn`` command turns into one line.

``DrrnError`` is the base of them all, and each says what it is: ``InputError`` bad input
from the user (a missing file, a corrupt image, a wrong option value; ``InputValueError`` the
same found deep inside a call, a ``ValueError`` too); ``drrn_tf.nn.stats.UnsupportedModel`` a
model whose layers the package cannot describe; ``TrainingDiverged`` a run whose loss became
NaN or inf; ``ParityError`` an export that fails its quality gate; ``MissingDependency``
an optional stage that is not installed (the message says how to install it);
``MissingPackageData`` a file the installed package should hold and does not. The CLI prints
any ``DrrnError`` as ``drrn: error: <message>`` with exit status 2, never as a traceback.
"""


class DrrnError(Exception):
    """Base of the errors the CLI reports in one line."""


class InputError(DrrnError):
    """Bad input from the user: a missing file, a corrupt image, a wrong option value."""


class InputValueError(InputError, ValueError):
    """Bad input found deep inside a call (pixels that do not fit the memory budget, a model whose
    output is not finite): one line in the CLI, a ``ValueError`` to a Python caller."""


class TrainingDiverged(DrrnError):
    """A training run whose loss became NaN or inf (its last good checkpoint is kept)."""


class WorkerLost(DrrnError):
    """A multi-worker training run in which a worker stopped or cannot be reached (the chief's last
    checkpoint is kept: start every worker again with ``--resume``)."""


class ParityError(DrrnError):
    """An export that fails its parity gate against the Keras model (or whose output is not finite)."""


class MissingDependency(DrrnError):
    """An optional stage (the export extra, LiteRT.js) that is not installed; the message names the install command."""


class MissingPackageData(DrrnError):
    """A file the installed package should hold (shipped weights, a sample photo) is missing: reinstall."""


def first_line(exc: BaseException, limit: int | None = 200) -> str:
    """The first line of an exception's message (or its type name), for one-line errors; longer than
    ``limit`` characters, it is cut and ends in "... (--debug shows all)". Callers raise ``from exc``,
    so ``drrn --debug`` prints the whole chain."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    if limit is None or len(text) <= limit:
        return text
    return text[:limit] + "... (--debug shows all)"
