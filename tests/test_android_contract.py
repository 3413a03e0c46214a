"""The contract between android_demo/ and the export stage (the Android SDK is not on these machines).

Checks that the asset names the Kotlin code references exist with their model cards, that
every card field ModelCard.kt reads is in the cards, that the exported models' tensors
(names, shapes, dtypes) are what the cards and the app say, and that the tile-plan cases
the Kotlin unit test replays are Python's own.

    python tests/test_android_contract.py --write-cases   # regenerate tile_plan_cases.json
"""

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "android_demo" / "app"
KOTLIN = APP / "src" / "main" / "java" / "dev" / "drrn" / "demo"
CORE_KOTLIN = ROOT / "android_demo" / "core" / "src" / "main" / "kotlin" / "dev" / "drrn" / "demo"
ASSETS = APP / "src" / "main" / "assets"
CASES = ROOT / "android_demo" / "core" / "src" / "test" / "resources" / "tile_plan_cases.json"


def _asset_names() -> dict[str, str]:
    """ModelAsset enum entries -> file name, read from Assets.kt."""
    src = (KOTLIN / "Assets.kt").read_text()
    found = dict(re.findall(r'(\w+)\("[^"]*", "([^"]+\.tflite)"\)', src))
    assert found, "no ModelAsset entries found in Assets.kt"
    return found


def _card_keys_read_by_kotlin() -> set[str]:
    src = (CORE_KOTLIN / "ModelCard.kt").read_text()
    return set(re.findall(r'(?:getString|getInt|getJSONArray|getJSONObject|optJSONObject)\("(\w+)"\)', src))


def _all_keys(obj) -> set[str]:
    if isinstance(obj, dict):
        return set(obj) | {k for v in obj.values() for k in _all_keys(v)}
    if isinstance(obj, list):
        return {k for v in obj for k in _all_keys(v)}
    return set()


def tile_plan_cases() -> list[dict]:
    from drrn_tf.inference.tiling import axis_plan

    return [
        {"n": n, "window": w, "halo": h, "spans": [list(s) for s in axis_plan(n, w, h)]}
        for n in (1, 7, 64, 96, 97, 150, 301, 1000, 4032)
        for w, h in ((96, 11), (64, 9), (128, 0), (40, 19))
    ]


def test_tile_plan_cases_are_pythons():
    assert json.loads(CASES.read_text()) == tile_plan_cases(), f"regenerate: python {Path(__file__).relative_to(ROOT)} --write-cases"


@pytest.mark.parametrize("entry", sorted(_asset_names()))
def test_asset_card_and_model_agree_with_the_app(entry):
    from ai_edge_litert.interpreter import Interpreter

    name = _asset_names()[entry]
    model_path, card_path = ASSETS / name, ASSETS / name.replace(".tflite", ".json")
    assert model_path.is_file() and card_path.is_file(), f"{name}: export it (android_demo/README.md) with its card"
    card = json.loads(card_path.read_text())
    missing = _card_keys_read_by_kotlin() - _all_keys(card)
    assert not missing, f"{card_path.name} lacks fields ModelCard.kt reads: {sorted(missing)}"
    assert card["file"] == name
    # what ModelCard.validate() requires
    e2e = card["end_to_end"]
    h, w = e2e["lr_shape"]
    s = e2e["scale"]
    assert e2e["io_dtype"] == "float32"  # CompiledModel's TensorBuffer has no UINT8
    assert card["inputs"][0]["shape"] == [1, h, w, 3] and card["outputs"][0]["shape"] == [1, s * h, s * w, 3]
    assert 2 * e2e["tile_halo_lr"] < min(h, w)
    # the accelerator each asset is for decides its precision
    assert card["quantization"] == {"CPU_INT8": "int8", "GPU_FP16": "fp16"}[entry]
    # the model itself: signature names the app looks tensors up by, shapes, dtypes
    it = Interpreter(model_path=str(model_path))
    it.allocate_tensors()
    sig = it.get_signature_list()["serving_default"]
    assert sig["inputs"] == [card["inputs"][0]["signature_name"]] and sig["outputs"] == [card["outputs"][0]["signature_name"]]
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    assert inp["dtype"] == np.float32 and out["dtype"] == np.float32
    assert inp["shape"].tolist() == [1, h, w, 3] and out["shape"].tolist() == [1, s * h, s * w, 3]
    # and it upscales pixels: whole numbers in 0..255, close to a bicubic upscale of a real photo
    import skimage.data

    from drrn_tf.protocol.matlab import imresize

    tile = skimage.data.astronaut()[100 : 100 + h, 150 : 150 + w].astype(np.float32)
    it.set_tensor(inp["index"], tile[None])
    it.invoke()
    y = it.get_tensor(out["index"])[0]
    assert y.min() >= 0 and y.max() <= 255 and np.array_equal(y, np.round(y))
    bicubic = np.clip(imresize(tile / 255.0, s) * 255, 0, 255)
    assert np.abs(y - bicubic)[8:-8, 8:-8].mean() < 6  # a sharpened picture, not noise


def test_gradle_keeps_tflite_uncompressed_and_uses_litert():
    gradle = (APP / "build.gradle.kts").read_text()
    assert 'noCompress += "tflite"' in gradle
    assert 'implementation("com.google.ai.edge.litert:litert:' in gradle and "minSdk = 24" in gradle


def test_kotlin_sources_are_complete():
    for path in [*(APP / "src").rglob("*.kt"), *(ROOT / "android_demo" / "core" / "src").rglob("*.kt")]:
        text = path.read_text()
        assert not re.search(r"\bTODO\b|FIXME|NotImplementedError|throw NotImplemented", text), path


if __name__ == "__main__" and "--write-cases" in sys.argv:
    sys.path.insert(0, str(ROOT))
    CASES.write_text(json.dumps(tile_plan_cases()) + "\n")
    print(f"wrote {CASES}")
