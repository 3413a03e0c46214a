"""Run exported artefacts on luminance images: LiteRT (ai_edge_litert) and ONNX Runtime.

A fixed-shape TFLite model is run tile by tile with the same plan as the Keras tiler
(``drrn_tf.tiling``); an image side shorter than the model's input is padded by
mirroring and the padding is cropped off again.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from drrn_tf.tiling import axis_plan

__all__ = ["LiteRTModel", "OnnxModel", "time_call"]


def time_call(fn, runs: int = 10, warmup: int = 2) -> tuple[float, float]:
    """(median, p90) wall time of ``fn()`` in milliseconds over ``runs`` calls after ``warmup``."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, float(np.percentile(times, 90)) * 1000


class LiteRTModel:
    def __init__(self, model: bytes | str | Path, threads: int = 2, halo: int = 0):
        from ai_edge_litert.interpreter import Interpreter

        content = model if isinstance(model, (bytes, bytearray)) else Path(model).read_bytes()
        self.interpreter = Interpreter(model_content=bytes(content), num_threads=threads)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        sig = self.input["shape_signature"]
        self.fixed = None if (sig[1] < 0 or sig[2] < 0) else (int(sig[1]), int(sig[2]))
        self.halo = int(halo)

    def run_raw(self, x: np.ndarray) -> np.ndarray:
        """One invocation on an input of the model's own dtype and shape."""
        self.interpreter.set_tensor(self.input["index"], x)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output["index"])

    def _run(self, x: np.ndarray) -> np.ndarray:
        """x: (1, H, W, 1) float32 -> same shape float32."""
        if self.fixed is None and tuple(self.input["shape"]) != x.shape:
            self.interpreter.resize_tensor_input(self.input["index"], x.shape)
            self.interpreter.allocate_tensors()
            self.input = self.interpreter.get_input_details()[0]
            self.output = self.interpreter.get_output_details()[0]
        return self.run_raw(x).astype(np.float32)

    def predict_y(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, np.float32)
        if self.fixed is None:
            return self._run(y[None, :, :, None])[0, :, :, 0]
        wh, ww = self.fixed
        out = np.empty(y.shape, np.float32)
        for r in axis_plan(y.shape[0], wh, self.halo):
            for c in axis_plan(y.shape[1], ww, self.halo):
                tile = y[r.start : r.stop, c.start : c.stop]
                pad = ((0, wh - tile.shape[0]), (0, ww - tile.shape[1]))
                res = self._run(np.pad(tile, pad, mode="symmetric")[None, :, :, None])[0, :, :, 0]
                out[r.own_start : r.own_stop, c.own_start : c.own_stop] = res[
                    r.own_start - r.start : r.own_stop - r.start, c.own_start - c.start : c.own_stop - c.start
                ]
        return out


class OnnxModel:
    def __init__(self, model: bytes | str | Path, threads: int = 2):
        import onnxruntime as ort

        content = model if isinstance(model, (bytes, bytearray)) else Path(model).read_bytes()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        self.session = ort.InferenceSession(bytes(content), opts, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name

    def predict_y(self, y: np.ndarray) -> np.ndarray:
        x = np.asarray(y, np.float32)[None, :, :, None]
        return self.session.run(None, {self.input_name: x})[0][0, :, :, 0]
