"""What an exported model file is, and the engine that runs it: any ``.tflite`` or ``.onnx`` that
``drrn export`` writes, with or without the model card beside it.

From the graph itself: the kind (a luminance network -- LR-up Y in, restored Y out -- or an
end-to-end RGB upscaler and its scale), fixed or open input shape, input/output dtypes, the
quantisation, parameters and MACs per output pixel (from the convolutions' kernels) and the receptive
field (the sum of the convolutions' reach: exact for a chain, an upper bound otherwise, so tiling stays
seamless). The card (``NAME.json``), when there is one, is read for what it records and checked against
the file: its checksum, its input shape, and a receptive field no smaller than the graph's. A file that
cannot be run correctly gets one line saying why. Registered as the ``drrn_tf.exported`` entry points.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drrn_tf.constants import SCALES
from drrn_tf.errors import InputError, first_line
from drrn_tf.inference.engines import RgbEngine, TileEngine, keras_bytes_per_pixel, xnnpack_bytes_per_pixel
from drrn_tf.inference.tiling import lr_halo
from drrn_tf.io.files import read_json_object

from .extra import LITERT, ONNX_RUNTIME, require

__all__ = ["ExportedModel", "GraphFacts", "tflite_facts", "onnx_facts", "open_artefact", "MAX_FIXED_PIXELS"]

# Largest exported file read (drrn's largest is a few MB; a 2 GiB flatbuffer is the format's own limit).
MAX_FILE_BYTES = 2 * 2**30
# Largest fixed input an export may have (drrn export makes at most 4096x4096 tiles).
MAX_FIXED_PIXELS = 4096 * 4096

# TFLite ops that act on each pixel alone (no spatial reach) in a luminance network.
_POINTWISE_TFLITE = {
    "ADD", "SUB", "MUL", "DIV", "RELU", "RELU6", "RELU_N1_TO_1", "RELU_0_TO_1", "LEAKY_RELU", "PRELU", "LOGISTIC", "TANH",
    "HARD_SWISH", "QUANTIZE", "DEQUANTIZE", "MAXIMUM", "MINIMUM", "CAST", "ABS", "NEG", "SQUARE", "SQRT", "RSQRT", "EXP",
}  # fmt: skip
_CONV_TFLITE = {"CONV_2D", "DEPTHWISE_CONV_2D"}
# ONNX ops of the same kind, and the layout ops tf2onnx puts around an NHWC graph's convolutions and
# drrn_tf_export.convert.convert_onnx's output reshape (Shape) -- taken to move no pixel: a graph that
# reshapes space needs its card.
_POINTWISE_ONNX = {"Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Clip", "Max", "Min", "Cast", "Identity"}
_LAYOUT_ONNX = {"Transpose", "Reshape", "Squeeze", "Unsqueeze", "Shape"}


@dataclass
class GraphFacts:
    """What the graph of an exported file says about itself."""

    input_shape: list[int]  # -1 for an open dimension
    output_shape: list[int]
    input_dtype: str
    output_dtype: str
    quantization: str  # none, fp16, dynamic, int8, int16x8 (TFLite); fp32 (ONNX)
    params: int
    macs_per_pixel: int
    radius: int | None  # None: a layer of unknown reach
    unknown_op: str | None = None  # the first op whose spatial reach cannot be derived
    channels: int = 1  # widest feature map


def _tflite_schema():
    from ai_edge_litert import schema_py_generated as schema

    return schema


def tflite_facts(content: bytes) -> GraphFacts:
    """``GraphFacts`` of a TFLite flatbuffer (its first subgraph), read from the file's schema."""
    schema = _tflite_schema()
    model = schema.ModelT.InitFromPackedBuf(content, 0)
    if not model.subgraphs:
        raise ValueError("no subgraph")
    g = model.subgraphs[0]
    if len(g.inputs) != 1 or len(g.outputs) != 1:
        raise InputError(f"has {len(g.inputs)} inputs and {len(g.outputs)} outputs; expected one image in and one out")
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    types = {v: k.lower() for k, v in vars(schema.TensorType).items() if not k.startswith("_")}

    def shape(t) -> list[int]:
        sig = t.shapeSignature if t.shapeSignature is not None and len(t.shapeSignature) else t.shape
        return [int(d) for d in (sig if sig is not None else [])]

    radius, macs, params, channels, unknown = 0, 0, 0, 1, None
    conv_types, activation_types, counted = set(), set(), set()
    for op in g.operators:
        code = model.operatorCodes[op.opcodeIndex]
        name = names.get(max(code.builtinCode, code.deprecatedBuiltinCode), "CUSTOM")
        if name in _CONV_TFLITE:
            opts = op.builtinOptions
            if (opts.strideH, opts.strideW) != (1, 1) or opts.padding != schema.Padding.SAME:
                unknown = unknown or f"{name} with stride {opts.strideH}x{opts.strideW} or VALID padding"
            kernel = g.tensors[op.inputs[1]]
            _, kh, kw, last = (int(d) for d in kernel.shape)
            cout = int(g.tensors[op.outputs[0]].shape[-1])
            cin = last if name == "CONV_2D" else 1
            radius += max((kh - 1) // 2 * opts.dilationHFactor, (kw - 1) // 2 * opts.dilationWFactor)
            macs += kh * kw * cin * cout
            for i in op.inputs[1:3]:  # kernel and bias, counted once however many ops share them
                if i >= 0 and i not in counted:
                    counted.add(i)
                    params += int(np.prod(g.tensors[i].shape))
            channels = max(channels, cout)
            conv_types.add(types.get(kernel.type))
            activation_types.add(types.get(g.tensors[op.outputs[0]].type))
        elif name not in _POINTWISE_TFLITE:
            unknown = unknown or name
    constant = [t for t in g.tensors if t.buffer and model.buffers[t.buffer].data is not None and len(model.buffers[t.buffer].data)]
    _check_declared(sum(int(np.prod(shape(t) or [1])) * _ITEMSIZE.get(types.get(t.type), 4) for t in constant))
    tin, tout = g.tensors[g.inputs[0]], g.tensors[g.outputs[0]]
    if "int16" in activation_types:
        quant = "int16x8"
    elif "int8" in activation_types:
        quant = "int8"
    elif "int8" in conv_types:
        quant = "dynamic"
    elif any(types.get(t.type) == "float16" for t in g.tensors):
        quant = "fp16"
    else:
        quant = "none"
    return GraphFacts(shape(tin), shape(tout), types.get(tin.type, "?"), types.get(tout.type, "?"), quant, params, macs, radius, unknown, channels)


# Bytes per element of the TFLite tensor types; the rest count 4.
_ITEMSIZE = {"int8": 1, "uint8": 1, "bool": 1, "int16": 2, "float16": 2, "int64": 8, "float64": 8}
# Most memory a graph's constant tensors (weights, and constants it makes of a fixed shape) may take:
# drrn's networks hold a few MB.
MAX_DECLARED_BYTES = 4 * 2**30


def _check_declared(nbytes: float) -> None:
    if nbytes > MAX_DECLARED_BYTES:
        raise InputError(f"its graph declares {nbytes / 2**30:,.1f} GiB of constant tensors, more than any drrn model ({MAX_DECLARED_BYTES / 2**30:.0f} GiB)")


def onnx_facts(content: bytes) -> GraphFacts:
    """``GraphFacts`` of an ONNX model (NHWC image in and out, as ``drrn export --format onnx`` writes)."""
    import onnx

    model = onnx.load_model_from_string(content)
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    real_inputs = [i for i in g.input if i.name not in inits]
    if len(real_inputs) != 1 or len(g.output) != 1:
        raise InputError(f"has {len(real_inputs)} inputs and {len(g.output)} outputs; expected one image in and one out")

    def shape(v) -> list[int]:
        return [d.dim_value if d.HasField("dim_value") else -1 for d in v.type.tensor_type.shape.dim]

    def dtype(v) -> str:
        return onnx.helper.tensor_dtype_to_np_dtype(v.type.tensor_type.elem_type).name

    declared = sum(int(np.prod(i.dims)) * 4 for i in g.initializer)
    for node in g.node:  # a constant the graph makes at run time (ConstantOfShape of a fixed shape) counts too
        if node.op_type == "ConstantOfShape" and node.input and node.input[0] in inits:
            declared += int(np.prod(onnx.numpy_helper.to_array(inits[node.input[0]]).astype(np.float64))) * 4
    _check_declared(declared)
    radius, macs, params, channels, unknown, counted = 0, 0, 0, 1, None, set()
    for node in g.node:
        if node.op_type == "Conv":
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            w = inits.get(node.input[1])
            if w is None:
                unknown = unknown or "Conv with computed weights"
                continue
            cout, cin, kh, kw = (int(d) for d in w.dims)
            dh, dw = (list(attrs.get("dilations", [1, 1])) + [1, 1])[:2]
            if list(attrs.get("strides", [1, 1])) != [1, 1]:
                unknown = unknown or "Conv with stride > 1"
            radius += max((kh - 1) // 2 * dh, (kw - 1) // 2 * dw)
            macs += kh * kw * cin * cout
            for name in node.input[1:3]:  # weights and bias, counted once however many nodes share them
                if name in inits and name not in counted:
                    counted.add(name)
                    params += int(np.prod(inits[name].dims))
            channels = max(channels, cout)
        elif node.op_type not in _POINTWISE_ONNX | _LAYOUT_ONNX:
            unknown = unknown or node.op_type
    return GraphFacts(shape(real_inputs[0]), shape(g.output[0]), dtype(real_inputs[0]), dtype(g.output[0]), "fp32", params, macs, radius, unknown, channels)


@dataclass
class ExportedModel:
    """An exported file, opened: ``engine`` runs it; ``info()`` is what ``drrn info`` prints."""

    path: Path
    format: str  # tflite or onnx
    kind: str  # "luminance" or "end-to-end"
    facts: GraphFacts
    receptive_field: int
    receptive_field_from: str  # "model card" or "graph"
    scale: int | None  # an end-to-end model's
    card: dict | None
    engine: TileEngine | RgbEngine

    @property
    def name(self) -> str:
        return self.engine.name

    @property
    def quantization(self) -> str:
        return (self.card or {}).get("quantization") or self.facts.quantization

    @property
    def fixed(self) -> tuple[int, int] | None:
        return self.engine.lr_shape if isinstance(self.engine, RgbEngine) else self.engine.fixed

    def info(self) -> dict:
        card = self.card or {}
        parity = card.get("parity") or {}
        e2e = card.get("end_to_end") or {}
        return {
            "name": self.path.name,
            "format": self.format,
            "kind": self.kind,
            "quantization": self.quantization,
            "runtime": self.engine.runtime,
            "file_size_bytes": self.path.stat().st_size,
            "input": {"shape": self.facts.input_shape, "dtype": self.facts.input_dtype},
            "output": {"shape": self.facts.output_shape, "dtype": self.facts.output_dtype},
            "fixed_shape": list(self.fixed) if self.fixed else None,
            "scale": self.scale,
            "source_model": card.get("source_model"),
            "params": int(card.get("params") or self.facts.params),
            "macs_per_pixel": int(card.get("macs_per_pixel") or self.facts.macs_per_pixel),
            "receptive_field": self.receptive_field,
            "receptive_field_from": self.receptive_field_from,
            "tile_halo_lr": getattr(self.engine, "halo_lr", None),
            "parity_worst_drop_db": parity.get("worst_drop_db"),
            "parity_passed": parity.get("passed"),
            "parity_dataset": parity.get("dataset"),
            "quality": e2e.get("quality"),
            "card": str(self.path.with_suffix(".json")) if self.card is not None else None,
        }


def _read_card(path: Path, content: bytes) -> dict | None:
    card_path = path.with_suffix(".json")
    if not card_path.is_file():
        return None
    card = read_json_object(card_path, "not a valid model card")
    sha = (card.get("made_with") or {}).get("sha256") if isinstance(card.get("made_with"), dict) else None
    if sha is not None and sha != hashlib.sha256(content).hexdigest():
        raise InputError(f"{card_path}: this model card describes another file (its sha256 differs from {path.name}'s); remake or remove it")
    for key in ("params", "macs_per_pixel"):
        _card_int(card, key, card_path, 0, 10**13)
    inputs = card.get("inputs")
    said = inputs[0].get("shape") if isinstance(inputs, list) and inputs and isinstance(inputs[0], dict) else None
    if said is not None and not (isinstance(said, list) and all(isinstance(d, int) and not isinstance(d, bool) for d in said)):
        raise InputError(f"{card_path}: inputs[0].shape must be a list of whole numbers, got {said!r}")
    for key in ("end_to_end", "parity"):
        if card.get(key) is not None and not isinstance(card[key], dict):
            raise InputError(f"{card_path}: {key} must be a JSON object, got {type(card[key]).__name__}")
    return card


def _card_int(card: dict, key: str, card_path: Path, lo: int, hi: int) -> int | None:
    value = card.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InputError(f"{card_path}: {key} must be a whole number from {lo} to {hi}, got {value!r}")
    return value


def _kind(facts: GraphFacts, path: Path) -> tuple[str, int | None]:
    """("luminance", None) or ("end-to-end", scale), or one line saying why it is neither."""
    i, o = facts.input_shape, facts.output_shape
    if len(i) != 4 or len(o) != 4:
        raise InputError(f"{path}: expected an image model with (1, H, W, C) input and output, got {i} -> {o}")
    if i[-1] == 1 and o[-1] == 1:
        for side in ("input", "output"):
            dtype = getattr(facts, f"{side}_dtype")
            if dtype != "float32":
                raise InputError(
                    f"{path}: its {side} is {dtype}; drrn runs luminance models with float32 input and output "
                    "(full int8 keeps float I/O: drrn export --quant int8)"
                )
        return "luminance", None
    if i[-1] == 3 and o[-1] == 3:
        if min(i[1:3]) < 1:
            raise InputError(
                f"{path}: an RGB model with an open input shape; drrn runs end-to-end models of a fixed shape (drrn export --e2e-scale S --shape HxW)"
            )
        ratios = {o[1] / i[1], o[2] / i[2]}
        if len(ratios) != 1 or next(iter(ratios)) not in SCALES:
            raise InputError(f"{path}: RGB in {i[1]}x{i[2]}, out {o[1]}x{o[2]}: not an end-to-end x2/x3/x4 upscaler; a luminance model takes 1 channel")
        for side in ("input", "output"):
            dtype = getattr(facts, f"{side}_dtype")
            if dtype not in ("uint8", "float32"):
                raise InputError(f"{path}: its {side} is {dtype}; an end-to-end model takes uint8 (or float32) pixel values 0..255")
        return "end-to-end", int(next(iter(ratios)))
    raise InputError(f"{path}: takes {i[-1]} channel(s) and gives {o[-1]}; expected a luminance model (1 -> 1) or an end-to-end RGB upscaler (3 -> 3)")


def _load(path: Path, fmt: str) -> tuple[bytes, GraphFacts]:
    """The file's bytes and its ``GraphFacts``, or one line saying why it cannot be read as a ``fmt`` model."""
    from drrn_tf.io.files import read_capped

    content = read_capped(path, MAX_FILE_BYTES, "model")
    try:
        facts = tflite_facts(content) if fmt == "tflite" else onnx_facts(content)
    except InputError as e:
        raise InputError(f"{path}: {e}") from None
    except Exception as e:
        raise InputError(f"{path}: not a loadable {fmt} model ({first_line(e)})") from e
    return content, facts


def _fixed_input(facts: GraphFacts, card: dict | None, path: Path) -> tuple[int, int] | None:
    """The fixed input (h, w), None when open; checked against drrn's largest export and the card's input shape."""
    fixed = None if min(facts.input_shape[1:3]) < 1 else tuple(facts.input_shape[1:3])
    if fixed and fixed[0] * fixed[1] > MAX_FIXED_PIXELS:
        raise InputError(f"{path}: fixed input {fixed[0]}x{fixed[1]} is larger than any export drrn makes (at most 4096x4096 pixels)")
    said = ((card or {}).get("inputs") or [{}])[0].get("shape") if isinstance((card or {}).get("inputs"), list) else None
    if said is not None and said != facts.input_shape:
        raise InputError(f"{path.with_suffix('.json')}: the card says input {said}, {path.name} has {facts.input_shape}; remake or remove the card")
    return fixed


def _receptive_field(facts: GraphFacts, kind: str, card: dict | None, path: Path) -> tuple[int, str]:
    """The receptive field and where it comes from ("model card" or "graph"), or one line saying why it is not known."""
    card_path = path.with_suffix(".json")
    rf = _card_int(card or {}, "receptive_field", card_path, 1, 4097)
    if rf is not None:
        if facts.radius is not None and rf < 2 * facts.radius + 1:
            raise InputError(f"{card_path}: the card says receptive field {rf}, but {path.name}'s convolutions reach {2 * facts.radius + 1}; remake the card")
        return rf, "model card"
    if facts.radius is not None and (facts.unknown_op is None or kind == "end-to-end"):
        return 2 * facts.radius + 1, "graph"
    raise InputError(
        f"{path}: no model card ({card_path.name}) and a {facts.unknown_op} op whose spatial reach cannot be derived; put the card drrn export wrote beside it"
    )


def _halo_lr(path: Path, fmt: str, kind: str, fixed: tuple[int, int] | None, rf: int, scale: int | None, card: dict | None) -> int | None:
    """An end-to-end model's tile overlap in LR pixels (the card's, else derived; None for a luminance model), once its input shape is found runnable."""
    radius = (rf - 1) // 2
    if kind == "end-to-end":
        if fmt != "tflite":
            raise InputError(f"{path}: end-to-end models run as .tflite (drrn export --e2e-scale writes one)")
        e2e = (card or {}).get("end_to_end") or {}
        halo_lr = _card_int(e2e, "tile_halo_lr", path.with_suffix(".json"), 0, 4096)
        halo_lr = lr_halo(radius, scale) if halo_lr is None else halo_lr
        if min(fixed) <= 2 * halo_lr:
            raise InputError(
                f"{path}: fixed input {fixed[0]}x{fixed[1]} LR pixels is too small for tiles that overlap by {halo_lr} on each side; export a larger --shape"
            )
        return halo_lr
    if fixed is not None and min(fixed) <= 2 * radius:
        raise InputError(
            f"{path}: fixed input {fixed[0]}x{fixed[1]} is too small for its receptive field ({rf}x{rf}): each side must exceed {2 * radius} pixels; "
            "export a larger --shape"
        )
    if fmt == "onnx" and fixed is not None:
        raise InputError(
            f"{path}: an ONNX model of a fixed input shape {fixed[0]}x{fixed[1]}; drrn runs ONNX with open height and width (drrn export --format onnx)"
        )
    return None


def open_artefact(path: str | Path, threads: int = 2) -> ExportedModel:
    """Open an exported ``.tflite`` or ``.onnx`` model for ``drrn upscale``, ``eval``, ``info`` and ``bench``:
    every check first, then the runtime. Registered as a ``drrn_tf.exported`` entry point."""
    from .runtime import LiteRTModel, OnnxModel

    path = Path(path)
    fmt = path.suffix.lower()[1:]
    require(f"{path}: running a .{fmt} model", LITERT if fmt == "tflite" else ONNX_RUNTIME)
    content, facts = _load(path, fmt)
    card = _read_card(path, content)
    kind, scale = _kind(facts, path)
    fixed = _fixed_input(facts, card, path)
    rf, source = _receptive_field(facts, kind, card, path)
    radius = (rf - 1) // 2
    halo_lr = _halo_lr(path, fmt, kind, fixed, rf, scale, card)
    quant = (card or {}).get("quantization") or facts.quantization
    label = "fp32" if quant == "none" else quant
    name = f"{path.name} ({card['source_model']}, {label})" if (card or {}).get("source_model") else f"{path.name} ({label})"
    try:
        runner = LiteRTModel(content, threads=threads, halo=radius) if fmt == "tflite" else OnnxModel(content, threads=threads)
    except Exception as e:
        raise InputError(f"{path}: not a loadable {fmt} model ({first_line(e)})") from e
    if kind == "end-to-end":
        engine = RgbEngine(name, runner.run_e2e_tile, fixed, scale, halo_lr, f"litert {label}")
    elif fmt == "tflite":
        engine = TileEngine(name, runner.predict_y, radius, xnnpack_bytes_per_pixel(radius, facts.channels), fixed, f"litert {label}")
    else:
        engine = TileEngine(name, runner.predict_y, radius, keras_bytes_per_pixel(facts.channels), None, "onnxruntime fp32")
    return ExportedModel(path, fmt, kind, facts, rf, source, scale, card, engine)
