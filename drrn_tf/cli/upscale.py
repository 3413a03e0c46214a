"""``drrn upscale``: pictures in, pictures out."""

from __future__ import annotations

import os
import sys

from drrn_tf.cli.options import add_tiling, check_scale, check_tile, epilog, one_line, positive, progress, say_runtime
from drrn_tf.cli.process import interruptible
from drrn_tf.constants import MAX_PIXELS
from drrn_tf.errors import InputError

FORMATS = ("png", "jpg", "webp", "tiff")  # drrn_tf.upscale.jobs.FORMATS (not imported here: drrn --help stays light)

DESCRIPTION = """\
Upscale images: Y through the network, Cb/Cr and alpha bicubic; EXIF orientation applied. The first
line says which runtime runs the model, and why. The output is ceil(S x side) pixels on each axis for
-s S (as MATLAB's imresize), or exactly the size asked (--width and --height keep the aspect ratio,
the other side rounded; no side may shrink, nor grow more than 16 times). The network runs at x2, x3
or x4; at another factor or a size at the next of those up (at most x4), and its output is
resampled to the size by MATLAB's bicubic: measured better than running it at the factor itself.

outputs in a folder are named after their input: NAME + suffix + extension, the suffix _x{s} by
default ({s} is the scale): photo.jpg -s 2 gives photo_x2.jpg, scan.tif gives scan_x2.png; with a
size, _{s}: photo_w3000.jpg, photo_h2000.jpg, photo_3840x2160.jpg. Without
--format, lossless inputs (PNG, BMP, TIFF, GIF, lossless WebP) are written as PNG, and JPEG and lossy
WebP inputs in their own format: JPEG at the input's own estimated quality (a note says which);
--format png keeps every pixel. A colour profile, EXIF and XMP are kept unless --strip-metadata;
16-bit stays 16-bit in PNG and TIFF (JPEG, WebP and BMP hold 8 bits: a note says so); transparency
into JPEG is refused.

with several inputs (or a folder), an input that cannot be upscaled (not an image, corrupt, too
large) gets one error line and is skipped; the others are upscaled, and a closing line counts them
(a full disk stops the run there). Hidden files in a folder are left out. What concerns the whole
run (an output folder that cannot be made, two inputs with one output name, an output that exists
without --overwrite or --skip-existing, a model that does not load) is refused before any work, as
is a single input that cannot be upscaled. A bar shows progress on a terminal; elsewhere (a pipe,
a log file) a plain line every few seconds does.

exit status: 0 every image upscaled (or its output already there, with --skip-existing); 1 some
images failed, the others were upscaled; 2 nothing could be done (bad options, or no input could be
upscaled), nothing written."""


