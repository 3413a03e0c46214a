"""``drrn export``: registered into the ``drrn`` command line via the ``drrn_tf.commands`` entry point."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from drrn_tf.constants import SCALES
from drrn_tf.errors import InputError, ParityError

from .extra import LITERT, ONNX, require
from .modes import CALIBRATED_MODES, QUANT_MODES

__all__ = ["register", "register_qat", "export_e2e"]


# Largest fixed input (pixels) an export may take: a 4096x4096 tile.
MAX_SHAPE_PIXELS = 4096 * 4096


def _parse_shape(text: str) -> tuple[int, int] | None:
    if text == "dynamic":
        return None
    m = re.fullmatch(r"(\d+)x(\d+)", text)
    if not m or min(int(m[1]), int(m[2])) < 1:
        raise InputError(f"--shape {text}: expected HxW (for example 288x288) or 'dynamic'")
    if int(m[1]) * int(m[2]) > MAX_SHAPE_PIXELS:
        raise InputError(f"--shape {text}: at most {MAX_SHAPE_PIXELS:,} pixels (a 4096x4096 tile); larger photos are tiled")
    return int(m[1]), int(m[2])


def cmd_export(args) -> int:
    require("drrn export", ONNX if args.format == "onnx" else LITERT)
    from drrn_tf.io.datasets import resolve_dataset
    from drrn_tf.io.files import check_output
    from drrn_tf.nn.loading import load_keras_model
    from drrn_tf.nn.predict import predict_y
    from drrn_tf.nn.stats import receptive_radius

    from .card import model_card
    from .convert import convert_onnx, convert_tflite, representative_samples
    from .parity import parity_report
    from .runtime import LiteRTModel, OnnxModel

    out = Path(args.output)
    suffix = ".tflite" if args.format == "tflite" else ".onnx"
    if out.suffix != suffix:
        raise InputError(f"{out}: a {args.format} artefact must end in {suffix}")
    model_file = [args.model] if Path(args.model).is_file() else []
    check_output(out, inputs=model_file, overwrite=args.overwrite)
    card_path = check_output(out.with_suffix(".json"), inputs=model_file, overwrite=args.overwrite)  # the card too, before anything is converted
    shape = _parse_shape(args.shape)
    if args.format == "onnx" and (args.quant != "none" or shape is not None):
        raise InputError("--format onnx exports float32 with dynamic H and W; drop --quant/--shape")
    model = load_keras_model(args.model, purpose="drrn export")
    halo = receptive_radius(model)
    if shape is not None and min(shape) <= 2 * halo:
        raise InputError(
            f"--shape {args.shape}: each side must be more than {2 * halo} pixels (twice the model's receptive radius of {halo}) for seamless tiling"
        )
    if args.e2e_scale:
        return _export_e2e(args, model, shape, out, card_path)
    representative = None
    if args.quant in CALIBRATED_MODES:
        folder = Path(args.representative) if args.representative else resolve_dataset("train291")[1]
        representative = representative_samples(folder, n=args.calibration_samples, size=shape or (96, 96))
        print(f"calibrating on {len(representative)} LR-up Y crops from {folder}", file=sys.stderr)

    if args.format == "tflite":
        artefact = convert_tflite(model, args.quant, shape, representative)
        runner = LiteRTModel(artefact, threads=args.threads, halo=halo)
    else:
        artefact = convert_onnx(model)
        runner = OnnxModel(artefact, threads=args.threads)
    parity = None
    if args.parity_data != "none":
        quant = "onnx" if args.format == "onnx" else args.quant
        parity = parity_report(lambda y: predict_y(model, y), runner.predict_y, quant, data=args.parity_data)
        for row in parity["scales"]:
            print(
                f"parity {parity['dataset']} x{row['scale']}: Keras {row['keras_psnr']:.3f} dB, "
                f"export {row['export_psnr']:.3f} dB, drop {row['drop_db']:+.3f} dB"
            )
        if not parity["passed"] and not args.force:
            raise ParityError(
                f"parity check failed: worst {parity['dataset']} drop {parity['worst_drop_db']:.3f} dB "
                f"> target {parity['target_db']} dB; nothing written (use --force to write anyway)"
            )
    return _write(out, artefact, card_path, model_card(artefact, args.format, args.quant, model, out.name, parity), args.overwrite)


def _export_e2e(args, model, shape, out, card_path) -> int:
    if shape is None:
        raise InputError("--e2e-scale needs a fixed --shape HxW (the LR input size)")
    artefact, card = export_e2e(
        model,
        shape,
        args.e2e_scale,
        args.quant,
        io=args.e2e_io,
        representative=args.representative,
        calibration_samples=args.calibration_samples,
        threads=args.threads,
        agreement_data=None if args.parity_data == "none" else tuple(dict.fromkeys([args.parity_data, "set14"])),
        file_name=out.name,
        quality_data=None if args.parity_data == "none" else args.parity_data,
    )
    quality = card["end_to_end"]["quality"]
    if quality is not None:
        print(
            f"end-to-end on {quality['dataset']} x{quality['scale']} ({quality['images']} colour photos): Y PSNR {quality['psnr']:.2f} dB "
            f"(bicubic {quality['bicubic_psnr']:.2f} dB)"
        )
    agreement = card["end_to_end"]["agreement_with_drrn_upscale"]
    if agreement is not None and agreement["images"]:
        print(
            f"end-to-end vs drrn upscale on {agreement['images']} images: {100 * agreement['fraction_within_1']:.2f}% of pixels within 1 grey level "
            f"(target {100 * agreement['target_fraction_within_1']:.0f}%), largest difference {agreement['max_abs_diff']}"
        )
    elif agreement is not None:
        print("end-to-end vs drrn upscale: no image of the agreement sets was found; not measured")
    return _write(out, artefact, card_path, card, args.overwrite)


def export_e2e(
    model,
    shape: tuple[int, int],
    scale: int,
    quant: str,
    io: str = "uint8",
    representative=None,
    calibration_samples: int = 120,
    threads: int = 2,
    agreement_data=("set5", "set14"),
    file_name: str = "model.tflite",
    quality_data: str | None = "set5",
) -> tuple[bytes, dict]:
    """Convert the end-to-end phone model and build its card (with the agreement with
    ``drrn upscale`` on the sets ``agreement_data`` and the model's own Y PSNR on ``quality_data``
    (``e2e_set_psnr``), each unless None); int8 calibrates on LR RGB
    crops from ``representative`` (a folder; default train291)."""
    from drrn_tf.nn.stats import receptive_radius

    from .card import model_card
    from .convert import convert_e2e
    from .e2e import tile_halo
    from .runtime import LiteRTModel

    if quant == "int16x8":
        raise InputError("the end-to-end model supports --quant none, fp16, dynamic or int8")
    samples = _e2e_calibration(representative, calibration_samples, shape, scale) if quant == "int8" else None
    artefact = convert_e2e(model, shape[0], shape[1], scale, quant, samples, io=io)
    runner = LiteRTModel(artefact, threads=threads)
    halo = tile_halo(receptive_radius(model), scale)
    agreement, quality = _e2e_checks(model, runner, shape, scale, halo, agreement_data, quality_data)
    card = model_card(artefact, "tflite", quant, model, file_name, None)
    card["end_to_end"] = {
        "scale": scale,
        "lr_shape": list(shape),
        "io_dtype": io,
        "tile_halo_lr": halo,
        "agreement_with_drrn_upscale": agreement,
        "quality": quality,
    }
    card["preprocessing"] = _e2e_preprocessing(shape, scale, io)
    return artefact, card


def _e2e_calibration(representative, calibration_samples: int, shape: tuple[int, int], scale: int) -> list:
    """LR RGB crops of ``shape`` from ``representative`` (a folder; default train291) to calibrate the int8 end-to-end model."""
    from drrn_tf.io.datasets import resolve_dataset

    from .convert import representative_samples

    folder = Path(representative) if representative else resolve_dataset("train291")[1]
    return representative_samples(folder, n=calibration_samples, size=shape, scales=(scale,), rgb=True)


def _e2e_checks(model, runner, shape: tuple[int, int], scale: int, halo: int, agreement_data, quality_data: str | None) -> tuple[dict | None, dict | None]:
    """The end-to-end model's agreement with ``drrn upscale`` on ``agreement_data`` and its Y PSNR on ``quality_data``, each None when skipped."""
    from drrn_tf.upscale.image import upscale_pixels

    from .parity import e2e_agreement, e2e_set_psnr

    agreement = quality = None
    if quality_data:
        quality = e2e_set_psnr(lambda lr: runner.upscale_e2e(lr, scale, halo), scale, quality_data)
    if agreement_data:
        agreement = e2e_agreement(
            lambda lr: runner.run_raw(lr[None].astype(runner.input["dtype"]))[0],
            lambda lr: upscale_pixels(model, lr, scale),
            shape[0],
            shape[1],
            scale,
            data=agreement_data,
        )
    return agreement, quality


