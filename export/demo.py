"""``drrn demo``: the whole path on a fresh machine, on photos that scikit-image ships.

Trains a small DRRN with ``model.fit`` on some of scikit-image's bundled photos, keeps
others for validation, exports a full-int8 TFLite model, and prints PSNR (bicubic /
Keras / TFLite int8, paper protocol) on the held-out photos, parameters, file sizes
and latency per format. Everything lands in a run folder named at the end.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from drrn_tf.constants import SCALES
from drrn_tf.errors import InputError
from drrn_tf.io.datasets import skimage_photos

from .extra import LITERT, require

__all__ = ["register", "TRAIN_PHOTOS", "HELD_OUT_PHOTOS"]

TRAIN_PHOTOS = [
    "astronaut.png",
    "camera.png",
    "coffee.png",
    "rocket.jpg",
    "motorcycle_left.png",
    "brick.png",
    "grass.png",
    "gravel.png",
    "coins.png",
    "page.png",
]
HELD_OUT_PHOTOS = ["chelsea.png", "moon.png", "text.png"]


def _before_after(model, photo: Path, out: Path, scale: int = 3) -> Path:
    """``out``: the held-out ``photo`` shrunk ``scale`` times, upscaled back by bicubic and by ``model``, beside the original."""
    import numpy as np
    from PIL import Image

    from drrn_tf.io.images import read_image
    from drrn_tf.protocol.figures import side_by_side
    from drrn_tf.protocol.matlab import im2uint8, imresize, modcrop
    from drrn_tf.upscale.image import upscale_pixels

    hr = im2uint8(modcrop(read_image(photo).pixels, scale))
    if hr.ndim == 2:
        hr = np.stack([hr] * 3, axis=-1)
    lr = imresize(hr[..., :3], 1.0 / scale)
    panels = [(upscale_pixels(None, lr, scale), "bicubic"), (upscale_pixels(model, lr, scale), f"{model.name}, trained here"), (hr[..., :3], "original")]
    Image.fromarray(side_by_side([(p, f"{label} (x{scale}, {photo.name})") for p, label in panels])).save(out)
    return out


def _new_run_folder(output: str | None) -> Path:
    """The run folder: ``output``, or ``runs/demo-<time>``; refused when it already holds anything."""
    run = Path(output) if output else Path("runs") / time.strftime("demo-%Y%m%d-%H%M%S")
    if run.exists() and any(run.iterdir()):
        raise InputError(f"{run}: already exists and is not empty; pick another -o/--output")
    return run


def _train_demo(args, train_dir: Path, val_dir: Path, run: Path):
    """Train the demo DRRN with ``model.fit`` into ``run/train``: the trainer's result and the model it saved."""
    from drrn_tf.training.config import load_config
    from drrn_tf.training.trainer import train

    cfg = load_config(
        None,
        {
            "name": "drrn_demo",
            "units": args.units,
            "filters": args.filters,
            "out_init": "zeros",
            "recipe": "modern",
            "lr": 2e-3,
            "train_data": str(train_dir),
            "val_data": str(val_dir),
            "val_every": args.epochs,
            "batch_size": 32,
            "steps_per_epoch": args.steps // args.epochs,
            "epochs": args.epochs,
            "tensorboard": False,
        },
    )
    print(f"[1/3] training DRRN B1U{args.units} ({args.filters} filters) for {args.steps} steps with model.fit", file=sys.stderr)
    result = train(cfg, run / "train", verbose=1 if sys.stderr.isatty() else 2)
    import keras

    return result, keras.saving.load_model(result["model"])


def _export_demo(model, train_dir: Path, run: Path) -> tuple[bytes, bytes]:
    """Write the fp32 and the full-int8 TFLite model (calibrated on the training photos) into ``run``; their bytes."""
    from .convert import convert_tflite, representative_samples

    print("[2/3] exporting full-int8 TFLite (calibrated on the training photos)", file=sys.stderr)
    calib = representative_samples(train_dir, n=100, size=(96, 96))
    fp32 = convert_tflite(model, "none")
    int8 = convert_tflite(model, "int8", representative=calib)
    (run / "drrn_demo_fp32.tflite").write_bytes(fp32)
    (run / "drrn_demo_int8.tflite").write_bytes(int8)
    return fp32, int8


