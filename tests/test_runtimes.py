"""Which runtime `--runtime auto` picks and why, the CPU facts it rests on, and the int8 exports
that ship with the trained presets (each must match its preset's weights and pass its gate)."""

import pytest

from drrn_tf.inference.cpu import parse_cpuinfo
from drrn_tf.nn.loading import resolve_model
from drrn_tf.nn.presets import PRESETS, export_path
from drrn_tf.nn.runtimes import choose_runtime, shipped_export_card

EPYC = "processor\t: 0\nmodel name\t: AMD EPYC 9B14\nflags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16\n"
XEON = (
    "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz\nflags\t\t: avx2 avx_vnni avx512_vnni avx512_bf16 amx_bf16 amx_int8 amx_tile\n"
)
OLD = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) CPU E5-2690 v4\nflags\t\t: fpu avx avx2 fma\n"


def test_cpu_features_are_read_from_cpuinfo():
    epyc, xeon, old = (parse_cpuinfo(t, 2) for t in (EPYC, XEON, OLD))
    assert epyc.name == "AMD EPYC 9B14" and epyc.features == ["AVX-512 VNNI", "AVX-512 BF16"] and epyc.native_bf16
    assert xeon.features == ["AVX-512 VNNI", "AVX-VNNI", "AVX-512 BF16", "AMX-INT8", "AMX-BF16"] and xeon.native_bf16
    assert old.features == [] and not old.native_bf16
    assert "no VNNI/AMX/BF16 instructions" in old.describe() and "2 cores" in old.describe()


def test_auto_runs_a_trained_presets_shipped_int8_export(monkeypatch):
    import drrn_tf.nn.runtimes as rt

    monkeypatch.setattr(rt, "litert_available", lambda: True)
    for name, preset in PRESETS.items():
        choice = choose_runtime(resolve_model(name))
        if preset.trained:
            assert choice.runtime == "litert" and f"shipped full-int8 export of {name}" in choice.reason and "--runtime keras" in choice.reason
        else:
            assert choice.runtime == "keras" and "ships no int8 export" in choice.reason
    monkeypatch.setattr(rt, "cpu_info", lambda: parse_cpuinfo(OLD))
    assert "this CPU has no VNNI: not measured" in choose_runtime(resolve_model("drrn_b1u9")).reason
    monkeypatch.setattr(rt, "litert_available", lambda: False)
    choice = choose_runtime(resolve_model("drrn_b1u9"))
    assert choice.runtime == "keras" and "pip install 'drrn-tf[export]'" in choice.reason


def test_keras_files_and_explicit_runtimes(tmp_path):
    from conftest import tiny_drrn

    path = tmp_path / "mine.keras"
    tiny_drrn().save(path)
    mine = resolve_model(path)
    assert choose_runtime(mine).runtime == "keras" and "--runtime litert makes its gated int8 export once" in choose_runtime(mine).reason
    assert choose_runtime(mine, "litert").runtime == "litert"
    assert choose_runtime(resolve_model("drrn_b1u9"), "keras") == ("keras", "the paper-exact reference")
    assert choose_runtime(resolve_model("drrn_b1u9"), "keras-bf16").runtime == "keras-bf16"


@pytest.mark.parametrize("name", [n for n, p in PRESETS.items() if p.trained])
def test_every_trained_preset_ships_a_gated_int8_export_of_its_own_weights(name):
    from drrn_tf.nn.presets import bundled_export, preset_key
    from drrn_tf_export.artefact import tflite_facts

    card = shipped_export_card(name)
    assert card is not None, f"{name}: no presets/{name}/{name}.int8.tflite + card (python -m drrn_tf_export.bundle {name})"
    assert card["preset_key"] == preset_key(name, "int8"), f"{name}: its shipped export is stale (python -m drrn_tf_export.bundle {name})"
    assert bundled_export(name) == export_path(name) == PRESETS[name].folder / f"{name}.int8.tflite"
    parity = card["parity"]
    assert parity["passed"] and parity["worst_drop_db"] <= parity["target_db"] == 0.3 and parity["dataset"] == "Set5"
    assert card["parity_reference"] == name and card["made_by"] == f"python -m drrn_tf_export.bundle {name}"
    import hashlib

    assert hashlib.sha256((PRESETS[name].folder / card["file"]).read_bytes()).hexdigest() == card["made_with"]["sha256"]
    facts = tflite_facts((PRESETS[name].folder / card["file"]).read_bytes())  # what the file itself is
    assert card["file"] == f"{name}.int8.tflite" and facts.quantization == "int8" and facts.input_shape == [1, -1, -1, 1]
    assert facts.input_dtype == facts.output_dtype == "float32" and 2 * facts.radius + 1 == card["receptive_field"]
