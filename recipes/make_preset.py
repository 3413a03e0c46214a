"""Ship a finished training run as a preset folder: ``drrn_tf/presets/NAME/`` gets ``model.weights.h5``
(the run's final float32 model), ``config.json`` and ``metadata.json`` (its sha256); the run's log and
final state are copied beside its recipe here (``recipes/RECIPE.log.csv``, ``recipes/RECIPE.state.json``;
RECIPE is NAME unless ``--recipe`` names a later stage's config). Fields of an existing ``metadata.json``
that are not given again are kept.

    python recipes/make_preset.py runs/drrn_b1u9_real drrn_b1u9_real --description "..." --use "..."
    python recipes/make_preset.py runs/drrn_b1u9_real_stage2 drrn_b1u9_real --recipe drrn_b1u9_real_stage2

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
    ap.add_argument("--recipe", help="the stem of the run's config in recipes/ (default: NAME)")
    ap.add_argument("--description", help="required for a new preset")
    ap.add_argument("--use")
    ap.add_argument("--same-graph-as", help="the preset of the same network whose latency it shares")
    ap.add_argument("--figure", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    folder = ROOT / "drrn_tf" / "presets" / args.name
    meta = json.loads((folder / "metadata.json").read_text()) if (folder / "metadata.json").is_file() else {"name": args.name}
    if not (args.description or "description" in meta):
        ap.error("a new preset needs --description")
    import keras

    import drrn_tf

    drrn_tf.register_keras_objects()
    model = keras.saving.load_model(args.run / "model.keras", safe_mode=True)
    folder.mkdir(exist_ok=True)
    model.save_weights(folder / "model.weights.h5")
    cfg = model.get_config()
    config = {"builder": "drrn", "config": {k: cfg[k] for k in ("blocks", "units", "filters")}}
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    meta |= {k: v for k, v in (("description", args.description), ("use", args.use)) if v}
    meta["weights"] = {"file": "model.weights.h5", "sha256": hashlib.sha256((folder / "model.weights.h5").read_bytes()).hexdigest()}
    meta["provenance"] = "recipes/README.md of the source repository: the training configs, logs and how these weights were made"
    if args.figure:
        meta["figures"] = meta.get("figures", {}) | {k: float(v) for k, v in (f.split("=", 1) for f in args.figure)}
    if args.same_graph_as:
        meta["same_graph_as"] = args.same_graph_as
    (folder / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n")
    recipe = args.recipe or args.name
    shutil.copyfile(args.run / "log.csv", ROOT / "recipes" / f"{recipe}.log.csv")
    shutil.copyfile(args.run / "state.json", ROOT / "recipes" / f"{recipe}.state.json")
    print(f"wrote {folder} ({meta['weights']['sha256'][:12]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
