"""What an interrupted ``drrn eval --json OUT`` had scored, kept in ``OUT.partial`` so that the same
command, run again, goes on from there instead of starting over.

The journal is JSON lines: a header (the settings that decide every score, and a *probe*: the
model's output on a small fixed input, which tells the same network in the same runtime from any
other whatever its file is called), then one line per run (the CPU it ran on) followed by one line
per image scored (its scores and the seconds it took). Nothing is written before a run's first
image is scored; then the journal is rewritten (atomically) with what it keeps, and each line is
appended and flushed as soon as it is known. A last line cut off by a crash is dropped when the
journal is read back. Scores are kept only for settings that match and a probe that matches up to
float rounding (``_same_outputs``); anything else is a one-line refusal that names the journal, and
nothing is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from drrn_tf.errors import InputError
from drrn_tf.io.files import os_error, read_capped, write_bytes_atomic

__all__ = ["EvalJournal", "probe", "set_digest", "PROBE_TOLERANCE"]

KIND = "drrn eval journal"
VERSION = 1
PROBE_SIDE = 32  # pixels of the probe's input: small, and tiled or not the same up to float rounding
PROBE_TOLERANCE = 1e-4  # the mean difference: far above float noise, far below another model's
MAX_BYTES = 256 * 2**20  # a journal of a million images; a larger file is not one


def probe(predict: Callable[[np.ndarray], np.ndarray] | None, rgb_upscale: Callable | None = None, scale: int = 2) -> list[float] | None:
    """The model's output on a fixed noise image (a Y plane in [0, 1], or uint8 RGB upscaled by
    ``rgb_upscale`` at its model's ``scale`` for an end-to-end model), rounded to 6 decimals;
    ``None`` for bicubic, which has no model."""
    rng = np.random.default_rng(20170601)
    if rgb_upscale is not None:
        out = rgb_upscale(rng.integers(0, 256, (PROBE_SIDE, PROBE_SIDE, 3), dtype=np.uint8), scale)
        return np.round(np.asarray(out, np.float64).ravel() / 255.0, 6).tolist()
    if predict is None:
        return None
    return np.round(np.asarray(predict(rng.random((PROBE_SIDE, PROBE_SIDE))), np.float64).ravel(), 6).tolist()


def set_digest(images: Iterable[Path]) -> str:
    """SHA-256 over the names and bytes of a set's image files: the same set, file for file."""
    h = hashlib.sha256()
    for path in images:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise os_error(path, e, "cannot read") from e
        h.update(f"{path.name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def _key(record: dict) -> tuple[int, float, str]:
    return record["set"], record["scale"], record["image"]


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_record(record) -> bool:
    """Whether a journal line's ``score`` is one image's: its set (position), scale, file name, scores and seconds."""
    return (
        isinstance(record, dict)
        and isinstance(record.get("set"), int)
        and isinstance(record.get("image"), str)
        and all(_number(record.get(k)) for k in ("scale", "seconds"))
        and isinstance(record.get("scores"), dict)
        and all(_number(v) for v in record["scores"].values())
    )


def _is_header(line) -> bool:
    probe_values = line.get("probe") if isinstance(line, dict) else None
    return (
        isinstance(line, dict)
        and line.get("kind") == KIND
        and line.get("version") == VERSION
        and isinstance(line.get("settings"), dict)
        and _is_sets(line["settings"].get("sets", []))
        and (probe_values is None or (isinstance(probe_values, list) and all(_number(v) for v in probe_values)))
    )


def _is_sets(sets) -> bool:
    """Whether a header's ``sets`` is a list of [name, digest] pairs."""
    return isinstance(sets, list) and all(isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, str) for v in pair) for pair in sets)


def _is_cpu(cpu) -> bool:
    return isinstance(cpu, dict) and isinstance(cpu.get("name"), str) and isinstance(cpu.get("cores"), int)


def _same_outputs(old: list[float], new: list[float]) -> bool:
    """Whether two probes are one model's: equal up to float rounding (``PROBE_TOLERANCE`` on the mean
    difference), a uint8 or int8 output allowed one step of rounding on a few values."""
    if len(old) != len(new):
        return False
    diff = np.abs(np.subtract(old, new))
    return float(diff.mean()) <= PROBE_TOLERANCE and float(diff.max()) <= 1.5 / 255


def _differs(header: dict, settings: dict, probe_values: list[float] | None) -> str | None:
    """What tells the journal's evaluation from this one, in a few words; ``None`` if nothing does."""
    theirs = header["settings"]
    for name, value in settings.items():
        if name == "sets" and theirs.get(name) != value:
            old, now = dict(map(tuple, theirs.get(name) or [])), dict(map(tuple, value))
            changed = [n for n in now if n in old and old[n] != now[n]]
            return f"set {changed[0]}'s files have changed" if changed else f"its sets are {', '.join(old) or 'none'}, this run's {', '.join(now)}"
        if theirs.get(name) != value:
            return f"its {name.replace('_', ' ')} is {json.dumps(theirs.get(name))}, this run's {json.dumps(value)}"
    old = header["probe"]
    if (old is None) != (probe_values is None):
        return "one of the two is bicubic"
    if old is not None and not _same_outputs(old, probe_values):
        return "its model's outputs differ from this one's"
    return None


