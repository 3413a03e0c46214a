"""Run exported artefacts on luminance images: LiteRT (ai_edge_litert) and ONNX Runtime.

A fixed-shape TFLite model is run tile by tile with the same plan as the Keras tiler
(``drrn_tf.inference.tiling``); an image side shorter than the model's input is padded by
mirroring and the padding is cropped off again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from drrn_tf.inference.tiling import run_tiled

__all__ = ["LiteRTModel", "OnnxModel"]


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

    def run(self, x: np.ndarray) -> np.ndarray:
        """x: (1, H, W, 1) float32 -> same shape float32 (a dynamic-shape model is resized to x first)."""
        if self.fixed is None and tuple(self.input["shape"]) != x.shape:
            self.interpreter.resize_tensor_input(self.input["index"], x.shape)
            self.interpreter.allocate_tensors()
            self.input = self.interpreter.get_input_details()[0]
            self.output = self.interpreter.get_output_details()[0]
        return self.run_raw(x).astype(np.float32)

    def predict_y(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, np.float32)
        if self.fixed is None:
            return self.run(y[None, :, :, None])[0, :, :, 0]
        return run_tiled(y, lambda tile: self.run(tile[None, :, :, None])[0, :, :, 0], self.fixed, self.halo, fixed=True)

    def upscale_e2e(self, rgb: np.ndarray, scale: int, halo: int) -> np.ndarray:
        """Tiled run of a fixed-shape end-to-end model on an LR RGB image of any size.

        Same plan as ``web_demo/tiling.js`` (``upscaleTiled``) and the Android demo: LR
        windows of the model's input size from ``drrn_tf.inference.tiling.axis_plan`` with
        ``halo`` LR pixels (``drrn_tf_export.e2e.tile_halo``), padded symmetrically when the
        image is smaller; each window writes its own part, ``scale`` times larger.
        """
        if self.fixed is None:
            raise ValueError("upscale_e2e needs a fixed-shape end-to-end model")
        return run_tiled(rgb, self.run_e2e_tile, self.fixed, halo, scale=scale, fixed=True, dtype=np.uint8)

    def run_e2e_tile(self, tile: np.ndarray) -> np.ndarray:
        """An end-to-end model on one LR tile (h, w, 3) of uint8 pixels: the upscaled tile, uint8 (a
        float32-pixel model's output rounded and clipped to 0..255, not truncated)."""
        out = self.run_raw(tile.astype(self.input["dtype"])[None])[0]
        return out if out.dtype == np.uint8 else np.clip(np.rint(out), 0, 255).astype(np.uint8)


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
