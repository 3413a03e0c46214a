"""The generated blocks of README.md and the docs: every table of committed results, rewritten from benchmarks/results/
(and the lists the code holds: the refusals ``drrn --help`` prints, the API pages' modules, the public names).

    python -m benchmarks.tables             # rewrite every block in README.md and docs/**/*.md
    python -m benchmarks.tables --check     # change nothing; exit 1 naming each file and block that differs

A block is the text between ``<!-- table:NAME -->`` and ``<!-- /table:NAME -->``; NAME says what goes
there (``BLOCKS`` below), and a block may appear in several files. Each table comes with the commands
that produced its numbers, and is formatted by the benchmark script that owns it (results_table.py,
bench_table.py, latency_report.py) wherever that script has a formatting function. Times nothing and
evaluates nothing: it reads the committed JSON/CSV only (and never the export cache, so it writes the
same on every machine).
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

from drrn_tf.io.files import write_bytes_atomic

try:  # python -m benchmarks.tables
    from benchmarks import any_scale, bench_table, latency_report, real_world, results_table
except ImportError:  # python benchmarks/tables.py (this folder is on sys.path)
    import any_scale
    import bench_table
    import latency_report
    import real_world
    import results_table

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
MARKER = re.compile(r"<!-- table:(?P<name>[\w-]+) -->\n(?P<body>.*?)<!-- /table:(?P=name) -->", re.S)
OPENING = re.compile(r"<!-- (/?)table:([\w-]+) -->")
# Blocks a file must hold (drrn --help's refusals: tests/test_cli.py reads them in README.md).
REQUIRED = {"README.md": ("presets", "results-x4", "refusals")}


def _json(name: str) -> dict:
    return json.loads((RESULTS / name).read_text())


def _code(lines: list[str]) -> str:
    return "```\n" + "\n".join(lines) + "\n```"


# The 288x288 times the choice guide shows, where bench_presets.json has them: (runtime, quant, label).
PRESET_TIMES = [("keras", "fp32", "Keras"), ("litert", "int8", "LiteRT int8")]


def presets() -> str:
    """Which preset to pick: parameters, MACs and 288x288 time at 2 threads (drrn bench), Set5 x4 PSNR (drrn eval)."""
    from drrn_tf.nn.presets import DEFAULT_PRESET, PRESETS

    doc = _json("bench_presets.json")
    by = {(r["model"], r["runtime"], r["quant"], int(r["threads"])): r for r in doc["rows"] if r["size"] == "288x288"}
    lines = []
    for name, preset in PRESETS.items():
        # its own table, or for a preset made to be exported as full int8 (it has no int8 twin but is one), its int8 export's
        stem = f"{name}_int8" if name.endswith("_qat") else name
        if not preset.use:  # not a preset to pick (the paper's baselines, untrained)
            continue
        found = results_table.row(stem)
        if found is None or ("Set5", 4) not in found.cells:
            raise SystemExit(f"{stem}: no committed Set5 x4 result for the presets table (benchmarks/results/)")
        psnr = found.cells[("Set5", 4)][0]
        key = preset.graph
        timed = [(by[(key, runtime, quant, 2)], what) for runtime, quant, what in PRESET_TIMES if (key, runtime, quant, 2) in by]
        if stem.endswith("_int8"):  # timed as what it is for
            timed = [t for t in timed if t[1] != "Keras"]
        times = ", ".join(f"{float(r['median_ms']) / 1000:.2f} s {what}" for r, what in timed)
        label = f"`{name}`" + (" (default)" if name == DEFAULT_PRESET else "")
        int8 = " (int8)" if stem.endswith("_int8") else ""
        lines.append(f"| {label} | {preset.use} | {int(timed[0][0]['params']):,} | {int(timed[0][0]['macs_per_pixel']):,} | {psnr:.2f} dB{int8} | {times} |")
    cpu = doc["cpu"]
    head = [
        f"Parameters, MACs and time on an {cpu['name']} ({cpu['cores']} cores; {', '.join(cpu['features']) or 'no int8/bf16 instructions'}): "
        f"`{doc['command']}`; PSNR: `drrn eval` (the results table). `drrn bench` times them on yours.",
        "",
        "| preset | pick it for | params | MACs / output pixel | Set5 ×4 PSNR | 288×288 output, 2 CPU threads |",
        "|---|---|---|---|---|---|",
    ]
    return "\n".join(head + lines)


def _committed_drop(model: str, runtime: str, quant: str) -> float | None:
    """An export's worst Set5 drop from a committed model card only: for int8, the card of the export
    that ships with the preset (what ``drrn bench`` times: for a preset with an int8 twin, the twin's
    export); else ``benchmarks/results/export/MODEL_QUANT.json``, the same conversion by ``drrn export``.
    Given to bench_table instead of its own lookup, which reads (and may make) the exports in the user's cache."""
    if runtime != "litert":
        return None
    if quant == "int8":
        from drrn_tf.nn.presets import bundled_export

        shipped = bundled_export(model, quant)
        card = shipped.with_suffix(".json") if shipped is not None else None
    else:
        card = RESULTS / "export" / f"{model}_{quant}.json"
    return json.loads(card.read_text())["parity"]["worst_drop_db"] if card is not None and card.is_file() else None


