"""What the export stage needs installed beyond ``drrn-tf`` itself (the ``export`` extra), checked where
each stage is entered, before any work: its plugins are registered whatever is installed."""

from __future__ import annotations

from importlib.util import find_spec

INSTALL = "pip install 'drrn-tf[export]'"
LITERT = ("ai_edge_litert",)
ONNX_RUNTIME = ("onnx", "onnxruntime")  # running an .onnx file
ONNX = ("tf2onnx", *ONNX_RUNTIME)  # converting to ONNX, then running it


def require(what: str, modules: tuple[str, ...]) -> None:
    """Raise ``MissingDependency`` (one line, with the install command) unless every
    one of ``modules`` is importable. ``what``: the command or file that needs them."""
    missing = [m for m in modules if find_spec(m) is None]
    if missing:
        from drrn_tf.errors import MissingDependency

        raise MissingDependency(f"{what} needs {', '.join(missing)}, which the export extra installs ({INSTALL})")