def _e2e_preprocessing(shape: tuple[int, int], scale: int, io: str) -> str:
    """The card's ``preprocessing`` note of the end-to-end model: what goes in and out, and how larger photos are tiled."""
    return (
        f"Input: the LR RGB image, {io} pixel values 0..255, fixed size {shape[0]}x{shape[1]}; output: the RGB image "
        f"{scale}x larger, {io} 0..255. Larger photos: tiles of the input size overlapping by tile_halo_lr "
        "LR pixels (drrn_tf.inference.tiling.axis_plan), padded symmetrically when the photo is smaller. Nothing else to do outside the model."
    )


def _write(out: Path, artefact: bytes, card_path: Path, card: dict, overwrite: bool) -> int:
    """``write_artefact``, and say so."""
    from .card import write_artefact

    write_artefact(out, artefact, card_path, card, overwrite)
    print(f"wrote {out} ({len(artefact):,} bytes) and {card_path}")
    return 0


def register(sub) -> None:
    from drrn_tf.cli import epilog, positive
    from drrn_tf.nn.presets import DEFAULT_PRESET

    ex = sub.add_parser(
        "export",
        help="convert to TFLite (quantized) or ONNX, with a parity check",
        description="Convert a model to TFLite (none|fp16|dynamic|int8|int16x8) or ONNX; check Set5 parity against Keras; write OUT and its model card OUT.json.",
        **epilog(
            "drrn export --quant int8 -o drrn_b1u9_int8.tflite",
            "drrn export drrn_b1u9_f32_qat --quant int8 --shape 288x288 -o phone.tflite",
            "drrn export drrn_b1u9_f32 --format onnx -o f32.onnx",
            guide=True,
        ),
    )
    ex.add_argument("model", nargs="?", default=DEFAULT_PRESET, metavar="MODEL", help=f"a preset or a .keras file (default: {DEFAULT_PRESET})")
    ex.add_argument("--format", choices=("tflite", "onnx"), default="tflite", help="tflite (LiteRT, default) or onnx (float32, dynamic H and W)")
    ex.add_argument("--quant", choices=QUANT_MODES, default="none", help="TFLite quantisation (default none = float32)")
    ex.add_argument("--shape", default="dynamic", metavar="HxW|dynamic", help="fixed input size (for LiteRT.js and phones) or dynamic (default)")
    ex.add_argument("--representative", metavar="DIR", help="images for int8/int16x8 calibration (default: train291)")
    ex.add_argument("--calibration-samples", type=positive(int), default=120, metavar="N", help="calibration crops (default 120)")
    ex.add_argument("--parity-data", default="set5", metavar="SET", help="dataset for the parity check (default set5; 'none' skips it)")
    ex.add_argument("--threads", type=positive(int), default=2, help="runtime threads for the parity check (default 2)")
    ex.add_argument("--force", action="store_true", help="write the artefact even if parity fails")
    ex.add_argument(
        "--e2e-scale",
        type=int,
        choices=SCALES,
        metavar="S",
        help="export the end-to-end phone model instead: LR RGB of --shape in, RGB x S out (pixel dtype: --e2e-io)",
    )
    ex.add_argument(
        "--e2e-io",
        choices=("uint8", "float32"),
        default="uint8",
        help="pixel dtype of the end-to-end model's input/output (float32 for LiteRT's Kotlin CompiledModel)",
    )
    ex.add_argument("-o", "--output", required=True, metavar="OUT", help="OUT.tflite or OUT.onnx (the card goes to OUT.json)")
    ex.add_argument("--overwrite", action="store_true", help="replace OUT and its card if they exist (never the model exported)")
    ex.set_defaults(func=cmd_export)