def runtimes() -> str:
    """bench_table.py's per-model runtime tables from bench.json, the commands first."""
    doc = _json("bench.json")
    models = list(dict.fromkeys(r["model"] for r in doc["rows"]))
    commands = [doc["command"]] + [
        f"drrn eval{'' if m == 'drrn_b1u9' else f' --model {m}'} --runtime keras-bf16 --data set5 --json benchmarks/results/{m}_bf16_eval.json"
        for m in models
        if (RESULTS / f"{m}_bf16_eval.json").is_file()
    ]
    text = bench_table.tables(doc, export_drop=_committed_drop).rstrip()
    return _code(commands) + "\n\n" + text


def _commands(rows: list[dict]) -> list[str]:
    doc = _json("latency.json")
    mine = {r["command"] for r in rows}
    return [c for c in doc["commands"] if c in mine] + sorted(mine - set(doc["commands"]))


def _latency(size: str) -> str:
    rows = _json("latency.json")["rows"]
    text = _code(_commands([r for r in rows if r["size"] == size])) + "\n\n" + latency_report.markdown_table(rows, size)
    check = latency_report.speedup_check(rows) if size == "288x288" else None
    return text + (f"\n\n{check}" if check else "")


def ifc() -> str:
    """The IFC table from benchmarks/results/ifc/ (formatted as ifc_table.py prints it)."""
    rows = []
    for model in ("bicubic", "drrn_b1u9_f32", "drrn_b1u9", "drrn_b1u25"):
        results = _json(f"ifc/{model}.json")["results"]
        rows.append((model, {r["scale"]: r for r in results}, results[0]["dataset"]))
    scales = sorted(rows[0][1])
    lines = [f"| {rows[0][2]}: IFC (PSNR dB) | " + " | ".join(f"×{s}" for s in scales) + " |", "|---|" + "---|" * len(scales)]
    lines += [f"| {model} | " + " | ".join(f"{by[s]['ifc']:.3f} ({by[s]['psnr']:.2f})" for s in scales) + " |" for model, by, _ in rows]
    commands = ["python benchmarks/ifc_table.py     # runs, for each row:"] + [
        f"drrn eval --model {m} --data {d.lower()} --scales {' '.join(map(str, scales))} --metrics psnr ssim ifc -o benchmarks/results/ifc/{m}.json"
        for m, _, d in rows
    ]
    return _code(commands) + "\n\n" + "\n".join(lines)


def bu_study() -> str:
    """The B/U study's table from bu_study.json (formatted as bu_study.py prints it)."""
    doc = _json("bu_study.json")
    lines = ["| network | depth | params | Set5 x3 PSNR (dB) | SSIM |", "|---|---|---|---|---|"]
    lines += [f"| B{r['blocks']}U{r['units']} | {r['depth']} | {r['params']:,} | {r['psnr']:.2f} | {r['ssim']:.4f} |" for r in doc["rows"]]
    return _code([f"{doc['command']}      # trains into runs/bu_study/, writes benchmarks/results/bu_study.{{json,png}}"]) + "\n\n" + "\n".join(lines)


def refusals() -> str:
    """What drrn refuses: the list ``drrn --help`` ends with."""
    from drrn_tf.cli import REFUSALS

    return _code([REFUSALS.rstrip("\n")])


# The API pages (docs/api/): the subpackages in the library's layer order, then any other.
API_ORDER = ["io", "protocol", "inference", "nn", "upscale", "training", "cli"]


def api_modules() -> str:
    """Every public module of drrn_tf and drrn_tf_export, by the API page that documents it (docs/api/)."""
    pkg = ROOT / "drrn_tf"
    subs = sorted((p.name for p in pkg.iterdir() if (p / "__init__.py").is_file()), key=lambda n: (API_ORDER.index(n) if n in API_ORDER else len(API_ORDER), n))
    pages = [("drrn_tf, constants, errors", "package.md", ["drrn_tf"] + [f"drrn_tf.{p.stem}" for p in sorted(pkg.glob("[!_]*.py"))])]
    pages += [(f"drrn_tf.{sub}", f"{sub}.md", [f"drrn_tf.{sub}"] + [f"drrn_tf.{sub}.{p.stem}" for p in sorted((pkg / sub).glob("[!_]*.py"))]) for sub in subs]
    pages.append(("drrn_tf_export", "export.md", ["drrn_tf_export"] + [f"drrn_tf_export.{p.stem}" for p in sorted((ROOT / "export").glob("[!_]*.py"))]))
    lines = ["| page | modules |", "|---|---|"]
    for title, page, modules in pages:
        # griffe reads the export stage from export/, so its identifiers start with "export"
        links = ", ".join(f"[`{m}`][{m.replace('drrn_tf_export', 'export', 1)}]" for m in modules)
        lines.append(f"| [{title}]({page}) | {links} |")
    return "\n".join(lines)


