"""Which runtime runs a model when the user does not say (``--runtime auto``), and why.

The rule, from ``drrn bench`` on the CPU kinds measured (the docs' "Which runtime runs" table):

* A trained preset whose gated full-int8 LiteRT export ships in the package runs in LiteRT
  (XNNPACK), when the export stage is installed: on every CPU measured it was the fastest runtime
  whose Set5 PSNR stays within the parity gate of Keras float32 (0.3 dB for int8), and it needs
  neither TensorFlow nor a first run spent making an export.
* Anything else runs in Keras float32, the paper-exact reference: a ``.keras`` file of the user's
  (``--runtime litert`` makes and gates its int8 export once, then caches it), or any model when the
  export stage is missing.

No TensorFlow here: the choice reads file names, the shipped export's card and installed entry points.
"""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from importlib.util import find_spec
from typing import NamedTuple

from drrn_tf.inference.cpu import cpu_info

__all__ = ["Choice", "choose_runtime", "litert_available", "shipped_export_card"]


class Choice(NamedTuple):
    runtime: str  # "keras", "keras-bf16" or "litert"
    reason: str


def litert_available() -> bool:
    """Whether an installed package registers the ``litert`` runtime and LiteRT itself is importable."""
    return any(ep.name == "litert" for ep in entry_points(group="drrn_tf.runtimes")) and find_spec("ai_edge_litert") is not None


def shipped_export_card(preset: str) -> dict | None:
    """The model card of the int8 LiteRT export a trained preset ships with, if it has one that
    matches the preset's weights (``drrn_tf.nn.presets.bundled_export``)."""
    from drrn_tf.nn.presets import bundled_export

    path = bundled_export(preset, "int8")
    return None if path is None else json.loads(path.with_suffix(".json").read_text())


def _vnni() -> str | None:
    features = cpu_info().features
    return next((f for f in features if "VNNI" in f or "AMX-INT8" in f), None)


def choose_runtime(ref, runtime: str = "auto") -> Choice:
    """The runtime for ``ref`` (a ``drrn_tf.nn.loading.ModelRef`` of a preset or a ``.keras`` file)
    under ``--runtime runtime``, and a short reason a user can act on."""
    reference = "the paper-exact reference"
    if runtime == "keras":
        return Choice("keras", reference)
    if runtime == "keras-bf16":
        native = "" if cpu_info().native_bf16 else "; this CPU has no native bfloat16 (AMX-BF16 or AVX-512 BF16), so it may be slower than float32"
        return Choice("keras-bf16", f"asked for: Keras with bfloat16 maths{native}")
    card = shipped_export_card(ref.spec) if ref.kind == "preset" else None
    if runtime == "litert":
        if card is not None:
            return Choice("litert", f"asked for; the int8 export that ships with {ref.spec}")
        return Choice("litert", f"asked for; the gated int8 export of {ref.spec} (made once and cached)")
    if ref.kind != "preset":
        return Choice("keras", f"{ref.spec} is a Keras file; --runtime litert makes its gated int8 export once (minutes) and then runs several times faster")
    if card is None:
        return Choice("keras", f"{ref.spec} ships no int8 export")
    if not litert_available():
        return Choice("keras", "the export stage is not installed (pip install 'drrn-tf[export]' adds the faster LiteRT int8 runtime)")
    drop = card["parity"]["worst_drop_db"]
    fast = f"int8 dot products in hardware ({_vnni()})" if _vnni() else "XNNPACK's int8 kernels (this CPU has no VNNI: not measured)"
    return Choice(
        "litert",
        f"the shipped full-int8 export of {ref.spec}, Set5 within {max(drop, 0):.2f} dB of Keras float32 (gate {card['parity']['target_db']} dB); "
        f"the fastest correct runtime with {fast}. --runtime keras runs {reference}",
    )