# Post-training int8 of the 128-filter presets loses <= 0.16 dB; the compact one 0.29 dB at x4, which QAT recovers.
QAT_DEFAULT = "drrn_b1u9_f32"


def register_qat(sub) -> None:
    """``drrn qat`` (drrn_tf_export.qat, which needs TensorFlow, is imported only when the command runs)."""

    def run(args) -> int:
        from .qat import cmd_qat

        return cmd_qat(args)

    from drrn_tf.cli import epilog

    p = sub.add_parser(
        "qat",
        help="quantisation-aware fine-tuning of a DRRN for int8 export",
        description="Fine-tune a DRRN through int8 fake quantisation (TFLite's own quantisation points) so that full-int8 export keeps its PSNR; writes OUT/model.keras, OUT/<name>.weights.h5, log.csv and report.json (int8 Set5 parity before and after).",
        **epilog(
            "drrn qat -o runs/qat_f32",
            "drrn qat drrn_b1u9_f32 --steps 2400 --steps-per-epoch 600 --batch 32 --patch 41 --quiet -o runs/qat_f32",
            "drrn export runs/qat_f32/model.keras --quant int8 -o phone.tflite",
        ),
    )
    p.add_argument(
        "model",
        nargs="?",
        default=QAT_DEFAULT,
        metavar="MODEL",
        help=f"a DRRN preset or .keras file (default: {QAT_DEFAULT}, the compact preset, whose post-training int8 loses the most)",
    )
    p.add_argument("--data", default="train291", help="training images (default train291)")
    p.add_argument("--scales", type=int, nargs="+", choices=SCALES, default=list(SCALES), metavar="S", help="scales among 2 3 4 (default: all)")
    p.add_argument("--steps", type=int, default=3000, help="training steps (default 3000)")
    p.add_argument("--steps-per-epoch", type=int, default=500, help="steps between log lines and activation-range refreshes (default 500)")
    p.add_argument("--batch", type=int, default=32, help="patches per step (default 32)")
    p.add_argument("--patch", type=int, default=41, help="HR patch side (default 41)")
    p.add_argument("--lr", type=float, default=1e-4, help="Adam learning rate, cosine-decayed (default 1e-4)")
    p.add_argument("--seed", type=int, default=0, help="patch sampling seed (default 0)")
    p.add_argument("--calibration-samples", type=int, default=100, help="crops that set the initial activation ranges (default 100)")
    p.add_argument("--parity-data", default="set5", help="dataset for the int8 parity check before/after ('none' skips)")
    p.add_argument("--quiet", action="store_true", help="one line per epoch instead of a progress bar")
    p.add_argument("-o", "--output", "--out", dest="output", required=True, metavar="DIR", help="output folder (new or empty)")
    p.set_defaults(func=run)
