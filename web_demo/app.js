// The web demo: a fixed-shape end-to-end DRRN .tflite (LR RGB in, upscaled RGB out) run by
// LiteRT.js on this device's CPU, tile by tile (tiling.js), with the latency on screen.
// window.drrnDemo exposes the last result and a benchmark for tests/web_demo_driver.mjs.
import {loadAndCompile, loadLiteRt, Tensor} from "@litertjs/core";
import {upscaleTiled} from "./tiling.js";

const MAX_INPUT_PIXELS = 2_000_000; // LR photo; the output is scale^2 times larger
const $ = (id) => document.getElementById(id);
const state = {models: [], compiled: null, card: null, entry: null, cancel: false, busy: false, lastResult: null, threadsAvailable: false};

function setStatus(text, kind = "info") {
  const el = $("status");
  el.textContent = text;
  el.dataset.state = kind;
}

function fail(text) {
  setStatus(text, "error");
  console.error(text);
}

function checkCard(card, model) {
  // The card must describe this very model: a mismatch means a stale or foreign file.
  const ins = model.getInputDetails();
  const outs = model.getOutputDetails();
  const e2e = card.end_to_end;
  if (!e2e || !card.inputs || !card.outputs) return "the model card is not an end-to-end card (no end_to_end/inputs/outputs)";
  const inShape = Array.from(ins[0].shape);
  const outShape = Array.from(outs[0].shape);
  const want = [1, e2e.lr_shape[0], e2e.lr_shape[1], 3];
  const wantOut = [1, e2e.lr_shape[0] * e2e.scale, e2e.lr_shape[1] * e2e.scale, 3];
  if (ins.length !== 1 || outs.length !== 1) return `the model has ${ins.length} inputs and ${outs.length} outputs; expected 1 and 1`;
  if (inShape.some((d) => d < 0)) return "the model's input shape is dynamic; LiteRT.js needs a fixed-shape export (drrn export --shape HxW)";
  if (String(inShape) !== String(want)) return `model card says input ${want.join("x")}, the model has ${inShape.join("x")}`;
  if (String(outShape) !== String(wantOut)) return `model card says output ${wantOut.join("x")}, the model has ${outShape.join("x")}`;
  if (ins[0].dtype !== card.inputs[0].dtype || outs[0].dtype !== card.outputs[0].dtype) {
    return `model card says ${card.inputs[0].dtype}/${card.outputs[0].dtype} input/output, the model has ${ins[0].dtype}/${outs[0].dtype}`;
  }
  if (!(e2e.tile_halo_lr >= 0) || 2 * e2e.tile_halo_lr >= Math.min(e2e.lr_shape[0], e2e.lr_shape[1])) return "model card: tile_halo_lr missing or too large for the tile";
  return null;
}

