"""The browser demo: same tile plan as Python, and a real headless Chromium run whose output
equals Python LiteRT's on the same .tflite and input.

Needs Node.js, ``web_demo/node_modules`` (``npm ci --prefix web_demo``) and Debian's
``chromium``; ``.ci/run`` installs both. The tests install nothing: they skip with the reason
where something is missing.
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_drrn

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web_demo"
CHROMIUM = os.environ.get("DRRN_CHROMIUM", "/usr/bin/chromium")


def _node_eval(script: str) -> str:
    if shutil.which("node") is None:
        pytest.skip("Node.js not installed")
    p = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60, cwd=WEB)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_js_tile_plan_matches_python():
    from drrn_tf.inference.tiling import axis_plan

    cases = [(n, window, halo) for n in (1, 5, 37, 96, 97, 150, 301, 1000) for window, halo in ((24, 5), (96, 9), (64, 0), (96, 47))]
    out = _node_eval(
        "import {axisPlan} from './tiling.js';"
        f"const cases = {json.dumps(cases)};"
        "console.log(JSON.stringify(cases.map(([n, w, h]) => axisPlan(n, w, h).map(s => [s.start, s.stop, s.ownStart, s.ownStop]))));"
    )
    assert json.loads(out) == [[list(s) for s in axis_plan(*c)] for c in cases]


def test_js_symmetric_padding_matches_numpy():
    from drrn_tf.inference.tiling import symmetric_index

    idx = list(range(-30, 60))
    out = _node_eval(f"import {{symmetricIndex}} from './tiling.js'; console.log(JSON.stringify({idx}.map(i => symmetricIndex(i, 7))));")
    assert json.loads(out) == symmetric_index(np.array(idx), 7).tolist()
    # and numpy.pad(mode="symmetric") is what that index means, long pads included
    a = np.arange(7)
    assert np.pad(a, (30, 53), mode="symmetric").tolist() == a[symmetric_index(np.array(idx), 7)].tolist()


@pytest.fixture(scope="module")
def browser_ready():
    if shutil.which("node") is None:
        pytest.skip("Node.js not installed")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} not found (Debian: apt-get install chromium; .ci/run installs it)")
    if not (WEB / "node_modules" / "playwright-core").is_dir():
        pytest.skip("web_demo/node_modules missing (npm ci --prefix web_demo; .ci/run runs it)")
    return True


@pytest.fixture(scope="module")
def e2e_model(tmp_path_factory, browser_ready):
    """A tiny trained-shape DRRN exported as a fixed-shape int8 end-to-end model, x3, 40x40 LR tiles."""
    from drrn_tf_export.commands import export_e2e

    folder = tmp_path_factory.mktemp("models")
    model = tiny_drrn(units=2, filters=8)
    calib = tmp_path_factory.mktemp("calib")
    import skimage.data

    from drrn_tf.io.images import write_image

    write_image(calib / "astronaut.png", skimage.data.astronaut())
    write_image(calib / "coffee.png", skimage.data.coffee())
    artefact, card = export_e2e(model, (40, 40), 3, "int8", representative=calib, calibration_samples=8, agreement_data=None, file_name="tiny_x3.tflite")
    (folder / "tiny_x3.tflite").write_bytes(artefact)
    (folder / "tiny_x3.json").write_text(json.dumps(card))
    return folder / "tiny_x3.tflite", card


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(tflite: Path | list[Path], models_dir: Path):
    port = _free_port()
    files = [str(t) for t in (tflite if isinstance(tflite, list) else [tflite])]
    proc = subprocess.Popen(
        [sys.executable, "-m", "drrn_tf", "serve-demo", "--tflite", *files, "--models-dir", str(models_dir), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        line = proc.stdout.readline()
        if line.startswith("serving "):
            return proc, line.split()[1]
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read())
    proc.kill()
    raise AssertionError("serve-demo did not start")


def _drive(url: str, steps: list, tmp_path: Path) -> dict:
    plan = tmp_path / "plan.json"
    result = tmp_path / "result.json"
    plan.write_text(json.dumps({"url": url, "chromium": CHROMIUM, "timeout_ms": 300000, "steps": steps}))
    p = subprocess.run(["node", str(WEB / "tests" / "driver.mjs"), str(plan), str(result)], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(result.read_text())


def test_browser_output_equals_python_litert(e2e_model, tmp_path, data_dir):
    from drrn_tf.inference.tiling import axis_plan
    from drrn_tf.io.images import write_image
    from drrn_tf_export.runtime import LiteRTModel

    tflite, card = e2e_model
    lr = _butterfly_lr(data_dir)
    photo = tmp_path / "photo.png"
    write_image(photo, lr)
    text = tmp_path / "notes.png"
    text.write_text("this is not an image")
    huge = tmp_path / "huge.png"
    write_image(huge, np.zeros((1500, 1400, 3), np.uint8))

    proc, url = _serve(tflite, tmp_path / "served")
    try:
        res = _drive(url, [{"upload": str(photo)}, {"upload": str(text)}, {"upload": str(huge)}], tmp_path)
    finally:
        proc.terminate()
        proc.wait(10)
    assert res["initial_status"]["state"] == "ready", res
    assert res["isolated"] is True  # COOP/COEP served, so threads are possible
    ok, not_image, too_big = res["steps"]
    assert ok["status"]["state"] == "done", (ok["status"], res["console"][-5:])
    h, w = ok["input_height"], ok["input_width"]
    seen = np.frombuffer(base64.b64decode(ok["input_b64"]), np.uint8).reshape(h, w, 3)
    assert np.array_equal(seen, lr)  # the page decoded the PNG to the very pixels written
    browser = np.frombuffer(base64.b64decode(ok["output_b64"]), np.uint8).reshape(ok["height"], ok["width"], 3)
    python = LiteRTModel(tflite, threads=1).upscale_e2e(seen, 3, card["end_to_end"]["tile_halo_lr"])
    assert browser.shape == python.shape == (3 * h, 3 * w, 3)
    assert int(np.abs(browser.astype(int) - python.astype(int)).max()) == 0
    # latency is reported, per tile and in total
    halo = card["end_to_end"]["tile_halo_lr"]
    tiles = len(axis_plan(h, 40, halo)) * len(axis_plan(w, 40, halo))
    assert tiles > 1 and len(ok["tile_ms"]) == tiles and all(t > 0 for t in ok["tile_ms"]) and ok["inference_ms"] > 0
    assert "inference total" in ok["timing_table"] and "ms" in ok["timing_table"]
    # bad input gets a visible message
    assert not_image["status"]["state"] == "error" and "could not be decoded" in not_image["status"]["text"]
    assert too_big["status"]["state"] == "error" and "1400x1500" in too_big["status"]["text"]


def _butterfly_lr(data_dir, rows: int = 86, cols: int = 71) -> np.ndarray:
    """A real photo: Set5 butterfly shrunk by 3 (MATLAB bicubic), 86x71 -- several 40x40 tiles (a
    crop of it: fewer)."""
    from drrn_tf.io.images import read_image
    from drrn_tf.protocol.matlab import im2uint8, imresize

    hr = read_image(data_dir / "Set5" / "butterfly.png").pixels
    return np.ascontiguousarray(im2uint8(imresize(hr[..., :3] / 255.0, 1 / 3))[:rows, :cols])


@pytest.mark.slow
def test_both_offered_models_equal_python_litert(browser_ready, tmp_path, data_dir):
    """serve-demo's default pair -- the compact int8 model (fast) and the paper's B1U9 int8 (quality)
    -- each upscale a photo in the browser exactly as Python LiteRT does, and the page says which
    model is loaded and its Set5 PSNR from the model card."""
    import argparse

    from drrn_tf.io.images import write_image
    from drrn_tf_export.runtime import LiteRTModel
    from drrn_tf_export.serve import INT8_PRESET, QUALITY_PRESET, _prepare_models

    models = tmp_path / "models"
    entries = _prepare_models(argparse.Namespace(tflite=None, model=None, scales=[3], quant="int8", tile="40x40"), models)
    files = [models / Path(e["file"]).name for e in entries]
    cards = [json.loads(f.with_suffix(".json").read_text()) for f in files]
    assert [c["source_model"] for c in cards] == [INT8_PRESET, QUALITY_PRESET]
    lr = _butterfly_lr(data_dir, 48, 52)  # two tiles each way: seams, in a quarter of the browser's time
    photo = tmp_path / "photo.png"
    write_image(photo, lr)
    proc, url = _serve(files, tmp_path / "served")
    try:
        res = _drive(url, [{"upload": str(photo)}, {"select": 1}, {"upload": str(photo)}], tmp_path)
    finally:
        proc.terminate()
        proc.wait(10)
    first, selected, second = res["steps"]
    assert selected["status"]["state"] == "ready", selected
    for info, upscaled, card, tflite in ((res["model_info"], first, cards[0], files[0]), (selected["model_info"], second, cards[1], files[1])):
        quality = card["end_to_end"]["quality"]
        print(info)
        assert card["source_model"] in info and f"Set5 x3 PSNR {quality['psnr']:.2f} dB" in info
        assert quality["psnr"] > quality["bicubic_psnr"] + 0.5, quality  # each model beats bicubic on Set5
        assert upscaled["status"]["state"] == "done", (upscaled["status"], res["console"][-5:])
        browser = np.frombuffer(base64.b64decode(upscaled["output_b64"]), np.uint8).reshape(upscaled["height"], upscaled["width"], 3)
        python = LiteRTModel(tflite, threads=1).upscale_e2e(lr, 3, card["end_to_end"]["tile_halo_lr"])
        assert browser.shape == python.shape and int(np.abs(browser.astype(int) - python.astype(int)).max()) == 0, card["source_model"]
    assert cards[1]["end_to_end"]["quality"]["psnr"] > cards[0]["end_to_end"]["quality"]["psnr"]  # quality is the better one


def test_browser_rejects_card_that_does_not_match_model(e2e_model, tmp_path):
    tflite, card = e2e_model
    bad = tmp_path / "bad_x3.tflite"
    shutil.copyfile(tflite, bad)
    wrong = json.loads(json.dumps(card))
    wrong["end_to_end"]["lr_shape"] = [48, 48]
    (tmp_path / "bad_x3.json").write_text(json.dumps(wrong))
    proc, url = _serve(bad, tmp_path / "served")
    try:
        res = _drive(url, [], tmp_path)
    finally:
        proc.terminate()
        proc.wait(10)
    assert res["initial_status"]["state"] == "error"
    assert "model card says input 1x48x48x3, the model has 1x40x40x3" in res["initial_status"]["text"]


def test_serve_demo_exports_fixed_shape_models(tmp_path):
    """Without --tflite, serve-demo exports one fixed-shape end-to-end model per scale and lists it."""
    import argparse

    from drrn_tf.errors import InputError, MissingDependency
    from drrn_tf_export.serve import _prepare_models, make_server

    src = tmp_path / "tiny.keras"
    tiny_drrn(units=2, filters=4).save(src)
    args = argparse.Namespace(tflite=None, model=[str(src)], scales=[2, 4], quant="none", tile="48x40")
    entries = _prepare_models(args, tmp_path / "models")
    assert [e["file"] for e in entries] == ["models/tiny_x2_none_48x40.tflite", "models/tiny_x4_none_48x40.tflite"]
    listed = json.loads((tmp_path / "models" / "models.json").read_text())["models"]
    assert listed == entries
    card = json.loads((tmp_path / "models" / "tiny_x4_none_48x40.json").read_text())
    assert card["end_to_end"]["lr_shape"] == [48, 40] and card["inputs"][0]["shape"] == [1, 48, 40, 3]
    # a second start reuses the exports
    mtime = (tmp_path / "models" / "tiny_x2_none_48x40.tflite").stat().st_mtime_ns
    _prepare_models(args, tmp_path / "models")
    assert (tmp_path / "models" / "tiny_x2_none_48x40.tflite").stat().st_mtime_ns == mtime
    with pytest.raises(InputError, match="--tile must be HxW"):
        _prepare_models(argparse.Namespace(**{**vars(args), "tile": "dynamic"}), tmp_path / "models")
    # without the page (an installed wheel has no web_demo/), or without the npm packages, there is
    # nothing to serve: one clear line each
    with pytest.raises(InputError, match="serve-demo serves the web_demo/ folder of a drrn-tf checkout"):
        make_server(tmp_path / "models", port=0, web_root=tmp_path)
    (tmp_path / "index.html").write_text("<html></html>")
    with pytest.raises(MissingDependency, match="LiteRT.js is not installed; run: npm ci --prefix"):
        make_server(tmp_path / "models", port=0, web_root=tmp_path)


@pytest.mark.slow
def test_browser_runs_a_users_own_model(e2e_model, tmp_path, data_dir):
    """A user's own end-to-end .tflite, given through the "Your model" picker without its card and by
    ?model=URL with it: the page derives the tile overlap from the file (as Python does), upscales a
    photo exactly as Python LiteRT does, and shows the model's timing. A luminance model is refused
    with the command that makes a page model, and still timed."""
    from drrn_tf.io.images import write_image
    from drrn_tf_export.artefact import open_artefact
    from drrn_tf_export.convert import convert_tflite
    from drrn_tf_export.runtime import LiteRTModel

    tflite, card = e2e_model
    mine = tmp_path / "mine" / "mine_x3.tflite"  # no card beside it
    mine.parent.mkdir()
    shutil.copyfile(tflite, mine)
    luminance = tmp_path / "mine" / "luminance.tflite"
    luminance.write_bytes(convert_tflite(tiny_drrn(units=1, filters=4), "none", (48, 48)))
    served = tmp_path / "served"
    lr = _butterfly_lr(data_dir)
    photo = tmp_path / "photo.png"
    write_image(photo, lr)
    halo = card["end_to_end"]["tile_halo_lr"]
    assert open_artefact(mine).engine.halo_lr == halo  # Python derives the card's overlap from the file too
    python = LiteRTModel(tflite, threads=1).upscale_e2e(lr, 3, halo)

    proc, url = _serve(tflite, served)
    try:
        shutil.copyfile(tflite, served / "theirs_x3.tflite")
        (served / "theirs_x3.json").write_text(json.dumps(card))
        picked = _drive(url, [{"own_model": [str(mine)]}, {"upload": str(photo)}, {"own_model": [str(luminance)]}], tmp_path)
        by_url = _drive(url + "?model=models/theirs_x3.tflite", [{"upload": str(photo)}], tmp_path)
    finally:
        proc.terminate()
        proc.wait(10)
    loaded, upscaled, refused = picked["steps"]
    assert loaded["status"]["state"] == "ready", (loaded, picked["console"][-5:])
    assert "your model: mine_x3.tflite" in loaded["status"]["text"] and f"no model card: tiles overlap by {halo} LR pixels" in loaded["model_info"]
    assert "One inference of its 1x40x40x3 input: median" in loaded["model_timing"], loaded
    assert upscaled["status"]["state"] == "done", upscaled["status"]
    browser = np.frombuffer(base64.b64decode(upscaled["output_b64"]), np.uint8).reshape(upscaled["height"], upscaled["width"], 3)
    assert browser.shape == python.shape and int(np.abs(browser.astype(int) - python.astype(int)).max()) == 0
    assert "inference total" in upscaled["timing_table"]
    assert refused["status"]["state"] == "error" and "not an end-to-end RGB model" in refused["status"]["text"] and "--e2e-scale" in refused["status"]["text"]
    assert "One inference of its 1x48x48x1 input: median" in refused["model_timing"]
    assert by_url["initial_status"]["state"] == "ready", (by_url["initial_status"], by_url["console"][-5:])
    assert "your model: theirs_x3.tflite" in by_url["initial_status"]["text"]
    assert "Set5 x3 PSNR" in by_url["model_info"] and "from its model card" in by_url["model_info"]
    (second,) = by_url["steps"]
    browser = np.frombuffer(base64.b64decode(second["output_b64"]), np.uint8).reshape(second["height"], second["width"], 3)
    assert int(np.abs(browser.astype(int) - python.astype(int)).max()) == 0
