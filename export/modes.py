"""The export stage's quantisation modes, defined once (no imports: the parsers use them without TensorFlow)."""

__all__ = ["QUANT_MODES", "CALIBRATED_MODES", "RUN_MODES"]

# TFLite conversions: float32, float16 weights, int8 weights (dynamic), full int8, 16-bit activations.
QUANT_MODES = ("none", "fp16", "dynamic", "int8", "int16x8")

# Full-integer modes: they calibrate activation ranges on a representative dataset.
CALIBRATED_MODES = ("int8", "int16x8")

# What `--runtime litert` and `drrn serve-demo` offer to run: int16x8 has no XNNPACK kernels
# (LiteRT falls back to its reference kernels, slower than float32) and no LiteRT.js support.
RUN_MODES = ("none", "fp16", "dynamic", "int8")
