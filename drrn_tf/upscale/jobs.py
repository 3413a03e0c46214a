"""Upscaling a batch of pictures (``drrn upscale``): plan, validate everything, then write.

``plan_upscale`` turns inputs (files and folders) and ``-o`` into (input, output) pairs
and checks every one of them -- each input decodes, is within the pixel limit, each output
name has a writable format that can hold it, no input or existing file is overwritten
unless asked -- before ``run_upscale`` writes the first byte. Each output is written
atomically (temporary file + rename).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from drrn_tf.constants import MAX_PIXELS
from drrn_tf.errors import InputError
from drrn_tf.io.files import check_output, file_ids, os_error
from drrn_tf.io.formats import ImageHeader
from drrn_tf.io.images import IMAGE_EXTENSIONS, LoadedImage, check_output_path, check_output_size, is_image_path, read_image, write_image

__all__ = ["UpscaleJob", "expand_inputs", "plan_upscale", "run_upscale"]


@dataclass(frozen=True)
class UpscaleJob:
    src: Path
    dst: Path
    # The input as decoded while planning, kept when it is the only one (a batch keeps none, so
    # that planning many photos does not hold them all in memory): run_upscale then decodes nothing.
    image: LoadedImage | None = field(default=None, compare=False, repr=False)


def expand_inputs(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files as given; a folder stands for every visible file directly inside it, sorted by name
    (each must then be an image: a stray file is reported, not skipped)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith("."))
            if not files:
                raise InputError(f"{p}: empty folder, no images to upscale")
            out.extend(files)
        else:
            out.append(p)
    return out


def _outputs(inputs: list[Path], out: Path, scale: int) -> tuple[list[Path], Path | None]:
    """Output path per input, and the folder to create (if any), without touching disk."""
    if not out.is_dir() and (out.is_symlink() or (out.exists() and not out.is_file())):
        check_output(out)  # a link to a file, a device, a FIFO: refused in its own words (a link to a folder is a folder)
    if out.is_dir():
        return [out / f"{p.stem}_x{scale}{p.suffix.lower()}" for p in inputs], None
    if len(inputs) == 1 and out.suffix:  # a file name (its format is checked with the others)
        return [out], None
    if out.exists():
        raise InputError(f"{out}: with several inputs, -o must be a folder")
    if out.suffix:
        raise InputError(f"{out}: with several inputs, -o must be a folder, not a file name")
    return [out / f"{p.stem}_x{scale}{p.suffix.lower()}" for p in inputs], out


def plan_upscale(
    inputs: Iterable[str | os.PathLike],
    output: str | os.PathLike,
    scale: int,
    *,
    overwrite: bool = False,
    max_pixels: int = MAX_PIXELS,
    check: Callable[[Path, ImageHeader], None] | None = None,
    extra_inputs: Iterable[str | os.PathLike] = (),
) -> tuple[list[UpscaleJob], Path | None]:
    """Jobs and the output folder to create (``None`` if none), every check done; nothing written.

    Each input is decoded once here to validate it (format, truncation, pixel limit, and ``check``
    on its header: the memory it needs); a single input's pixels are kept in its job for
    ``run_upscale``. No output may be an input (``extra_inputs``: the model file too), a link
    or a device, or an existing file unless ``overwrite``.
    """
    sources = expand_inputs(inputs)
    outputs, make_dir = _outputs(sources, Path(output), scale)
    seen: dict[Path, Path] = {}
    in_resolved = {os.path.realpath(p) for p in sources}  # (realpath: no error on a link loop)
    in_ids = file_ids([*sources, *(extra_inputs or ())])
    for src, dst in zip(sources, outputs):
        r = os.path.realpath(dst)
        if r in in_resolved or file_ids([dst]) & in_ids:
            raise InputError(f"{dst}: is an input of this run; refusing to overwrite it")
        if r in seen:
            raise InputError(f"{src} and {seen[r]} would both be written to {dst}")
        seen[r] = src
    if make_dir is not None:
        parent = make_dir.parent if str(make_dir.parent) else Path(".")
        if not parent.is_dir() or not os.access(parent, os.W_OK):
            raise InputError(f"{make_dir}: cannot create output folder (parent missing or not writable)")
    kept = None
    for src, dst in zip(sources, outputs):  # every input decodes, within the pixel limit and the memory budget

        def before_decoding(path, header, dst=dst):
            check_output_size(dst, header.width * scale, header.height * scale)
            if check is not None:
                check(path, header)

        image = read_image(src, max_pixels=max_pixels, check=before_decoding)
        kept = image if len(sources) == 1 else None
        pixels = image.pixels
        if pixels.ndim == 3 and pixels.shape[2] == 4 and dst.suffix.lower() in (".jpg", ".jpeg"):
            raise InputError(f"{dst}: the input has transparency, which JPEG cannot store; use .png")
    for dst in outputs:  # every output name has a format and a writable place
        if make_dir is None:
            check_output_path(dst)  # format, and the folder exists and is writable
            check_output(dst, inputs=in_ids, overwrite=overwrite)
        elif not is_image_path(dst):
            raise InputError(f"{dst}: unsupported output format '{dst.suffix}' (use one of {', '.join(IMAGE_EXTENSIONS)})")
    return [UpscaleJob(s, d, kept) for s, d in zip(sources, outputs)], make_dir


def run_upscale(
    jobs: list[UpscaleJob],
    make_dir: Path | None,
    upscale: Callable,
    *,
    max_pixels: int = MAX_PIXELS,
    overwrite: bool = False,
    on_done: Callable[[UpscaleJob, tuple], None] = lambda job, shape: None,
    note: Callable[[str], None] = lambda message: None,
) -> None:
    """``upscale(pixels) -> pixels`` for every planned job, each output written atomically;
    ``note`` hears what the user should know (an animated input's other frames are dropped)."""
    if make_dir is not None:
        try:
            make_dir.mkdir(parents=False, exist_ok=True)
        except OSError as e:
            raise os_error(make_dir, e, "cannot create the output folder") from e
    for job in jobs:
        image = job.image or read_image(job.src, max_pixels=max_pixels)
        if image.frames > 1:
            note(f"{job.src}: animated ({image.frames} frames); only the first frame is upscaled")
        out = upscale(image.pixels)
        del image
        shape = out.shape
        write_image(job.dst, out, overwrite=overwrite, consume=True)  # no second copy of the output
        del out
        on_done(job, shape)
