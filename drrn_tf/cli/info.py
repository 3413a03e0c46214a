"""``drrn info``: what a model is (parameters, sharing, MACs per pixel, depth, receptive field)."""

from __future__ import annotations

import json
import math

from drrn_tf.cli.options import epilog
from drrn_tf.errors import InputError


def human(n: float) -> str:
    """1234567 -> '1.23M'."""
    if n == 0:
        return "0"
    units = ["", "K", "M", "G", "T"]
    k = min(int(math.log10(abs(n)) // 3), len(units) - 1)
    return f"{n / 1000**k:.3g}{units[k]}"


def cmd_info(args) -> int:
    from drrn_tf.nn.loading import open_exported, resolve_model

    ref = resolve_model(args.model)
    if ref.kind == "bicubic":
        raise InputError("bicubic is interpolation, not a network: nothing to describe")
    if ref.exported:
        return _info_exported(open_exported(ref).info(), args.json)
    from drrn_tf.nn.loading import load_model
    from drrn_tf.nn.presets import PRESETS
    from drrn_tf.nn.stats import describe_architecture, model_stats

    model = load_model(ref.spec)
    st = model_stats(model)
    st["macs_288x288"] = st["macs_per_pixel"] * 288 * 288
    if ref.kind == "preset":
        st["trained_weights"] = PRESETS[ref.spec].trained
    if args.json:
        print(json.dumps(st, indent=2))
        return 0
    print(f"model            {st['name']}")
    print(f"architecture     {describe_architecture(st['architecture'])}")
    print(f"parameters       {st['params']:,} ({human(st['params'])})")
    print(f"shared params    {st['shared_params']:,} (reused by every unit of a recursive block)")
    print(f"if unshared      {st['unshared_params']:,}")
    print(f"MACs per pixel   {st['macs_per_pixel']:,} ({human(st['macs_288x288'])} MACs at 288x288)")
    print(f"depth            {st['depth']} convolutions")
    print(f"receptive field  {st['receptive_field']}x{st['receptive_field']} pixels")
    if "trained_weights" in st:
        print(f"trained weights  {'shipped' if st['trained_weights'] else 'none (random initialisation)'}")
    return 0


def _info_exported(info: dict, as_json: bool) -> int:
    if as_json:
        print(json.dumps(info, indent=2))
        return 0

    def shape(t):
        return "x".join("?" if d < 0 else str(d) for d in t["shape"]) + f" {t['dtype']}"

    kind = info["kind"] + (f", x{info['scale']}" if info["scale"] else "")
    print(f"model            {info['name']} ({info['format']}, {human(info['file_size_bytes'])}B)")
    print(f"kind             {kind}: {'LR RGB in, upscaled RGB out' if info['scale'] else 'bicubic-upscaled Y in, restored Y out'}")
    print(f"quantisation     {info['quantization']}; runs in {info['runtime']}")
    print(f"input / output   {shape(info['input'])} -> {shape(info['output'])}" + ("" if info["fixed_shape"] else " (open height and width)"))
    if info["source_model"]:
        print(f"made from        {info['source_model']}")
    print(f"parameters       {info['params']:,} ({human(info['params'])})")
    print(f"MACs per pixel   {info['macs_per_pixel']:,} ({human(info['macs_per_pixel'] * 288 * 288)} MACs at 288x288)")
    rf = info["receptive_field"]
    print(
        f"receptive field  {rf}x{rf} pixels (from its {info['receptive_field_from']})"
        + (f"; tiles overlap by {info['tile_halo_lr']} LR pixels" if info["scale"] else "")
    )
    if info["parity_worst_drop_db"] is not None:
        verdict = "passed" if info["parity_passed"] else "FAILED"
        print(f"parity           worst {info['parity_dataset']} PSNR drop {info['parity_worst_drop_db']:+.3f} dB against its Keras model ({verdict})")
    if info["quality"]:
        q = info["quality"]
        print(f"quality          {q['dataset']} x{q['scale']} Y PSNR {q['psnr']:.2f} dB end to end (bicubic {q['bicubic_psnr']:.2f} dB)")
    print(f"model card       {info['card'] or 'none (facts above are read from the graph)'}")
    return 0


def register(sub) -> None:
    """Add ``drrn info`` to the sub-command parsers ``sub``."""
    from drrn_tf.nn.loading import describe_model_spec
    from drrn_tf.nn.presets import DEFAULT_PRESET

    inf = sub.add_parser(
        "info",
        help="parameters, MACs per pixel, depth",
        description="Describe a model: parameters, weight sharing, MACs per output pixel, depth, receptive field.",
        **epilog("drrn info", "drrn info drrn_b1u9_f32 --json", "drrn info runs/f32/model.keras", guide=True),
    )
    inf.add_argument("model", nargs="?", default=DEFAULT_PRESET, metavar="MODEL", help=f"{describe_model_spec()} (default: {DEFAULT_PRESET})")
    inf.add_argument("--json", action="store_true", help="print JSON (keys include name, params, macs_per_pixel, depth)")
    inf.set_defaults(func=cmd_info)
