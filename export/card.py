"""The model card written beside every artefact (``OUT.json``): what a consumer needs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from drrn_tf._compat import litert_ops
from drrn_tf.constants import SCALES
from drrn_tf.nn.stats import model_stats

# The shipped weights are released with the package (setup.cfg); their training images are not ours.
WEIGHTS_LICENCE = (
    "Apache-2.0, as drrn-tf, for the weights this package ships; they were trained on train291 (T91 + BSD200), research image sets with their own terms"
)

__all__ = ["model_card", "PREPROCESSING"]

PREPROCESSING = (
    "Input: the luminance Y of the low-resolution image (BT.601 as MATLAB rgb2ycbcr, "
    "Y in [16,235]/255, float in [0,1]) upscaled by the target scale with MATLAB-compatible "
    "bicubic interpolation (drrn_tf.protocol.matlab.imresize). Output: restored Y in [0,1], same size "
    "(clip to [0,1]); Cb and Cr are upscaled bicubically and recombined with it."
)


def _tensor(details: dict) -> dict:
    q = details.get("quantization_parameters", {})
    scales = np.asarray(q.get("scales", []), dtype=np.float64).tolist()
    zps = np.asarray(q.get("zero_points", []), dtype=np.int64).tolist()
    return {
        "name": details["name"],
        "shape": [int(d) for d in details["shape_signature"]],
        "dtype": np.dtype(details["dtype"]).name,
        "quantization": {"scale": scales, "zero_point": zps} if scales else None,
    }


def _tflite_io(artefact: bytes) -> tuple[list, list]:
    """Input/output tensors; for float I/O around an integer graph, also the quantisation
    of the integer tensors right behind the boundary QUANTIZE / DEQUANTIZE ops (what a
    caller feeding integers directly would use)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_content=artefact, experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    it.allocate_tensors()
    tensors = {t["index"]: t for t in it.get_tensor_details()}
    ops = litert_ops(it)
    inputs = [_tensor(d) for d in it.get_input_details()]
    outputs = [_tensor(d) for d in it.get_output_details()]
    # names of the default signature's inputs/outputs (what CompiledModel APIs look tensors up by)
    signatures = it.get_signature_list()
    if signatures:
        runner = it.get_signature_runner(next(iter(signatures)))
        by_index = {d["index"]: n for n, d in (runner.get_input_details() | runner.get_output_details()).items()}
        for entry, detail in [*zip(inputs, it.get_input_details()), *zip(outputs, it.get_output_details())]:
            if detail["index"] in by_index:
                entry["signature_name"] = by_index[detail["index"]]
    for entry, detail in zip(inputs, it.get_input_details()):
        for op in ops:
            if op["op_name"] == "QUANTIZE" and detail["index"] in op["inputs"]:
                entry["internal"] = _tensor({**tensors[op["outputs"][0]], "shape_signature": detail["shape_signature"]})
    for entry, detail in zip(outputs, it.get_output_details()):
        for op in ops:
            if op["op_name"] == "DEQUANTIZE" and detail["index"] in op["outputs"]:
                entry["internal"] = _tensor({**tensors[op["inputs"][0]], "shape_signature": detail["shape_signature"]})
    return inputs, outputs


def _made_with(artefact: bytes) -> dict:
    """Versions, time and checksum: what a card needs to be traced back to how it was made."""
    import datetime
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {
        "drrn_tf": ver("drrn-tf"),
        "tensorflow": ver("tensorflow"),
        "ai_edge_litert": ver("ai-edge-litert"),
        "created_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "sha256": hashlib.sha256(artefact).hexdigest(),
    }


def model_card(artefact: bytes, fmt: str, quant: str, keras_model, file_name: str, parity: dict | None, scales=SCALES) -> dict:
    stats = model_stats(keras_model)
    card = {
        "file": file_name,
        "format": fmt,
        "quantization": quant,
        "file_size_bytes": len(artefact),
        "source_model": stats["name"],
        "architecture": stats["architecture"],
        "params": stats["params"],
        "macs_per_pixel": stats["macs_per_pixel"],
        "macs_288x288": stats["macs_per_pixel"] * 288 * 288,
        "receptive_field": stats["receptive_field"],
        "scales_trained": list(scales),
        "preprocessing": PREPROCESSING,
        "made_with": _made_with(artefact),
        "weights_licence": WEIGHTS_LICENCE,
    }
    if fmt == "tflite":
        card["inputs"], card["outputs"] = _tflite_io(artefact)
    else:
        import onnxruntime as ort

        sess = ort.InferenceSession(artefact, providers=["CPUExecutionProvider"])
        card["inputs"] = [
            {"name": i.name, "shape": [d if isinstance(d, int) else -1 for d in i.shape], "dtype": "float32", "quantization": None} for i in sess.get_inputs()
        ]
        card["outputs"] = [
            {"name": o.name, "shape": [d if isinstance(d, int) else -1 for d in o.shape], "dtype": "float32", "quantization": None} for o in sess.get_outputs()
        ]
    card["parity"] = parity
    return card


def write_artefact(out: Path, artefact: bytes, card_path: Path, card: dict, overwrite: bool = True) -> None:
    """Artefact and card, both written to temporary files first and moved into place only when both
    are complete (``overwrite=False``: neither replaces a file that exists by then)."""
    from drrn_tf.io.files import atomic_path

    with atomic_path(out, replace=overwrite) as tmp_out, atomic_path(card_path, replace=overwrite) as tmp_card:
        tmp_out.write_bytes(artefact)
        tmp_card.write_bytes((json.dumps(card, indent=2) + "\n").encode())
