"""Ship a finished training run as a preset folder: ``drrn_tf/presets/NAME/`` gets ``model.weights.h5``
(the run's final float32 model), ``config.json`` and ``metadata.json`` (its sha256); the run's log and
final state are copied beside its recipe here (``recipes/NAME.log.csv``, ``recipes/NAME.state.json``).

    python recipes/make_preset.py runs/drrn_b1u9_real drrn_b1u9_real --description "..." --use "..."

Figures (``--figure set5_x4_psnr=...``) come from the committed benchmark results they are checked against.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("name")
    ap.add_argument("--description", required=True)
    ap.add_argument("--use")
    ap.add_argument("--same-graph-as", help="the preset of the same network whose latency it shares")
    ap.add_argument("--figure", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    import keras

    import drrn_tf

    drrn_tf.register_keras_objects()
    model = keras.saving.load_model(args.run / "model.keras", safe_mode=True)
    folder = ROOT / "drrn_tf" / "presets" / args.name
    folder.mkdir(exist_ok=True)
    model.save_weights(folder / "model.weights.h5")
    cfg = model.get_config()
    config = {"builder": "drrn", "config": {k: cfg[k] for k in ("blocks", "units", "filters")}}
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    meta = {"name": args.name, "description": args.description}
    if args.use:
        meta["use"] = args.use
    meta["weights"] = {"file": "model.weights.h5", "sha256": hashlib.sha256((folder / "model.weights.h5").read_bytes()).hexdigest()}
    meta["provenance"] = "recipes/README.md of the source repository: the training configs, logs and how these weights were made"
    if args.figure:
        meta["figures"] = {k: float(v) for k, v in (f.split("=", 1) for f in args.figure)}
    if args.same_graph_as:
        meta["same_graph_as"] = args.same_graph_as
    (folder / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n")
    shutil.copyfile(args.run / "log.csv", ROOT / "recipes" / f"{args.name}.log.csv")
    shutil.copyfile(args.run / "state.json", ROOT / "recipes" / f"{args.name}.state.json")
    print(f"wrote {folder} ({meta['weights']['sha256'][:12]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
