"""``drrn train``: a training run from a config, with flag overrides."""

from __future__ import annotations

from pathlib import Path

from drrn_tf.cli.options import epilog, progress
from drrn_tf.cli.process import split_cpu_for_tests
from drrn_tf.errors import InputError


def cmd_train(args) -> int:
    from drrn_tf.training.config import load_config, parse_override

    overrides = dict(parse_override(t) for t in args.set)
    for key in ("epochs", "steps_per_epoch", "strategy", "mixed_precision", "recipe"):
        value = getattr(args, key)
        if value is not None:
            overrides[key] = value
    if args.resume:
        extra = set(overrides) - {"epochs"}
        if args.config or extra:
            raise InputError("--resume continues a run with its saved config; only --epochs may change")
    cfg = load_config(args.config, overrides)
    split_cpu_for_tests()
    from drrn_tf.training.trainer import train

    result = train(cfg, Path(args.output), resume=args.resume, progress=lambda it: progress(it, desc="images", unit="img"))
    best = result.get("best_val_psnr")
    print(f"finished epoch {result['epoch']} (step {result['step']}); final model: {result['model']}")
    if best is not None:
        print(f"best validation PSNR {best:.2f} dB at epoch {result['best_epoch']}: {Path(args.output) / 'checkpoints' / 'best.keras'}")
    return 0


def register(sub) -> None:
    """Add ``drrn train`` to the sub-command parsers ``sub``."""
    from drrn_tf.training.config import CHOICES

    tr = sub.add_parser(
        "train",
        help="train DRRN with model.fit",
        description="Train DRRN with model.fit on tf.data patches (the paper's recipe by default). See drrn_tf/training/config.py for every key.",
        **epilog(
            "drrn train --config recipes/drrn_b1u9_f32.yaml -o runs/f32",
            "drrn train --recipe modern --set filters=32 --epochs 5 -o runs/try",
            "drrn train -o runs/f32 --resume",
        ),
    )
    tr.add_argument("--config", metavar="FILE", help="YAML or JSON config (keys of drrn_tf.training.config.TrainConfig)")
    tr.add_argument("-o", "--output", "--out", dest="output", required=True, metavar="RUN", help="run folder (checkpoints, logs, final model.keras)")
    tr.add_argument("--resume", action="store_true", help="continue the run in --output from its last checkpoint")
    tr.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key (repeatable)")
    tr.add_argument("--recipe", choices=CHOICES["recipe"], help="paper (SGD, Euclidean loss, step lr) or modern (Adam, L1, cosine)")
    tr.add_argument("--epochs", type=int, help="number of epochs")
    tr.add_argument("--steps-per-epoch", type=int, help="steps per epoch (paper: 6536)")
    tr.add_argument("--strategy", choices=CHOICES["strategy"], help="tf.distribute strategy")
    tr.add_argument("--mixed-precision", choices=CHOICES["mixed_precision"], help="bf16: mixed_bfloat16 policy")
    tr.set_defaults(func=cmd_train)
