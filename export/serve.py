"""``drrn serve-demo``: serve ``web_demo/`` with fixed-shape end-to-end models, cross-origin isolated.

Exports (or takes, with ``--tflite``) fixed-shape end-to-end ``.tflite`` models and their
model cards -- by default a fast and a quality int8 model, each card with its Set5 PSNR --
lists them in ``models.json`` and serves the page, LiteRT.js (from
``web_demo/node_modules/@litertjs``) and the models on 127.0.0.1 with
``Cross-Origin-Opener-Policy: same-origin`` and ``Cross-Origin-Embedder-Policy:
require-corp``, which the threaded WebAssembly build needs.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import sys
import time
from pathlib import Path

from drrn_tf.constants import SCALES
from drrn_tf.errors import InputError, MissingDependency
from drrn_tf.nn.presets import DEFAULT_PRESET

from .modes import RUN_MODES

__all__ = ["register", "WEB_DEMO", "make_server"]

WEB_DEMO = Path(__file__).resolve().parents[1] / "web_demo"
# The page offers a fast and a quality model: the compact preset (fine-tuned for int8 by drrn qat,
# for --quant int8) and the paper's B1U9 (the default model).
INT8_PRESET = "drrn_b1u9_f32_qat"
FLOAT_PRESET = "drrn_b1u9_f32"
QUALITY_PRESET = DEFAULT_PRESET
MIME = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".tflite": "application/octet-stream"}


# The page's own files: nothing else of web_demo/ is served (not its tests, README or node_modules).
PAGE_FILES = ("index.html", "app.js", "tiling.js", "tflite_facts.js", "sw.js", "style.css")
IDLE_TIMEOUT_S = 15  # an idle or half-open connection is closed after this long


class _Handler(http.server.SimpleHTTPRequestHandler):
    """An allow-list of files -- the page, LiteRT.js from node_modules/@litertjs, the models and
    models.json -- each resolved to its real path and refused if that leaves its root; no folder
    listings; 400 for malformed paths; the isolation and nosniff headers on every response."""

    timeout = IDLE_TIMEOUT_S

    def __init__(self, *args, roots: dict[str, Path], **kwargs):
        self.roots = roots
        super().__init__(*args, directory=str(roots["page"]), **kwargs)

    def _target(self) -> Path | None | bool:
        """The file to serve, None (404) or False (400: malformed)."""
        from urllib.parse import unquote

        raw = self.path.split("?", 1)[0].split("#", 1)[0]
        try:
            path = unquote(raw, errors="strict")
        except UnicodeDecodeError:
            return False
        if "\0" in path or "\\" in path or not path.startswith("/") or any(part in ("..", ".") for part in path.split("/")):
            return False
        rel = path.lstrip("/")
        if rel in ("", *PAGE_FILES):
            root, name = self.roots["page"], rel or "index.html"
        elif rel == "models.json":
            root, name = self.roots["models"], "models.json"
        elif rel.startswith("models/") and rel.count("/") == 1 and rel.endswith((".tflite", ".json")):
            root, name = self.roots["models"], rel.split("/", 1)[1]
        elif rel.startswith("vendor/litertjs/"):
            root, name = self.roots["vendor"], rel[len("vendor/litertjs/") :]
        else:
            return None
        root = root.resolve()
        target = (root / name).resolve()  # symlinks followed here, then checked
        return target if target.is_relative_to(root) and target.is_file() else None

    def send_head(self):
        target = self._target()
        if target is False:
            self.send_error(400, "malformed path")
            return None
        if target is None:
            self.send_error(404, "not found")
            return None
        self._resolved = target
        return super().send_head()

    def translate_path(self, path):
        return str(self._resolved)

    def guess_type(self, path):
        return MIME.get(Path(path).suffix, None) or super().guess_type(path)

    def end_headers(self):
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, fmt, *args):  # quiet unless something fails
        if args and str(args[1]) not in ("200", "304", "404"):
            super().log_message(fmt, *args)


def _check_web_root(web_root: Path) -> Path:
    """The LiteRT.js folder of ``web_root``, or one line saying what is missing. The page is not part of the
    installed package (a wheel has no web_demo/): serve-demo serves a checkout's."""
    if not (web_root / "index.html").is_file():
        raise InputError(
            f"{web_root}: no web demo here; serve-demo serves the web_demo/ folder of a drrn-tf checkout "
            "(git clone the project, pip install -e '.[export]', npm ci --prefix web_demo)"
        )
    vendor = web_root / "node_modules" / "@litertjs"
    if not (vendor / "core" / "wasm").is_dir() or not (vendor / "wasm-utils").is_dir():
        raise MissingDependency(f"{vendor}: LiteRT.js is not installed; run: npm ci --prefix {web_root}")
    return vendor


