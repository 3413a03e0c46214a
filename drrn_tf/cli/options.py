"""What every ``drrn`` sub-command shares: argparse types, the one-line error parser, the epilog with
the model guide, the tiling options, progress bars and the runtime line."""

from __future__ import annotations

import argparse
import math
import sys

from drrn_tf.constants import RUNTIMES
from drrn_tf.errors import InputError


def positive(kind):
    """argparse type: a finite number > 0 of ``kind`` (int or float)."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
        return value

    parse.__name__ = kind.__name__
    return parse


def memory_mb(text: str) -> float:
    """argparse type of --memory-mb: a finite number > 0, at most this computer's memory."""
    from drrn_tf.inference.engines import check_memory_mb

    value = positive(float)(text)
    try:
        return check_memory_mb(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e).replace("memory_mb ", "", 1)) from None


def one_line(text: str, limit: int = 1000) -> str:
    """``text`` as one line: control characters (a newline in a file name, an escape sequence) written
    as escapes, so that no message can split into two or forge another; cut at ``limit`` characters."""
    text = "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text[: limit + 1])
    return text if len(text) <= limit else text[:limit] + "... (cut; --debug shows all)"


class Parser(argparse.ArgumentParser):
    """argparse with single-line errors."""

    def error(self, message):
        command = self.prog.split()[-1] if " " in self.prog else None  # "drrn upscale" -> "upscale"; the top parser: none
        raise InputError(f"{command}: {message} (see drrn {command} --help)" if command else f"{message} (see drrn --help)")


def progress(iterable, total: int | None = None, desc: str = "", unit: str = "it"):
    """A progress bar over ``iterable`` (or, with ``None``, one advanced by ``update``) on stderr: tqdm's
    where stderr is a terminal that reports its size, else plain lines (``Lines``)."""
    if not _draws_bars(sys.stderr):
        return Lines(iterable, total=total, desc=desc, unit=unit)
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True)


def _draws_bars(stream) -> bool:
    import os

    try:
        return bool(stream.isatty()) and os.get_terminal_size(stream.fileno()).columns > 0
    except (AttributeError, OSError, ValueError):  # a pipe, a file, a pty of no size, a stream without a descriptor
        return False


