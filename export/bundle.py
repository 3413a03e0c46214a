"""Make the gated LiteRT exports that ship inside the package, in the presets' folders.

    python -m drrn_tf_export.bundle                 # every trained preset, int8
    python -m drrn_tf_export.bundle drrn_b1u9_f32   # one

Each export is what ``--runtime litert`` would otherwise make on a user's first run
(``drrn_tf_export.cache.gated_export``: full int8, dynamic H and W, made from the preset's
int8-tuned twin where it has one, parity-gated against the preset's Keras model on Set5), written to
``drrn_tf/presets/NAME/NAME.int8.tflite`` with its model card ``NAME.int8.json``. The card records the
preset's key (``drrn_tf.nn.presets.preset_key``): if the preset's weights change, the shipped
export no longer matches and is not used (``tests/test_runtimes.py`` fails until it is remade).
"""

from __future__ import annotations

import argparse
import logging
import sys

__all__ = ["bundle", "main"]


def bundle(name: str, quant: str = "int8", threads: int = 2):
    """Make, gate and write preset ``name``'s shipped export; return its path."""
    from drrn_tf.nn.presets import build_preset, export_path

    from .cache import gated_export
    from .card import write_artefact

    artefact, card = gated_export(build_preset(name), quant, threads)
    path = export_path(name, quant)
    card["file"] = path.name
    card["made_by"] = f"python -m drrn_tf_export.bundle {name}"
    write_artefact(path, artefact, path.with_suffix(".json"), card)
    return path


def main(argv=None) -> int:
    from drrn_tf.nn.presets import PRESETS

    trained = [n for n, p in PRESETS.items() if p.trained]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("presets", nargs="*", metavar="PRESET", help=f"trained presets (default: {' '.join(trained)})")
    args = ap.parse_args(argv)
    unknown = sorted(set(args.presets) - set(trained))
    if unknown:
        ap.error(f"not a trained preset: {', '.join(unknown)} (choose from {', '.join(trained)})")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    for name in args.presets or trained:
        path = bundle(name)
        print(f"wrote {path} ({path.stat().st_size:,} bytes) and {path.with_suffix('.json').name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