def _measure_demo(model, val_dir: Path, fp32: bytes, int8: bytes) -> tuple[dict, dict]:
    """PSNR per method on the held-out photos (x2, x3, x4) and latency in ms per format on a 288x288 input."""
    import numpy as np
    import tensorflow as tf

    from drrn_tf.nn.predict import predict_y
    from drrn_tf.protocol.evaluation import evaluate

    from .bench import measure
    from .runtime import LiteRTModel

    rt_int8 = LiteRTModel(int8, threads=2)
    rt_fp32 = LiteRTModel(fp32, threads=2)

    print("[3/3] evaluating on the held-out photos and timing", file=sys.stderr)
    sets = [("held-out", val_dir)]
    scales = list(SCALES)
    rows = {
        "bicubic": evaluate(None, sets, scales),
        "Keras fp32": evaluate(lambda y: predict_y(model, y), sets, scales),
        "TFLite int8": evaluate(rt_int8.predict_y, sets, scales),
    }
    x = np.random.default_rng(0).random((288, 288), dtype=np.float32)
    fn = tf.function(lambda t: model(t, training=False))
    latency = {
        "Keras fp32": measure(lambda: fn(x[None, :, :, None]).numpy(), 0, 1, 5, 5)[0],
        "LiteRT fp32": measure(lambda: rt_fp32.predict_y(x), 0, 1, 5, 5)[0],
        "LiteRT int8": measure(lambda: rt_int8.predict_y(x), 0, 1, 5, 5)[0],
    }
    return rows, latency


def _report(args, stats: dict, rows: dict, latency: dict, keras_file: Path, fp32: bytes, int8: bytes) -> str:
    """The Markdown report: the network, PSNR per method, and file size and latency per format."""
    lines = [
        f"DRRN demo: B1U{args.units}, {args.filters} filters, {stats['params']:,} parameters, {stats['macs_per_pixel']:,} MACs/pixel",
        f"held-out photos: {', '.join(HELD_OUT_PHOTOS)} (PSNR dB on Y, paper protocol)",
        "| method | x2 | x3 | x4 |",
        "|---|---|---|---|",
    ]
    for name, res in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{r.psnr:.2f}" for r in res) + " |")
    lines += [
        "",
        "| format | file size | latency 288x288 (median of 5, 2 threads) |",
        "|---|---|---|",
        f"| Keras fp32 | {keras_file.stat().st_size:,} B (.keras) | {latency['Keras fp32']:.1f} ms |",
        f"| LiteRT fp32 | {len(fp32):,} B | {latency['LiteRT fp32']:.1f} ms |",
        f"| LiteRT int8 | {len(int8):,} B | {latency['LiteRT int8']:.1f} ms |",
    ]
    if latency["LiteRT int8"] >= latency["Keras fp32"]:
        lines += [
            "",
            f"LiteRT int8 is not faster than Keras fp32 in this run: a {args.filters}-filter network does little arithmetic per layer, so fixed",
            "per-layer costs weigh more and the winner depends on the CPU. Wider networks gain more (the docs: which runtime runs, and why).",
        ]
    return "\n".join(lines)


def cmd_demo(args) -> int:
    require("drrn demo", LITERT)
    from drrn_tf.nn.stats import model_stats

    run = _new_run_folder(args.output)
    started = time.time()
    train_dir = skimage_photos(TRAIN_PHOTOS, run / "data" / "train")
    val_dir = skimage_photos(HELD_OUT_PHOTOS, run / "data" / "held_out")
    result, model = _train_demo(args, train_dir, val_dir, run)
    fp32, int8 = _export_demo(model, train_dir, run)
    stats = model_stats(model)
    rows, latency = _measure_demo(model, val_dir, fp32, int8)
    report = _report(args, stats, rows, latency, Path(result["model"]), fp32, int8)
    figure = _before_after(model, val_dir / HELD_OUT_PHOTOS[0], run / "before_after.png")
    (run / "report.md").write_text(report + "\n")
    (run / "report.json").write_text(
        json.dumps({"psnr": {k: [r.as_dict() for r in v] for k, v in rows.items()}, "latency_ms_288": latency, "stats": stats}, indent=2) + "\n"
    )
    print(report)
    print(f"\nbefore/after (bicubic | trained model | original, x3): {figure}")
    print(f"run folder: {run} ({time.time() - started:.0f} s)")
    return 0


def register(sub) -> None:
    from drrn_tf.cli import epilog

    demo = sub.add_parser(
        "demo",
        help="train, export int8 and compare, on scikit-image's sample photos",
        description="Train a small DRRN briefly on scikit-image's bundled photos, export int8 TFLite, and print PSNR (bicubic vs Keras vs TFLite int8) on held-out photos with sizes and latencies.",
        **epilog("drrn demo", "drrn demo --steps 300 -o runs/quick_demo"),
    )
    demo.add_argument("--steps", type=int, default=1200, help="training steps (default 1200)")
    demo.add_argument("--epochs", type=int, default=3, help="epochs the steps are split into (default 3)")
    demo.add_argument("--units", type=int, default=4, help="residual units U (default 4)")
    demo.add_argument("--filters", type=int, default=16, help="filters (default 16)")
    demo.add_argument("-o", "--output", "--out", dest="output", metavar="RUN", help="run folder (default runs/demo-<time>)")
    demo.set_defaults(func=cmd_demo)