def quality(text: str) -> int:
    """argparse type of --quality: a whole number from 1 to 100."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 100, got {text!r}") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be from 1 to 100, got {value}")
    return value


def upscale_scale(text: str) -> float:
    """argparse type of -s: a real number from 1 to 16 (an int when it is a whole one)."""
    import argparse

    from drrn_tf.upscale.image import MAX_SCALE

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to {MAX_SCALE}, got {text[:40]!r}") from None
    if not 1 <= value <= MAX_SCALE:  # (NaN too)
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_SCALE}, got {text[:40]!r}")
    return int(value) if value.is_integer() else value


def output_size(text: str) -> tuple[int, int]:
    """argparse type of --size: WxH in pixels, as (width, height)."""
    import argparse
    import re

    w, _, h = text.lower().partition("x")
    if not (re.fullmatch("[0-9]+", w) and re.fullmatch("[0-9]+", h) and int(w) > 0 and int(h) > 0):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT in pixels, such as 3840x2160, got {text[:40]!r}")
    return int(w), int(h)


def target(args):
    """The ``Target`` of -s, --width, --height or --size (argparse lets exactly one through)."""
    from drrn_tf.upscale.image import Target

    if args.size is not None:
        return Target(width=args.size[0], height=args.size[1])
    return Target(scale=args.scale, width=args.width, height=args.height)


def cmd_upscale(args) -> int:
    from drrn_tf.inference.engines import RgbEngine, tile_memory_mb
    from drrn_tf.inference.ensemble import self_ensemble
    from drrn_tf.nn.loading import load_engine
    from drrn_tf.protocol.evaluation import resampled
    from drrn_tf.upscale.image import pixel_bytes, upscale_pixels
    from drrn_tf.upscale.jobs import OutputOptions, RunResult, plan_upscale, run_upscale

    asked = target(args)

    def fits(path, h):  # the pixels in and out (and between, away from x2/x3/x4) or the decoder's peak leave room for tiles
        out_h, out_w, scales = asked.bound(h.height, h.width, h.turned)
        away = args.model != "bicubic" and resampled(*scales)
        need = max(pixel_bytes(h.height, h.width, h.channels, h.itemsize, max(scales), away), h.decode_bytes)
        tile_memory_mb(args.memory_mb, need, f"{path}: {h.width}x{h.height} upscaled to {out_w}x{out_h}")

    options = OutputOptions(args.format, args.quality, args.suffix, args.strip_metadata, args.overwrite, args.skip_existing)
    model_file = [args.model] if os.path.isfile(args.model) else []
    plan = plan_upscale(args.inputs, args.output, asked, options, max_pixels=args.max_pixels, check=fits, extra_inputs=model_file)
    error = lambda m: print(f"drrn: error: {one_line(m)}", file=sys.stderr, flush=True)  # noqa: E731
    if not plan.jobs:  # every output exists (--skip-existing), or no input could be upscaled
        run_upscale(plan, None, on_error=error)
        return _finish(plan, RunResult(), args.quiet)
    engine = load_engine(args.model, args.runtime, require_trained=True)
    check_tile(engine, args.tile)
    if args.ensemble:
        engine = self_ensemble(engine)
    engine = interruptible(engine)  # Ctrl-C lands at once, not when a tile is done
    if asked.scale is not None:
        check_scale(engine, [asked.scale], "-s")
    elif isinstance(engine, RgbEngine):
        raise InputError(f"{engine.name} is an end-to-end x{engine.scale} model; it cannot upscale to a given size (use -s {engine.scale})")
    if not args.quiet:
        say_runtime(engine)
    for message in [] if args.quiet else plan.notes:
        print(f"drrn: note: {one_line(message)}", file=sys.stderr, flush=True)
    bar = None if args.quiet or not plan.batch else progress(None, total=len(plan.jobs), desc="upscaling", unit="img")

    def upscale(job, pixels):
        tiles = (lambda it: it) if args.quiet or plan.batch else (lambda it: progress(it, desc=f"upscaling {job.src.name}", unit="tile"))
        return upscale_pixels(engine, pixels, **asked.kwargs(*pixels.shape[:2]), window=args.tile, memory_mb=args.memory_mb, progress=tiles)

    def done(job, shape):
        if not args.quiet:
            print(one_line(f"{job.src} -> {job.dst} ({shape[1]}x{shape[0]})"), flush=True)
        if bar is not None:
            bar.update(1)

    def failed(message):
        error(message)
        if bar is not None and message not in plan.failed:
            bar.update(1)

    note = lambda m: print(f"drrn: note: {one_line(m)}", file=sys.stderr, flush=True)  # noqa: E731
    result = run_upscale(plan, upscale, max_pixels=args.max_pixels, on_done=done, on_error=failed, note=note)
    if bar is not None:
        bar.close()
    return _finish(plan, result, args.quiet)


def _finish(plan, result, quiet: bool) -> int:
    """The closing line of a batch (or of a run with nothing to do; under --quiet only after a failure),
    and the exit status: 0 all done, 1 some inputs failed and the others have their outputs, 2 none has."""
    failed = len(plan.failed) + len(result.failed)
    skipped = len(plan.skipped) + result.skipped

    def say(line):
        if failed or not quiet:
            print(one_line(line), file=sys.stderr, flush=True)

    if not failed and not result.done and skipped:
        exist = f"{plan.skipped[0]} exists" if not plan.batch and plan.skipped else f"all {skipped} outputs exist"
        say(f"nothing to do: {exist} (--skip-existing)")
        return 0
    if plan.batch:
        line = f"upscaled {result.done} of {plan.inputs} image{'s' if plan.inputs != 1 else ''}"
        if skipped:
            line += f"; {skipped} skipped (their outputs exist)"
        if failed:
            line += f"; {failed} failed (listed above)"
        if result.stopped:
            left = len(plan.jobs) - result.done - len(result.failed) - result.skipped
            line += f"; stopped at that write error, {left} not tried"
        say(line)
    if not failed:
        return 0
    return 1 if result.done or skipped else 2


def _add_size(up) -> None:
    """-s, or --width, --height or --size: exactly one of them."""
    how = up.add_mutually_exclusive_group(required=True)
    how.add_argument(
        "-s",
        "--scale",
        type=upscale_scale,
        metavar="S",
        help="upscaling factor: any number from 1 to 16 (the networks run at 2, 3 or 4: at another factor at the next of those up, "
        "at most 4, then resampled; -s 1.5 costs as much as -s 2)",
    )
    how.add_argument("--width", type=positive(int), metavar="W", help="output width in pixels, the height in proportion (rounded)")
    how.add_argument("--height", type=positive(int), metavar="H", help="output height in pixels, the width in proportion (rounded)")
    how.add_argument("--size", type=output_size, metavar="WxH", help="exact output size in pixels (each axis stretched on its own)")


def register(sub) -> None:
    """Add ``drrn upscale`` to the sub-command parsers ``sub``."""
    from drrn_tf.nn.loading import describe_model_spec
    from drrn_tf.nn.presets import DEFAULT_PRESET

    up = sub.add_parser(
        "upscale",
        help="upscale images by any factor from 1 to 16, or to a size",
        description=DESCRIPTION,
        **epilog(
            "drrn upscale photo.jpg -s 2.5 -o photo_x2.5.png --model drrn_b1u9_f32_real",
            "drrn upscale photo.jpg --width 3000 -o photo_w3000.jpg",
            "drrn upscale holiday/ -s 2 -o holiday_x2/ --skip-existing --format png",
            guide=True,
        ),
    )
    up.add_argument("inputs", nargs="+", metavar="IN", help="input images, or folders (every visible file inside, sorted by name)")
    _add_size(up)
    up.add_argument("-o", "--output", required=True, metavar="OUT", help="output image (one input) or folder (several inputs, or one named by the rule below)")
    up.add_argument("--model", default=DEFAULT_PRESET, metavar="MODEL", help=f"{describe_model_spec()} (default: {DEFAULT_PRESET})")
    add_tiling(up, "auto")
    up.add_argument(
        "--max-pixels",
        type=positive(int),
        default=MAX_PIXELS,
        metavar="N",
        help=f"refuse inputs whose header claims more pixels, before decoding (default {MAX_PIXELS:,})",
    )
    up.add_argument(
        "--format",
        choices=list(FORMATS),
        help="the format of the outputs written into a folder (default: PNG for lossless inputs, the input's own for JPEG "
        "and lossy WebP); with one output file, its name's extension must agree",
    )
    up.add_argument(
        "--quality",
        type=quality,
        metavar="N",
        help="1-100, for JPEG and WebP outputs (default: a JPEG input's own estimated quality when writing JPEG, else 95)",
    )
    up.add_argument(
        "--suffix",
        metavar="TEXT",
        help="added to each input's name in the output folder; {s} is the scale, or the size asked (w3000, h2000, 3840x2160) (default: _x{s}, or _{s} for a size; one that starts with - is given as --suffix=-TEXT)",
    )
    up.add_argument("--strip-metadata", action="store_true", help="write no colour profile, EXIF or XMP (by default the input's are kept)")
    up.add_argument("--overwrite", action="store_true", help="replace outputs that already exist (never an input)")
    up.add_argument("--skip-existing", action="store_true", help="leave outputs that already exist as they are, and upscale the rest (to resume a folder)")
    up.add_argument(
        "--quiet", action="store_true", help="no progress, no per-image lines, no runtime line, no notes on formats and no closing line unless something failed"
    )
    up.set_defaults(func=cmd_upscale)