async function fetchOk(url, what) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${what} ${url}: HTTP ${res.status}`);
  return res;
}

async function compile(entry, threads) {
  const card = await (await fetchOk(entry.card, "model card")).json();
  const bytes = new Uint8Array(await (await fetchOk(entry.file, "model")).arrayBuffer());
  const model = await loadAndCompile(bytes, {accelerator: "wasm", cpuOptions: {numThreads: threads}});
  const problem = checkCard(card, model);
  if (problem) {
    model.delete();
    throw new Error(`${entry.file}: ${problem}`);
  }
  return {model, card};
}

/** One line on the loaded model, its quality figure from the card where the export measured one. */
function describeModel(entry, card) {
  const q = card.end_to_end.quality;
  const quality = q
    ? `${q.dataset} x${q.scale} PSNR ${q.psnr.toFixed(2)} dB (bicubic ${q.bicubic_psnr.toFixed(2)} dB), from its model card`
    : "no quality figure in its model card";
  return `Loaded: ${card.source_model}, ${card.quantization}, ${card.params.toLocaleString()} parameters; ${quality}.`;
}

async function selectModel() {
  const entry = state.models[$("model").selectedIndex];
  const threads = Number($("threads").value);
  setInputsEnabled(false);
  setStatus(`Loading ${entry.name} (${threads} thread${threads > 1 ? "s" : ""})…`);
  $("model-info").textContent = "";
  if (state.compiled) state.compiled.delete();
  state.compiled = null;
  try {
    const {model, card} = await compile(entry, threads);
    Object.assign(state, {compiled: model, card, entry});
    $("model-info").textContent = describeModel(entry, card);
    const e2e = card.end_to_end;
    setStatus(`Ready: ${entry.name}, x${e2e.scale}, tiles of ${e2e.lr_shape[0]}x${e2e.lr_shape[1]} LR pixels. Pick a photo.`, "ready");
    setInputsEnabled(true);
  } catch (err) {
    fail(`Cannot use this model: ${err.message}`);
    $("model").disabled = false;
    $("threads").disabled = !state.threadsAvailable;
  }
}

function setInputsEnabled(on) {
  for (const id of ["file", "camera", "model"]) $(id).disabled = !on;
  $("threads").disabled = !on || !state.threadsAvailable;
}

async function decode(file) {
  if (file.type && !file.type.startsWith("image/")) throw new Error(`${file.name} is not an image (${file.type})`);
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, {colorSpaceConversion: "none", premultiplyAlpha: "none", imageOrientation: "from-image"});
  } catch {
    throw new Error(`${file.name} could not be decoded as an image`);
  }
  const {width: w, height: h} = bitmap;
  if (w * h > MAX_INPUT_PIXELS) {
    bitmap.close();
    throw new Error(`${file.name} is ${w}x${h} (${(w * h / 1e6).toFixed(1)} MP); this demo takes photos up to ${MAX_INPUT_PIXELS / 1e6} MP (the output is scale² times larger). Crop or shrink it first.`);
  }
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext("2d", {colorSpace: "srgb"});
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, w, h).data;
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  return {rgb, height: h, width: w};
}

function toTensorData(tile, dtype) {
  return dtype === "float32" ? Float32Array.from(tile) : tile;
}

async function runTile(tile) {
  const shape = Array.from(state.compiled.getInputDetails()[0].shape);
  const input = new Tensor(toTensorData(tile, state.card.inputs[0].dtype), shape);
  const outputs = await state.compiled.run(input);
  input.delete();
  const data = outputs[0].toTypedArray();
  const pixels = data instanceof Uint8Array ? data.slice() : Uint8Array.from(data);
  for (const t of outputs) t.delete();
  return pixels;
}

function drawRgb(canvas, rgb, h, w) {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(w, h);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    img.data[i] = rgb[j];
    img.data[i + 1] = rgb[j + 1];
    img.data[i + 2] = rgb[j + 2];
    img.data[i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return img;
}

function showResult(input, result) {
  const before = $("before");
  before.width = result.width;
  before.height = result.height;
  const small = new OffscreenCanvas(input.width, input.height);
  drawRgb(small, input.rgb, input.height, input.width);
  const ctx = before.getContext("2d");
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(small, 0, 0, result.width, result.height);
  drawRgb($("after"), result.pixels, result.height, result.width);
  $("result").hidden = false;
  const sorted = [...result.tileMs].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  const rows = [
    ["input → output", `${input.width}x${input.height} → ${result.width}x${result.height} (x${state.card.end_to_end.scale})`],
    ["model", `${state.entry.name} (${state.card.quantization}, ${state.card.params.toLocaleString()} parameters)`],
    ["tiles", `${result.tiles} of ${state.card.end_to_end.lr_shape.join("x")} LR pixels`],
    ["inference per tile", `median ${median.toFixed(1)} ms, min ${sorted[0].toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`],
    ["inference total", `${result.inferenceMs.toFixed(0)} ms (whole upscale ${result.totalMs.toFixed(0)} ms)`],
    ["engine", `LiteRT.js wasm (XNNPACK), ${result.threads} thread${result.threads > 1 ? "s" : ""}`],
  ];
  $("timing").innerHTML = rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("");
}

async function onFile(event) {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file || state.busy || !state.compiled) return;
  state.busy = true;
  state.cancel = false;
  setInputsEnabled(false);
  $("cancel").disabled = false;
  const progress = $("progress");
  try {
    setStatus(`Decoding ${file.name}…`);
    const input = await decode(file);
    const e2e = state.card.end_to_end;
    const t0 = performance.now();
    progress.hidden = false;
    progress.value = 0;
    const result = await upscaleTiled(input.rgb, input.height, input.width, {
      tileH: e2e.lr_shape[0],
      tileW: e2e.lr_shape[1],
      scale: e2e.scale,
      halo: e2e.tile_halo_lr,
      run: runTile,
      shouldStop: () => state.cancel,
      onTile: async (i, total, ms) => {
        progress.value = i / total;
        setStatus(`Tile ${i}/${total}: ${ms.toFixed(0)} ms`);
        await new Promise((r) => setTimeout(r, 0)); // repaint, and let Cancel be clicked
      },
    });
    result.totalMs = performance.now() - t0;
    result.inferenceMs = result.tileMs.reduce((a, b) => a + b, 0);
    result.threads = Number($("threads").value);
    state.lastResult = {input, result};
    showResult(input, result);
    setStatus(`Done: ${result.tiles} tiles, ${result.inferenceMs.toFixed(0)} ms of inference.`, "done");
  } catch (err) {
    if (err.name === "AbortError") setStatus("Cancelled.", "ready");
    else fail(err.message);
  } finally {
    progress.hidden = true;
    $("cancel").disabled = true;
    state.busy = false;
    setInputsEnabled(true);
  }
}

const WASM_BUILDS = {
  simd: {name: "simd", file: "litert_wasm_internal.js"}, // relaxed SIMD, one thread
  compat: {name: "compat", file: "litert_wasm_compat_internal.js"}, // plain WebAssembly SIMD, one thread
};

/** Median/p90 of `runs` timed runs (after `warmup`) of any fixed-shape .tflite on zero input. */
async function benchmark(url, threads, runs = 10, warmup = 2) {
  const bytes = new Uint8Array(await (await fetchOk(url, "model")).arrayBuffer());
  const model = await loadAndCompile(bytes, {accelerator: "wasm", cpuOptions: {numThreads: threads}});
  const d = model.getInputDetails()[0];
  const n = Array.from(d.shape).reduce((a, b) => a * b, 1);
  const data = d.dtype === "float32" ? new Float32Array(n).fill(0.5) : d.dtype === "int32" ? new Int32Array(n) : new Uint8Array(n).fill(128);
  const times = [];
  for (let i = 0; i < warmup + runs; i++) {
    const input = new Tensor(data, Array.from(d.shape));
    const t0 = performance.now();
    const outs = await model.run(input);
    outs[0].toTypedArray();
    const ms = performance.now() - t0;
    input.delete();
    for (const t of outs) t.delete();
    if (i >= warmup) times.push(ms);
  }
  model.delete();
  const sorted = [...times].sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  const median = (sorted[Math.floor((runs - 1) / 2)] + sorted[Math.ceil((runs - 1) / 2)]) / 2;
  return {threads, runs, median_ms: median, p90_ms: pct(0.9), times, wasm: state.wasm};  // times in run order
}

async function main() {
  const isolated = self.crossOriginIsolated === true;
  const cores = navigator.hardwareConcurrency || 1;
  // ?wasm=simd|compat loads that single-threaded LiteRT.js build instead of the default (the
  // threaded one where the page is cross-origin isolated): benchmarks/browser_int8.py compares them.
  const forced = WASM_BUILDS[new URLSearchParams(location.search).get("wasm")];
  state.threadsAvailable = isolated && cores > 1 && !forced;
  const options = state.threadsAvailable ? [...new Set([1, 2, Math.min(4, cores)])] : [1];
  $("threads").innerHTML = options.map((t) => `<option value="${t}">${t}</option>`).join("");
  $("threads").value = String(Math.min(2, options[options.length - 1]));
  $("env").textContent = `Threads: ${state.threadsAvailable ? `available (cross-origin isolated, ${cores} cores)` : isolated ? "1 core only" : "unavailable: the page is not cross-origin isolated (serve it with COOP/COEP, e.g. drrn serve-demo)"}.`;
  if ("serviceWorker" in navigator && self.isSecureContext) navigator.serviceWorker.register("sw.js").catch(() => {});
  try {
    const wasmDir = new URL("vendor/litertjs/core/wasm/", location.href).href;
    if (forced) await loadLiteRt(wasmDir + forced.file);
    else await loadLiteRt(wasmDir, {threads: state.threadsAvailable});
    state.wasm = forced ? forced.name : state.threadsAvailable ? "threaded" : "default";
    const manifest = await (await fetchOk("models.json", "model list")).json();
    state.models = manifest.models || [];
    if (!state.models.length) throw new Error("models.json lists no models");
  } catch (err) {
    fail(`Cannot start: ${err.message}`);
    return;
  }
  $("model").innerHTML = state.models.map((m, i) => `<option value="${i}">${m.name}</option>`).join("");
  $("model").addEventListener("change", selectModel);
  $("threads").addEventListener("change", selectModel);
  $("file").addEventListener("change", onFile);
  $("camera").addEventListener("change", onFile);
  $("cancel").addEventListener("click", () => (state.cancel = true));
  $("slider").addEventListener("input", (e) => ($("after").style.clipPath = `inset(0 0 0 ${e.target.value}%)`));
  await selectModel();
}

window.drrnDemo = {
  ready: main(),
  get lastResult() {
    return state.lastResult;
  },
  get status() {
    return {text: $("status").textContent, state: $("status").dataset.state};
  },
  benchmark,
};