class _Server(http.server.ThreadingHTTPServer):
    """A client that resets or drops its connection is not the server's error: no traceback for it
    (a browser cancelling a download does this); anything else is one line on stderr."""

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        print(f"drrn: serve-demo: request from {client_address[0]} failed: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)


def make_server(models_dir: Path, host: str = "127.0.0.1", port: int = 8765, web_root: Path = WEB_DEMO) -> http.server.ThreadingHTTPServer:
    vendor = _check_web_root(web_root)
    handler = functools.partial(_Handler, roots={"page": web_root, "vendor": vendor, "models": models_dir})
    server = _Server((host, port), handler)
    server.daemon_threads = True
    return server


def _entry(file: Path, card: dict) -> dict:
    e2e = card["end_to_end"]
    name = f"{card['source_model']} x{e2e['scale']} {card['quantization']} ({e2e['lr_shape'][0]}x{e2e['lr_shape'][1]} tiles)"
    quality = e2e.get("quality")
    if quality:
        name += f", {quality['dataset']} {quality['psnr']:.2f} dB"
    return {"name": name, "file": f"models/{file.name}", "card": f"models/{file.with_suffix('.json').name}"}


def _quality_data() -> str | None:
    """Set5 for the cards' quality figure, or None (with a note) where the benchmark sets are absent."""
    from drrn_tf.io.datasets import resolve_dataset

    try:
        return resolve_dataset("set5")[0]
    except InputError as e:
        print(f"note: {e}; the model cards will carry no Set5 PSNR", file=sys.stderr)
        return None


def _prepare_models(args, models_dir: Path) -> list[dict]:
    from drrn_tf.io.files import read_json_object, write_json_atomic

    models_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    if args.tflite:
        for src in map(Path, args.tflite):
            card_path = src.with_suffix(".json")
            if not src.is_file() or not card_path.is_file():
                raise InputError(f"{src}: needs the .tflite and its model card {card_path.name} beside it")
            card = read_json_object(card_path, "not a valid model card")
            if "end_to_end" not in card:
                raise InputError(f"{card_path}: not an end-to-end model card (export with --e2e-scale and --shape)")
            if src.resolve().parent != models_dir.resolve():
                shutil.copyfile(src, models_dir / src.name)
                shutil.copyfile(card_path, models_dir / card_path.name)
            entries.append(_entry(models_dir / src.name, card))
    else:
        from drrn_tf.nn.loading import load_keras_model

        from .card import write_artefact
        from .commands import _parse_shape, export_e2e

        shape = _parse_shape(args.tile)
        if shape is None:
            raise InputError("--tile must be HxW: LiteRT.js needs a fixed input shape")
        specs = args.model or [INT8_PRESET if args.quant == "int8" else FLOAT_PRESET, QUALITY_PRESET]
        models = [load_keras_model(spec, purpose="drrn serve-demo --model", action="serve") for spec in dict.fromkeys(specs)]
        jobs = [(m, s, models_dir / f"{m.name}_x{s}_{args.quant}_{shape[0]}x{shape[1]}.tflite") for m in models for s in args.scales]
        todo = [o for _, _, o in jobs if not o.is_file() or not o.with_suffix(".json").is_file()]
        quality_data = _quality_data() if todo else None
        if todo:
            print(f"first start: exporting {len(todo)} model(s) into {models_dir} (later starts reuse them)", file=sys.stderr, flush=True)
        taken = []
        for model, scale, out in jobs:
            if out in todo:
                print(f"[{len(taken) + 1}/{len(todo)}] {out.name} ...", end=" ", file=sys.stderr, flush=True)
                started = time.perf_counter()
                artefact, card = export_e2e(model, shape, scale, args.quant, agreement_data=None, file_name=out.name, quality_data=quality_data)
                write_artefact(out, artefact, out.with_suffix(".json"), card)
                taken.append(time.perf_counter() - started)
                left = len(todo) - len(taken)
                print(
                    f"done in {taken[-1]:.0f} s" + (f"; about {left * sum(taken) / len(taken):.0f} s for the other {left}" if left else ""),
                    file=sys.stderr,
                    flush=True,
                )
            entries.append(_entry(out, json.loads(out.with_suffix(".json").read_text())))
    write_json_atomic(models_dir / "models.json", {"models": entries})
    return entries


def cmd_serve_demo(args) -> int:
    models_dir = Path(args.models_dir)
    _check_web_root(WEB_DEMO)  # before minutes of exporting
    entries = _prepare_models(args, models_dir)
    server = make_server(models_dir, args.host, args.port)
    host, port = server.server_address[:2]
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"warning: serving on {args.host}: anyone on this network can open the page. Phones reach it at "
            f"http://<this machine's address>:{port}/ (threads need cross-origin isolation, which browsers grant over "
            "plain HTTP only for localhost: expect 1 thread there).",
            file=sys.stderr,
        )
    print(f"models: {', '.join(e['name'] for e in entries)}")
    print(f"serving http://{'127.0.0.1' if host in ('0.0.0.0', '127.0.0.1') else host}:{port}/ (Ctrl+C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def register(sub) -> None:
    from drrn_tf.cli import epilog

    p = sub.add_parser(
        "serve-demo",
        help="serve the browser demo (LiteRT.js) with fixed-shape end-to-end models",
        description="Export fixed-shape end-to-end models (or take --tflite ones with their cards) and serve web_demo/ on 127.0.0.1 with the COOP/COEP headers multi-threaded WebAssembly needs.",
        **epilog(
            "drrn serve-demo", "drrn serve-demo --model drrn_b1u9_f32 --scales 2 3 --quant fp16 -o runs/web_fp16", "drrn serve-demo --tflite phone_x3.tflite"
        ),
    )
    p.add_argument(
        "--model",
        nargs="+",
        metavar="MODEL",
        help=f"presets or .keras files to export, each offered on the page (default: {INT8_PRESET} (fast; {FLOAT_PRESET} unless --quant int8) and {QUALITY_PRESET} (quality))",
    )
    p.add_argument("--tflite", nargs="+", metavar="FILE", help="serve these end-to-end .tflite files (cards beside them) instead of exporting")
    p.add_argument("--scales", type=int, nargs="+", default=[3], choices=SCALES, help="one model per scale (default 3)")
    p.add_argument("--quant", default="int8", choices=RUN_MODES, help="default int8")
    p.add_argument("--tile", default="96x96", metavar="HxW", help="LR tile = model input size (default 96x96)")
    p.add_argument(
        "-o",
        "--output",
        "--models-dir",
        dest="models_dir",
        default="runs/web_models",
        metavar="DIR",
        help="where exported models and models.json go (default runs/web_models)",
    )
    p.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1; 0.0.0.0 serves your network (explicit opt-in)")
    p.add_argument("--port", type=int, default=8765, help="default 8765; 0 picks a free port")
    p.set_defaults(func=cmd_serve_demo)