class Lines:
    """Progress as plain lines on stderr, for a pipe, a log file or a terminal of no size (where a bar
    would draw nothing): ``desc: 3/12 images``, or ``desc: 40% (52/130 tiles)``. A line when another
    tenth is done or ``every`` seconds have passed, but never sooner than ``gap`` seconds after the
    last one; the last item's line always (where the total is known). From a minute on, a line says
    how long the rest should take at the pace so far (``desc: 3/12 images, about 2 h 15 min left``)."""

    def __init__(self, iterable=None, total: int | None = None, desc: str = "", unit: str = "it", gap: float = 3.0, every: float = 10.0):
        import time

        self.iterable, self.desc, self.gap, self.every, self.n = iterable, desc, gap, every, 0
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.unit = {"img": "images", "it": "items"}.get(unit, unit if unit.endswith("s") else unit + "s")
        self.clock = time.monotonic
        self.start = self.last = self.clock()
        self.tenth = 0

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.update(1)  # the work on it is done once the next one is asked for

    def update(self, n: int = 1) -> None:
        self.n += n
        now, tenth = self.clock(), (10 * self.n // self.total if self.total else 0)
        final = self.total is not None and self.n >= self.total
        if final or (now - self.last >= self.gap and (tenth > self.tenth or now - self.last >= self.every)):
            self.last, self.tenth = now, tenth
            print(self.line(), file=sys.stderr, flush=True)

    def line(self) -> str:
        if not self.total:
            return f"{self.desc}: {self.n} {self.unit}"
        if self.unit == "images":  # one at a time: the count says it
            line = f"{self.desc}: {self.n}/{self.total}" + ("" if self.desc.endswith(self.unit) else f" {self.unit}")
        else:
            line = f"{self.desc}: {100 * self.n // self.total}% ({self.n}/{self.total} {self.unit})"
        spent = self.last - self.start
        if spent < 60 or not 0 < self.n < self.total:
            return line
        return f"{line}, about {duration(spent / self.n * (self.total - self.n))} left"

    def close(self) -> None:
        pass


def duration(seconds: float) -> str:
    """``40 s``, ``12 min``, ``3 h 05 min``: a time as a person reads it."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60:02d} min"


def say_runtime(engine) -> None:
    """The line that starts a command which runs a network: which runtime, and why."""
    if engine is not None:
        labels = {
            "keras": "keras (TensorFlow, float32)",
            "keras-bf16": "keras-bf16 (TensorFlow, bfloat16 maths)",
            "litert int8": "litert int8 (LiteRT, XNNPACK)",
        }
        label = labels.get(engine.runtime, engine.runtime)
        print(f"drrn: runtime {label}: {engine.why}", file=sys.stderr, flush=True)


def check_tile(engine, tile: int | None) -> None:
    from drrn_tf.inference.engines import RgbEngine

    if engine is None or tile is None:
        return
    if isinstance(engine, RgbEngine) or engine.fixed is not None:
        raise InputError(f"--tile {tile}: {engine.name} has a fixed input shape and is tiled at it; leave --tile out")
    halo = engine.halo
    if tile <= 2 * halo:
        raise InputError(f"--tile {tile} is too small: each tile needs {halo} pixels of context on every side, so it must be larger than {2 * halo}")


def epilog(*examples: str, guide: bool = False) -> dict:
    """``add_parser`` keywords for a sub-command's epilog: the "which model" guide where a model is
    chosen, then examples (every sub-command has two or three)."""
    text = "examples:\n" + "\n".join(f"  {e}" for e in examples)
    if guide:
        from drrn_tf.nn.presets import choice_guide

        text = choice_guide() + "\n\n" + text
    return {"epilog": text, "formatter_class": argparse.RawDescriptionHelpFormatter}


def add_tiling(sp, runtime: str) -> None:
    """--tile, --memory-mb, --runtime (default ``runtime``) and --ensemble, for the commands that run a network."""
    from drrn_tf.inference.engines import DEFAULT_MEMORY_MB

    sp.add_argument("--tile", type=positive(int), default=None, metavar="PX", help="tile side in output pixels (default: from --memory-mb)")
    sp.add_argument(
        "--memory-mb",
        type=memory_mb,
        default=DEFAULT_MEMORY_MB,
        metavar="MB",
        help=f"memory for a picture, in MiB (default {DEFAULT_MEMORY_MB:.0f}): its input and output pixels (or the decoder's peak), "
        "64 of slack, and tiles with what is left (at most 1024); a picture whose pixels leave under 96 is refused before it is decoded",
    )
    sp.add_argument(
        "--runtime",
        choices=RUNTIMES,
        default=None if runtime == "keras" else runtime,
        help=f"(default {runtime}) auto: the fastest runtime whose quality passes the parity gate -- for a trained preset its "
        "full-int8 LiteRT export, which ships in the package (needs the export extra), else keras; keras: TensorFlow float32, "
        "the paper-exact reference; keras-bf16: Keras with bfloat16 maths (for CPUs with AMX); litert: the full-int8 LiteRT export (for a .keras file made, parity-checked and cached "
        "on first use, in DRRN_CACHE, else XDG_CACHE_HOME/drrn-tf or ~/.cache/drrn-tf). An exported .tflite/.onnx runs in its own runtime",
    )
    sp.add_argument(
        "--ensemble",
        action="store_true",
        help="x8 self-ensemble: run the network on the 8 flips and quarter turns of each tile and average them, turned back "
        "(8x the time; a little higher PSNR)",
    )


def check_scale(engine, scales: list[int], option: str) -> None:
    from drrn_tf.inference.engines import RgbEngine

    if isinstance(engine, RgbEngine) and set(scales) != {engine.scale}:
        raise InputError(f"{engine.name} is an end-to-end x{engine.scale} model; {option} {' '.join(map(str, scales))} asks for other scales")