class EvalJournal:
    """The journal of one ``drrn eval --json OUT``: ``done`` holds the scores of earlier runs, by
    (the set's position in ``--data``, scale, image file name)."""

    def __init__(self, path: Path, header: dict, runs: list[tuple[dict, list[dict]]]):
        self.path, self.header, self.runs = path, header, runs  # runs: (cpu, its records), oldest first
        self.done = {_key(r): r["scores"] for _, records in runs for r in records}  # earlier runs' only
        self._file, self._clock, self._failed = None, 0.0, False

    @classmethod
    def open(cls, path: str | os.PathLike, settings: dict, probe_values: list[float] | None, start_over: bool = False) -> EvalJournal:
        """The journal at ``path`` if it is one of this evaluation (its scores kept), else a new one;
        one-line ``InputError`` for a file that is not a journal, or one of another evaluation unless
        ``start_over`` (then it is replaced once this run scores its first image)."""
        path = Path(path)
        settings = json.loads(json.dumps(settings))  # as it reads back
        header = {"kind": KIND, "version": VERSION, "settings": settings, "probe": probe_values}
        if not path.exists():
            return cls(path, header, [])
        old, runs = cls._read(path)
        why = _differs(old, settings, probe_values)
        if why is None and any(not set(settings["metrics"]) <= set(r["scores"]) for _, records in runs for r in records):
            why = "an image's scores lack one of its metrics"
        if why is None:
            return cls(path, old, [run for run in runs if run[1]])
        if start_over:
            return cls(path, header, [])
        raise InputError(
            f"{path}: an interrupted evaluation of other settings ({why}): finish it with the command that began it, "
            f"or pass --overwrite to start over (it is replaced)"
        )

    @staticmethod
    def _read(path: Path) -> tuple[dict, list[tuple[dict, list[dict]]]]:
        """The journal's header and runs, a cut-off last line dropped; one line refusing anything else."""
        not_one = f"{path}: not a drrn eval journal (move it away, or write the results elsewhere)"
        text = read_capped(path, MAX_BYTES, "drrn eval journal").decode("utf-8", errors="replace")
        raws, lines = text.splitlines(), []
        for i, raw in enumerate(raws):
            try:
                lines.append(json.loads(raw))
            except json.JSONDecodeError:
                if 0 < i == len(raws) - 1 and not text.endswith("\n"):
                    break  # cut off when the run was killed
                raise InputError(f"{not_one}: line {i + 1} is not JSON") from None
        if not lines or not _is_header(lines[0]):
            raise InputError(not_one)
        runs: list[tuple[dict, list[dict]]] = []
        for i, line in enumerate(lines[1:], start=2):
            if isinstance(line, dict) and _is_cpu(line.get("run")):
                runs.append((line["run"], []))
            elif runs and isinstance(line, dict) and _is_record(line.get("score")):
                runs[-1][1].append(line["score"])
            else:
                raise InputError(f"{not_one}: line {i} is neither a run nor an image's scores")
        return lines[0], runs

    @property
    def scored(self) -> int:
        return len(self.done)

    @property
    def resumed(self) -> bool:
        """Whether earlier runs of this evaluation scored something."""
        return bool(self.done)

    def begin(self, cpu: dict) -> None:
        """Start this run (on ``cpu``); nothing is written until its first image is scored."""
        self.runs.append((cpu, []))
        self._clock = time.monotonic()

    def _lines(self) -> bytes:
        lines = [self.header] + [line for run, records in self.runs for line in ({"run": run}, *({"score": r} for r in records))]
        return "".join(json.dumps(line) + "\n" for line in lines).encode()

    def add(self, key: tuple[int, float, str], scores: dict[str, float]) -> None:
        """Keep one image's scores, and the seconds since ``begin`` or the image before, before the next
        is begun; the first of a run rewrites the journal (atomically) with what it keeps, and this run."""
        now = time.monotonic()
        record = {"set": key[0], "scale": key[1], "image": key[2], "scores": scores, "seconds": round(now - self._clock, 3)}
        self._clock = now
        self.runs[-1][1].append(record)
        try:
            if self._file is None:
                write_bytes_atomic(self.path, self._lines())
                self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 -- open for the whole run, until close()
            else:
                self._file.write(json.dumps({"score": record}) + "\n")
            self._file.flush()
        except OSError as e:
            self._failed = True  # what the journal holds stays, as if the run had been stopped here
            raise os_error(self.path, e) from e

    def summary(self) -> list[dict]:
        """Each run that scored something: its CPU, how many image/scale pairs it scored and the seconds they took."""
        return [{"cpu": cpu, "images": len(records), "seconds": round(sum(r["seconds"] for r in records), 1)} for cpu, records in self.runs if records]

    def close(self, outcome: str) -> None:
        """Stop writing. ``outcome``: ``stopped`` (interrupted: all is kept), ``refused`` (bad input:
        this run's scores are dropped, the journal left as it was before it), ``done`` (the results
        are written: the journal goes)."""
        file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):  # a full disk has been reported by ``add`` already
                file.close()
        wrote = file is not None  # this run scored something, and so wrote the journal
        if self._failed:
            outcome = "stopped"
        if outcome == "done" or (outcome == "refused" and wrote and not self.resumed):
            self.path.unlink(missing_ok=True)
        elif outcome == "refused" and wrote:
            self.runs.pop()
            write_bytes_atomic(self.path, self._lines())