def public_api() -> str:
    """The names ``import drrn_tf`` offers (its lazy ``_EXPORTS``), each linked to where it is documented."""
    import drrn_tf

    lines = ["| name | defined in |", "|---|---|"]
    lines += [
        f"| [`drrn_tf.{name}`][drrn_tf.{module}.{name}] | `drrn_tf.{module}` |"
        for name, module in sorted(drrn_tf._EXPORTS.items(), key=lambda kv: (kv[1], kv[0]))
    ]
    return "\n".join(lines)


def any_scales() -> str:
    """Each model between and beyond its trained scales, and x8 in one pass or in passes (any_scale.py)."""
    doc = _json("any_scale.json")
    return f"`{doc['command']}` (`benchmarks/results/any_scale.json`), Set5 and Set14, Y PSNR (dB), gain over bicubic:\n\n" + any_scale.tables(doc)


def real_world_inputs() -> str:
    """Bicubic, the clean and the real presets on clean and degraded inputs (real_world.py)."""
    head = "`python -m benchmarks.real_world` (`benchmarks/results/real_world/`: a `drrn eval --degrade` per model and input), Y PSNR (dB):"
    return head + "\n\n" + real_world.tables(real_world.load())


BLOCKS: dict[str, Callable[[], str]] = {
    "api-modules": api_modules,
    "public-api": public_api,
    "presets": presets,
    "results": results_table.tables,
    "results-x4": results_table.x4,
    "results-gaps": results_table.gaps,
    "results-ensemble": results_table.ensemble_gains,
    "runtimes": runtimes,
    "latency-288": lambda: _latency("288x288"),
    "latency-720": lambda: _latency("720x1280"),
    "ifc": ifc,
    "bu-study": bu_study,
    "refusals": refusals,
    "any-scale": any_scales,
    "real-world": real_world_inputs,
}


@functools.cache
def generate(name: str) -> str:
    """The text of block ``name``, from the committed results."""
    return BLOCKS[name]().strip("\n")


def documents(root: Path = ROOT) -> list[Path]:
    """README.md and every page of the docs under ``root``."""
    return [p for p in [root / "README.md", *sorted((root / "docs").rglob("*.md"))] if p.is_file()]


def render(text: str) -> str:
    """``text`` with every block's body replaced by what it should hold."""
    return MARKER.sub(lambda m: f"<!-- table:{m['name']} -->\n\n{generate(m['name'])}\n\n<!-- /table:{m['name']} -->", text)


def _structure(path: Path, text: str, root: Path) -> list[str]:
    """Markers that are unknown, unpaired or missing, as one line each."""
    problems = []
    markers = [m.group(1) + m.group(2) for m in OPENING.finditer(text)]
    names = [m.group(2) for m in OPENING.finditer(text) if not m.group(1)]
    paired = [m["name"] for m in MARKER.finditer(text)]
    for name in dict.fromkeys(names + [m.lstrip("/") for m in markers]):
        if name not in BLOCKS:
            problems.append(f"{path}: unknown table '{name}' (known: {', '.join(BLOCKS)})")
        elif not (markers.count(name) == markers.count("/" + name) == paired.count(name)):
            problems.append(f"{path}: table '{name}' has unpaired markers")
    rel = path.relative_to(root).as_posix()
    problems += [f"{path}: table '{name}' is missing" for name in REQUIRED.get(rel, ()) if name not in names]
    return problems


def check(root: Path = ROOT) -> list[str]:
    """One line per file and block under ``root`` that differs from what :func:`write` would write
    (or whose markers are broken); empty when all match."""
    problems = []
    for path in documents(root):
        text = path.read_text()
        broken = _structure(path, text, root)
        problems += broken
        if broken:
            continue
        for m in MARKER.finditer(text):
            if m["body"] != f"\n{generate(m['name'])}\n\n":
                problems.append(f"{path}: table '{m['name']}' differs from what benchmarks/tables.py writes")
    return problems


def write(root: Path = ROOT) -> list[Path]:
    """Rewrite every block under ``root``; the files that changed."""
    changed = []
    for path in documents(root):
        text = path.read_text()
        broken = _structure(path, text, root)
        if broken:
            raise SystemExit("\n".join(broken))
        new = render(text)
        if new != text:
            write_bytes_atomic(path, new.encode())
            changed.append(path)
    return changed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if any block differs from what would be written")
    ap.add_argument("--root", type=Path, default=ROOT, help="the folder holding README.md and docs/ (default: this repository)")
    args = ap.parse_args(argv)
    if args.check:
        problems = check(args.root)
        print("\n".join(problems) or "all generated tables match benchmarks/results/", file=sys.stderr if problems else sys.stdout)
        return 1 if problems else 0
    for path in write(args.root):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
