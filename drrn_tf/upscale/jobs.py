"""Upscaling a batch of pictures (``drrn upscale``): plan and validate, then write.

``plan_upscale`` turns inputs (files and folders) and ``-o`` into (input, output) pairs and checks
them before ``run_upscale`` writes the first byte. What concerns the whole run -- an output folder
that cannot be made, two inputs given one output name, an output that is an input or already exists
(unless replacing or skipping was asked) -- is refused at once. With several inputs, an input that
cannot be upscaled (not an image, corrupt, too large, too large for its output format) is set aside
with its one-line reason and the others go ahead; a single input is refused in one line. Each output
is written atomically (temporary file + rename), so a failure never leaves half a file.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from drrn_tf.constants import MAX_PIXELS
from drrn_tf.errors import InputError
from drrn_tf.io.files import check_output, file_ids, os_error
from drrn_tf.io.formats import READ_FORMATS, ImageHeader, sniff_file
from drrn_tf.io.images import LoadedImage, check_output_path, check_output_size, is_image_path, read_image, write_image
from drrn_tf.upscale.image import Target

__all__ = ["FORMATS", "OutputOptions", "RunResult", "UpscaleJob", "UpscalePlan", "expand_inputs", "plan_upscale", "run_upscale"]

# --format's choices and the extensions each stands for (the first one names outputs in a folder).
FORMATS = {"png": (".png",), "jpg": (".jpg", ".jpeg"), "webp": (".webp",), "tiff": (".tif", ".tiff")}
DEFAULT_SUFFIX = "_x{s}"
_LOSSY = (".jpg", ".jpeg", ".webp")
_8_BIT = (".jpg", ".jpeg", ".webp", ".bmp")
# Write errors after which no later output can be written either: the run stops there.
_STOPPING = ("disk full", "disk quota exceeded", "read-only file system", "permission denied", "operation not permitted", "input/output error")


@dataclass(frozen=True)
class OutputOptions:
    """What is asked of the outputs. ``format``: png, jpg, webp or tiff, for outputs named in a folder
    (None: PNG for lossless inputs, .jpg for JPEG and .webp for lossy WebP inputs); ``quality``: 1-100,
    for JPEG and WebP outputs (None: a JPEG input's own estimated quality, else 95); ``suffix``: what
    is added to an input's name in the output folder, ``{s}`` standing for the scale or size (``Target.label``; None: ``_x{s}``);
    ``strip_metadata``: write no colour profile, EXIF or XMP; ``overwrite`` / ``skip_existing``: replace
    or keep outputs that already exist (neither: they are refused)."""

    format: str | None = None
    quality: int | None = None
    suffix: str | None = None
    strip_metadata: bool = False
    overwrite: bool = False
    skip_existing: bool = False


@dataclass(frozen=True)
class UpscaleJob:
    src: Path
    dst: Path
    # The input as decoded while planning, kept when it is the only one (a batch keeps none, so
    # that planning many photos does not hold them all in memory): run_upscale then decodes nothing.
    image: LoadedImage | None = field(default=None, compare=False, repr=False)
    quality: int | None = None  # for a JPEG or WebP output (None: write_image's default)
    depth: int = 1  # bytes per channel value of the input: 2 for 16-bit


@dataclass
class UpscalePlan:
    """Jobs to run; ``failed``: one line per input set aside (a batch only); ``skipped``: outputs that
    exist (``skip_existing``); ``notes``: what the user should know before the run; ``inputs``: how many."""

    jobs: list[UpscaleJob]
    make_dir: Path | None
    options: OutputOptions
    batch: bool = False
    inputs: int = 0
    failed: list[str] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    """What ``run_upscale`` did: outputs written, lines of the inputs that failed while running,
    outputs that appeared meanwhile (skipped), and the error that stopped the run (a full disk)."""

    done: int = 0
    failed: list[str] = field(default_factory=list)
    skipped: int = 0
    stopped: str | None = None


def expand_inputs(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files as given; a folder stands for every visible file directly inside it, sorted by name
    (hidden files and sub-folders left out; a file that is not an image is reported, not skipped)."""
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


def _check_options(o: OutputOptions) -> None:
    if o.overwrite and o.skip_existing:
        raise InputError("--skip-existing keeps the outputs that exist and --overwrite replaces them: choose one")
    if o.format is not None and o.format not in FORMATS:
        raise InputError(f"--format {o.format}: choose one of {', '.join(FORMATS)}")
    if o.quality is not None and (isinstance(o.quality, bool) or not isinstance(o.quality, int) or not 1 <= o.quality <= 100):
        raise InputError(f"--quality {o.quality}: must be a whole number from 1 to 100")
    if o.quality is not None and o.format in ("png", "tiff"):
        raise InputError(f"--quality is for lossy outputs (jpg, webp); --format {o.format} keeps every pixel and has none: leave --quality out")
    s = o.suffix
    if s is not None and ("/" in s or os.sep in s or (os.altsep and os.altsep in s) or not s.isprintable()):
        raise InputError(f"--suffix {s!r}: must be plain text added to a file name (no folder separator, no control character)")


def _folder_ext(fmt: str | None, asked: str | None) -> str:
    if asked is not None:
        return FORMATS[asked][0]
    return {"JPEG": ".jpg", "WEBP": ".webp"}.get(fmt or "", ".png")


def _outputs(sources: list[Path], formats: list, output: str | os.PathLike, target: Target, o: OutputOptions) -> tuple[list[Path], Path | None, bool]:
    """Output path per input, the folder to create (if any), and whether the names follow the folder
    rule (name + suffix + format's extension), without touching disk. ``output`` ending in a slash
    is a folder (``out_x2.5/``); so is one with no image extension, for several inputs."""
    out, slash = Path(output), str(output).endswith(("/", os.sep))
    if not out.is_dir() and (out.is_symlink() or (out.exists() and not out.is_file())):
        check_output(out)  # a link to a file, a device, a FIFO: refused in its own words (a link to a folder is a folder)
    if not out.is_dir() and len(sources) == 1 and out.suffix and not slash:  # a file name (its format is checked with the others)
        if o.format is not None and out.suffix.lower() not in FORMATS[o.format]:
            raise InputError(f"{out}: --format {o.format} asks for a {FORMATS[o.format][0]} file; name -o so, or leave --format out")
        if o.suffix is not None:
            raise InputError(f"--suffix names the outputs written into a folder; -o {out} is a file name")
        return [out], None, False
    if not out.is_dir() and out.exists():
        raise InputError(f"{out}: with several inputs, -o must be a folder")
    if not out.is_dir() and is_image_path(out) and not slash:
        raise InputError(f"{out}: with several inputs, -o must be a folder, not a file name")
    default = DEFAULT_SUFFIX if target.scale is not None else "_{s}"  # photo_x2.5.jpg, photo_w3000.jpg
    suffix = (default if o.suffix is None else o.suffix).replace("{s}", target.label)
    if not suffix and out.is_dir() and any(os.path.realpath(p.parent) == os.path.realpath(out) for p in sources):
        raise InputError(f"--suffix '': {out} holds the inputs, and each output would be named like its input; give a suffix or another -o folder")
    names = [out / f"{p.stem}{suffix}{_folder_ext(f, o.format)}" for p, f in zip(sources, formats)]
    return names, None if out.is_dir() else out, True


def _check_names(pairs: list[tuple[Path, Path]], in_ids: frozenset, in_resolved: set[str]) -> None:
    """No output is an input (by name or inode), and no two inputs share an output."""
    seen: dict[str, Path] = {}
    for src, dst in pairs:
        r = os.path.realpath(dst)
        if r in in_resolved or file_ids([dst]) & in_ids:
            raise InputError(f"{dst}: is an input of this run; refusing to overwrite it")
        if r in seen:
            raise InputError(f"{src} and {seen[r]} would both be written to {dst}")
        seen[r] = src


def _check_outputs(pairs: list[tuple[Path, Path]], make_dir: Path | None, in_ids: frozenset, o: OutputOptions) -> set[Path]:
    """Every output has a format and a writable place; those that exist are refused, or returned to be
    skipped (``skip_existing``)."""
    skipped: set[Path] = set()
    for _, dst in pairs:
        if make_dir is not None:
            continue  # a folder still to create: nothing in it exists, and every name has a format
        check_output_path(dst)  # format, and the folder exists and is writable
        try:
            regular = stat.S_ISREG(os.lstat(dst).st_mode) and not file_ids([dst]) & in_ids
        except OSError:
            regular = False
        if regular and o.skip_existing:
            skipped.add(dst)
            continue
        if regular and not o.overwrite:
            raise InputError(f"{dst}: already exists (pass --overwrite to replace it, or --skip-existing to keep it)")
        check_output(dst, inputs=in_ids, overwrite=o.overwrite)
    return skipped


def _check_run(pairs: list[tuple[Path, Path]], make_dir: Path | None, options: OutputOptions) -> None:
    """--quality with outputs that are all lossless, and an output folder that cannot be created."""
    if options.quality is not None and pairs and not any(d.suffix.lower() in _LOSSY for _, d in pairs):
        kinds = ", ".join(sorted({d.suffix.lower() for _, d in pairs}))
        raise InputError(f"--quality {options.quality}: the outputs here are lossless ({kinds}), which have no quality setting; leave it out")
    if make_dir is not None:
        parent = make_dir.parent if str(make_dir.parent) else Path(".")
        if not parent.is_dir() or not os.access(parent, os.W_OK):
            raise InputError(f"{make_dir}: cannot create output folder (parent missing or not writable)")


def _quality(dst: Path, image: LoadedImage, asked: int | None) -> int | None:
    """The quality of a JPEG or WebP output: as asked, else a JPEG input's own for a JPEG output."""
    if dst.suffix.lower() not in _LOSSY:
        return None
    if asked is not None:
        return asked
    meta = image.metadata
    q = getattr(meta, "jpeg_quality", None) if getattr(meta, "format", None) == "JPEG" else None
    return q if dst.suffix.lower() != ".webp" and isinstance(q, int) and 1 <= q <= 100 else None


def _validate(src: Path, dst: Path, target: Target, max_pixels: int, check, o: OutputOptions, named: bool, keep: bool) -> UpscaleJob:
    """The job of one input, decoded to validate it (format, truncation, pixel limit, ``check`` on its
    header: the memory it needs, and what its output format can hold)."""

    def before_decoding(path, header):
        try:
            out_h, out_w, _ = target.bound(header.height, header.width, header.turned)
        except ValueError as e:
            raise InputError(f"{path}: {e}") from None
        check_output_size(dst, out_w, out_h)
        if check is not None:
            check(path, header)

    image = read_image(src, max_pixels=max_pixels, check=before_decoding)
    pixels = image.pixels
    try:  # the size asked, of the picture as shown (after its EXIF orientation)
        target.plan(*pixels.shape[:2])
    except ValueError as e:
        raise InputError(f"{src}: {e}") from None
    if pixels.ndim == 3 and pixels.shape[2] == 4 and dst.suffix.lower() in (".jpg", ".jpeg"):
        if named:  # a folder's output: the input is the file to name
            raise InputError(f"{src}: has transparency, which JPEG cannot store; use --format png (or webp)")
        raise InputError(f"{dst}: the input has transparency, which JPEG cannot store; use .png")
    return UpscaleJob(src, dst, image if keep else None, _quality(dst, image, o.quality), pixels.dtype.itemsize)


def plan_upscale(
    inputs: Iterable[str | os.PathLike],
    output: str | os.PathLike,
    scale: float | Target,
    options: OutputOptions = OutputOptions(),
    *,
    max_pixels: int = MAX_PIXELS,
    check: Callable[[Path, ImageHeader], None] | None = None,
    extra_inputs: Iterable[str | os.PathLike] = (),
) -> UpscalePlan:
    """The plan of a run, every check done; nothing written. ``scale``: a factor, or a ``Target``
    (a factor, or a width and/or height), which also names the outputs in a folder.

    Each input is decoded once here to validate it (``check`` sees its header first: the memory it
    needs); a single input's pixels are kept in its job for ``run_upscale``. No output may be an
    input (``extra_inputs``: the model file too), a link or a device, or an existing file unless
    ``options`` says to replace or skip it. A batch (several inputs, or a folder) sets aside the inputs
    that fail, each with its line; a single input's failure, and any problem of the whole run, raise
    ``InputError``.
    """
    _check_options(options)
    target = scale if isinstance(scale, Target) else Target(scale=scale)
    given = [Path(p) for p in inputs]
    sources = expand_inputs(given)
    batch = len(sources) > 1 or any(p.is_dir() for p in given)
    formats = [sniff_file(p) for p in sources]
    outputs, make_dir, named = _outputs(sources, formats, output, target, options)
    # A file of no image format (or one that cannot be read) is reported when read_image reads it:
    # its output name takes part in no check of the run.
    pairs = [(s, d) for s, d, f in zip(sources, outputs, formats) if f or not batch]
    in_ids = file_ids([*sources, *(extra_inputs or ())])
    _check_names(pairs, in_ids, {os.path.realpath(p) for p in sources})  # (realpath: no error on a link loop)
    _check_run(pairs, make_dir, options)
    late = not batch and not formats[0]  # a single input of no image format: its own error comes first, as it always did
    skipped = set() if late else _check_outputs(pairs, make_dir, in_ids, options)
    plan = UpscalePlan([], make_dir, options, batch, len(sources), skipped=[d for d in outputs if d in skipped])
    for src, dst, fmt in zip(sources, outputs, formats):
        if dst in skipped:
            continue
        try:
            job = _validate(src, dst, target, max_pixels, check, options, named, keep=not batch)
            if batch and not fmt:  # its output name was in no check
                raise InputError(f"{src}: changed while being read (it was no image a moment before); run again")
            plan.jobs.append(job)
        except (InputError, MemoryError) as e:
            if not batch:
                raise
            plan.failed.append(str(e) if isinstance(e, InputError) else f"{src}: not enough memory to decode it")
    if late:
        plan.skipped = sorted(_check_outputs(pairs, make_dir, in_ids, options))
        plan.jobs = [j for j in plan.jobs if j.dst not in plan.skipped]
    if batch and not plan.jobs and not plan.skipped and all(f == "" for f in formats):
        where = f"{given[0]}: holds no images" if len(given) == 1 and given[0].is_dir() else "no images among the inputs"
        kinds = f"{', '.join(READ_FORMATS[:-1])} or {READ_FORMATS[-1]}"
        raise InputError(f"{where} ({len(sources)} file{'s' if len(sources) != 1 else ''}, none of them {kinds})")
    plan.notes = _notes(plan, dict(zip(sources, formats)), named)
    return plan


def _notes(plan: UpscalePlan, formats: dict[Path, str | None], named: bool) -> list[str]:
    """Before the run: what the folder rule does to lossy inputs, and 16-bit inputs written as 8-bit."""
    notes, phrases = [], []
    if named and plan.options.format is None:
        jpeg = [j for j in plan.jobs if formats[j.src] == "JPEG"]
        if jpeg:
            qs = sorted({j.quality or 95 for j in jpeg})
            at = f"{qs[0]}" if len(qs) == 1 else f"{qs[0]} to {qs[-1]}"
            own = "" if plan.options.quality is not None or not any(j.quality for j in jpeg) else " (their own estimated quality)"
            if own and not all(j.quality for j in jpeg):
                own = " (their own estimated quality, 95 where it is not known)"
            phrases.append(("JPEG inputs", f".jpg at quality {at}{own}"))
        if any(formats[j.src] == "WEBP" for j in plan.jobs):
            phrases.append(("lossy WebP inputs", f".webp at quality {plan.options.quality or 95}"))
    if phrases:
        said = " and ".join(f"{who} {'are written ' if i == 0 else ''}as {how}" for i, (who, how) in enumerate(phrases))
        notes.append(f"{said}; --format png keeps every pixel")
    deep = [j for j in plan.jobs if j.dst.suffix.lower() in _8_BIT and j.depth == 2]
    if deep:
        ext = deep[0].dst.suffix
        who = f"{deep[0].src}: 16-bit, written" if len(deep) == 1 else f"{len(deep)} 16-bit inputs are written"
        notes.append(f"{who} as 8-bit {ext} ({ext} holds 8 bits a channel); --format png or tiff keeps 16 bits")
    return notes


def run_upscale(
    plan: UpscalePlan,
    upscale: Callable[[UpscaleJob, object], object] | None,
    *,
    max_pixels: int = MAX_PIXELS,
    on_done: Callable[[UpscaleJob, tuple], None] = lambda job, shape: None,
    on_error: Callable[[str], None] = lambda message: None,
    note: Callable[[str], None] = lambda message: None,
) -> RunResult:
    """``upscale(job, pixels) -> pixels`` for every planned job, each output written atomically.

    ``on_error`` hears the line of each input that fails: first those set aside while planning (once
    the output folder exists), then those failing now; a batch goes on past them, but stops at a
    write error no later output could escape (a full disk, a read-only folder). A single input's
    failure raises. ``note`` hears what the user should know (an animated input's other frames are
    dropped). With no job, nothing is created; an output folder made for a run that writes nothing
    (an error, an interrupt) is removed again."""
    result = RunResult()
    made = False  # whether this run made the folder (another run may have, meanwhile)
    if plan.make_dir is not None and plan.jobs:
        try:
            plan.make_dir.mkdir(parents=False)
            made = True
        except FileExistsError:
            pass
        except OSError as e:
            raise os_error(plan.make_dir, e, "cannot create the output folder") from e
    try:
        _run_jobs(plan, upscale, result, max_pixels, on_done, on_error, note)
    finally:
        if made and not result.done:
            with contextlib.suppress(OSError):  # only an empty folder goes: anything in it stays
                plan.make_dir.rmdir()
    return result


def _run_jobs(plan: UpscalePlan, upscale, result: RunResult, max_pixels: int, on_done, on_error, note) -> None:
    for message in plan.failed:
        on_error(message)
    for job in plan.jobs:
        if plan.options.skip_existing and os.path.lexists(job.dst):  # written meanwhile (another run)
            result.skipped += 1
            continue
        try:
            shape = _run_one(job, upscale, max_pixels, plan.options, note)
        except (InputError, MemoryError) as e:
            if not plan.batch:
                raise
            message = str(e) if isinstance(e, InputError) else f"{job.src}: out of memory (a smaller --memory-mb, --tile or image needs less)"
            result.failed.append(message)
            on_error(message)
            if any(f"cannot write ({reason}" in message for reason in _STOPPING):
                result.stopped = message
                break
            continue
        result.done += 1
        on_done(job, shape)


def _run_one(job: UpscaleJob, upscale, max_pixels: int, options: OutputOptions, note) -> tuple:
    image = job.image or read_image(job.src, max_pixels=max_pixels)
    if image.frames > 1:
        note(f"{job.src}: animated ({image.frames} frames); only the first frame is upscaled")
    metadata = None if options.strip_metadata else image.metadata
    out = upscale(job, image.pixels)
    del image
    shape = out.shape
    write_image(job.dst, out, overwrite=options.overwrite, consume=True, metadata=metadata, quality=job.quality)  # no second copy
    del out
    return shape
