"""The README's runtime tables, from the JSON `drrn bench` writes (nothing is timed here).

    python benchmarks/bench_table.py                                  # benchmarks/results/bench.json
    python benchmarks/bench_table.py other.json

Per model: a row per runtime, a column per output size and thread count, median ms with the speed-up
over Keras float32 at the same size and threads, and the quality it keeps -- the export's worst Set5
PSNR drop against Keras float32 from its model card (the parity gate; read from the card of the
file `drrn bench` timed where the JSON lacks it), for Keras bfloat16 the drop
`drrn eval --runtime keras-bf16` measured (benchmarks/results/NAME_bf16_eval.json against
NAME_eval.json). Then the rule's check: the fastest runtime whose quality passes its gate, per model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from drrn_tf_export.parity import PARITY_TARGETS_DB

RESULTS = Path(__file__).resolve().parent / "results"
# The parity gates (drrn_tf_export.parity), by the quantisation names drrn bench uses; bfloat16 maths is
# held to dynamic-range int8's gate.
GATES_DB = {"fp32": PARITY_TARGETS_DB["none"], "bf16": PARITY_TARGETS_DB["dynamic"], **PARITY_TARGETS_DB}


def _bf16_drop(model: str) -> float | None:
    """Worst Set5 drop of Keras bfloat16 against float32, from the two committed eval files."""
    ref, bf16 = RESULTS / f"{model}_eval.json", RESULTS / f"{model}_bf16_eval.json"
    if not (ref.is_file() and bf16.is_file()):
        return None

    def set5(path):
        return {r["scale"]: r["psnr"] for r in json.loads(path.read_text())["results"] if r["dataset"] == "Set5"}

    a, b = set5(ref), set5(bf16)
    return max(a[s] - b[s] for s in b)


def _export_drop(model: str, runtime: str, quant: str) -> float | None:
    """An export's worst Set5 drop from the card of the very file `drrn bench` timed (made, gated and
    cached by the export stage, or shipped), for rows written without it."""
    if runtime != "litert":
        return None
    from drrn_tf.nn.loading import load_model, resolve_model
    from drrn_tf_export.bench import _artefact

    card = _artefact(load_model(model), resolve_model(model), f"litert-{quant}").with_suffix(".json")
    return json.loads(card.read_text())["parity"]["worst_drop_db"] if card.is_file() else None


def tables(doc: dict, export_drop=_export_drop) -> str:
    """The per-model runtime tables of a ``drrn bench --json`` document; ``export_drop(model, runtime, quant)``
    looks up an export's Set5 drop where a row does not record it."""
    rows = [r for r in doc["rows"] if "median_ms" in r]
    cpu = doc["cpu"]
    out = [
        f"CPU: {cpu['name']}, {cpu['cores']} cores; {', '.join(cpu['features']) or 'no VNNI/AMX/BF16 instructions'} (`{doc.get('command', 'drrn bench')}`)",
        "",
    ]
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == model]
        cols = sorted({(r["size"], r["threads"]) for r in mine}, key=lambda c: (int(c[0].split("x")[0]) * int(c[0].split("x")[1]), c[1]))
        keras = {(r["size"], r["threads"]): r["median_ms"] for r in mine if (r["runtime"], r["quant"]) == ("keras", "fp32")}
        out.append(f"**{model}** ({mine[0]['params']:,} parameters, {mine[0]['macs_per_pixel']:,} MACs per output pixel), median ms:")
        out.append("")
        out.append("| runtime | Set5 drop vs Keras fp32 | " + " | ".join(f"{s} {t}t" for s, t in cols) + " |")
        out.append("|---|---|" + "---:|" * len(cols))
        best = {}
        for rt in dict.fromkeys((r["runtime"], r["quant"]) for r in mine):
            cells = {(r["size"], r["threads"]): r for r in mine if (r["runtime"], r["quant"]) == rt}
            drop = next(iter(cells.values())).get("parity_worst_drop_db")
            if drop is None:
                drop = export_drop(model, *rt)
            if rt == ("keras", "bf16"):
                drop = _bf16_drop(model)
            if rt == ("keras", "fp32"):
                quality = "reference"
            elif drop is None:
                quality = "not measured" + (" (float32: the same arithmetic)" if rt[1] == "fp32" else "")
            else:
                quality = f"{max(drop, 0):.3f} dB ({'passes' if drop <= GATES_DB[rt[1]] else 'fails'} {GATES_DB[rt[1]]} dB)"
            line = []
            for c in cols:
                r = cells.get(c)
                if r is None:
                    line.append("")
                    continue
                x = f" ({keras[c] / r['median_ms']:.2f}x)" if c in keras and rt != ("keras", "fp32") else ""
                line.append(f"{r['median_ms']:,.1f}{x}")
                gated = rt == ("keras", "fp32") or (drop is not None and drop <= GATES_DB[rt[1]])
                if gated and (c not in best or r["median_ms"] < best[c][1]):
                    best[c] = (f"{rt[0]} {rt[1]}", r["median_ms"])
            out.append(f"| {rt[0]} {rt[1]} | {quality} | " + " | ".join(line) + " |")
        out.append("")
        out.append("fastest runtime within its gate: " + "; ".join(f"{s} {t}t {best[(s, t)][0]}" for s, t in cols if (s, t) in best))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", nargs="?", default=str(RESULTS / "bench.json"))
    args = ap.parse_args(argv)
    print(tables(json.loads(Path(args.json).read_text())), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
