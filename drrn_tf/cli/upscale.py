"""``drrn upscale``: pictures in, pictures out."""

from __future__ import annotations

import os
import sys

from drrn_tf.cli.options import add_tiling, check_scale, check_tile, epilog, one_line, positive, progress, say_runtime
from drrn_tf.constants import MAX_PIXELS, SCALES


def cmd_upscale(args) -> int:
    from drrn_tf.inference.engines import tile_memory_mb, upscale_pixel_bytes
    from drrn_tf.nn.loading import load_engine
    from drrn_tf.upscale.image import upscale_pixels
    from drrn_tf.upscale.jobs import plan_upscale, run_upscale

    def fits(path, h):  # the pixels in and out (or the decoder's peak) leave room for tiles
        need = max(upscale_pixel_bytes(h.height, h.width, h.channels, h.itemsize, args.scale), h.decode_bytes)
        tile_memory_mb(args.memory_mb, need, f"{path}: {h.width}x{h.height} upscaled x{args.scale}")

    model_file = [args.model] if os.path.isfile(args.model) else []
    jobs, make_dir = plan_upscale(
        args.inputs, args.output, args.scale, overwrite=args.overwrite, max_pixels=args.max_pixels, check=fits, extra_inputs=model_file
    )
    engine = load_engine(args.model, args.runtime, require_trained=True)
    check_tile(engine, args.tile)
    check_scale(engine, [args.scale], "-s")
    if not args.quiet:
        say_runtime(engine)
    many = len(jobs) > 1
    bar = None if args.quiet or not many else progress(None, total=len(jobs), desc="upscaling", unit="img")

    def upscale(pixels):
        tiles = (lambda it: it) if args.quiet or many else (lambda it: progress(it, desc="upscaling", unit="tile"))
        return upscale_pixels(engine, pixels, args.scale, window=args.tile, memory_mb=args.memory_mb, progress=tiles)

    def done(job, shape):
        if not args.quiet:
            print(one_line(f"{job.src} -> {job.dst} ({shape[1]}x{shape[0]})"), flush=True)
        if bar is not None:
            bar.update(1)

    run_upscale(
        jobs,
        make_dir,
        upscale,
        max_pixels=args.max_pixels,
        overwrite=args.overwrite,
        on_done=done,
        note=lambda m: print(f"drrn: note: {one_line(m)}", file=sys.stderr),
    )
    if bar is not None:
        bar.close()
    return 0


def register(sub) -> None:
    """Add ``drrn upscale`` to the sub-command parsers ``sub``."""
    from drrn_tf.nn.loading import describe_model_spec
    from drrn_tf.nn.presets import DEFAULT_PRESET

    up = sub.add_parser(
        "upscale",
        help="upscale images by 2, 3 or 4",
        description="Upscale images: Y through the network, Cb/Cr and alpha bicubic; EXIF orientation applied. "
        "The first line says which runtime runs the model, and why.",
        **epilog(
            "drrn upscale photo.jpg -s 3 -o photo_x3.png",
            "drrn upscale holiday/ -s 2 -o holiday_x2/ --model mine.tflite",
            "drrn upscale scan.tif -s 2 -o scan_x2.tif --model drrn_b1u9_f32 --memory-mb 256",
            guide=True,
        ),
    )
    up.add_argument("inputs", nargs="+", metavar="IN", help="input images, or folders (every file inside, sorted; each must be an image)")
    up.add_argument("-s", "--scale", type=int, choices=SCALES, required=True, help="upscaling factor")
    up.add_argument("-o", "--output", required=True, metavar="OUT", help="output image (one input) or folder (several inputs; names get _x{s})")
    up.add_argument("--model", default=DEFAULT_PRESET, metavar="MODEL", help=f"{describe_model_spec()} (default: {DEFAULT_PRESET})")
    add_tiling(up, "auto")
    up.add_argument(
        "--max-pixels",
        type=positive(int),
        default=MAX_PIXELS,
        metavar="N",
        help=f"refuse inputs whose header claims more pixels, before decoding (default {MAX_PIXELS:,})",
    )
    up.add_argument("--overwrite", action="store_true", help="replace outputs that already exist (never an input)")
    up.add_argument("--quiet", action="store_true", help="no progress bars, no per-image lines and no runtime line")
    up.set_defaults(func=cmd_upscale)
