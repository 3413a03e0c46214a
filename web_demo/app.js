// The web demo: a fixed-shape end-to-end DRRN .tflite (LR RGB in, upscaled RGB out) run by
// LiteRT.js on this device's CPU, tile by tile (tiling.js), with the latency on screen. The
// models come from models.json (drrn serve-demo), from the user's own file (picker or drop,
// with its .json card or without: tflite_facts.js reads what tiling needs from the file), or
// from ?model=URL. window.drrnDemo exposes the last result and a benchmark for tests/driver.mjs.
import {loadAndCompile, loadLiteRt, Tensor} from "@litertjs/core";
import {lrHalo, tfliteFacts} from "./tflite_facts.js";
import {upscaleTiled} from "./tiling.js";

const MAX_INPUT_PIXELS = 2_000_000; // LR photo; the output is scale^2 times larger
const $ = (id) => document.getElementById(id);
const state = {loads: 0, loading: false, models: [], compiled: null, card: null, entry: null, cancel: false, busy: false, lastResult: null, threadsAvailable: false};

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
  if (!["uint8", "float32"].includes(ins[0].dtype) || !["uint8", "float32"].includes(outs[0].dtype)) {
    return `the model takes ${ins[0].dtype} and gives ${outs[0].dtype}; an end-to-end model has uint8 (or float32) pixel values`;
  }
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

/** A card for a model that came without one, from the file itself: shapes and dtypes from
 * LiteRT.js, receptive radius, parameters and quantisation from the flatbuffer. */
function derivedCard(bytes, model, name) {
  const ins = model.getInputDetails();
  const outs = model.getOutputDetails();
  const inShape = Array.from(ins[0].shape);
  const outShape = Array.from(outs[0].shape);
  if (ins.length !== 1 || outs.length !== 1) throw new Error(`the model has ${ins.length} inputs and ${outs.length} outputs; expected 1 and 1`);
  if (inShape.length !== 4 || inShape[3] !== 3 || outShape[3] !== 3) {
    throw new Error(`takes ${inShape.join("x")} and gives ${outShape.join("x")}: not an end-to-end RGB model. This page runs end-to-end exports `
      + "(drrn export MODEL --e2e-scale 3 --shape 96x96 --quant int8); a luminance .tflite can be timed below, and run by drrn upscale");
  }
  const scale = outShape[1] / inShape[1];
  if (![2, 3, 4].includes(scale) || outShape[2] / inShape[2] !== scale) throw new Error(`input ${inShape.join("x")}, output ${outShape.join("x")}: not a x2/x3/x4 upscaler`);
  const facts = tfliteFacts(bytes);
  return {
    source_model: name,
    quantization: facts.quantization,
    params: facts.params,
    derived: true,
    inputs: [{dtype: ins[0].dtype}],
    outputs: [{dtype: outs[0].dtype}],
    end_to_end: {scale, lr_shape: [inShape[1], inShape[2]], tile_halo_lr: lrHalo(facts.radius, scale), quality: null},
  };
}

async function entryBytes(entry) {
  return entry.bytes ?? new Uint8Array(await (await fetchOk(entry.file, "model")).arrayBuffer());
}

async function entryCard(entry) {
  if (entry.cardData !== undefined) return entry.cardData;
  if (!entry.card) return null;
  const res = await fetch(entry.card);
  if (!res.ok) {
    if (entry.cardOptional) return null;
    throw new Error(`model card ${entry.card}: HTTP ${res.status}`);
  }
  return await res.json();
}

async function compile(entry, threads) {
  const bytes = await entryBytes(entry);
  let card = await entryCard(entry);
  const model = await loadAndCompile(bytes, {accelerator: "wasm", cpuOptions: {numThreads: threads}});
  let problem = null;
  try {
    if (!card) card = derivedCard(bytes, model, entry.name);
    problem = checkCard(card, model);
  } catch (err) {
    problem = err.message;
  }
  if (problem) {
    model.delete();
    const err = new Error(`${entry.name}: ${problem}`);
    err.bytes = bytes;
    throw err;
  }
  return {model, card, bytes};
}

/** One line on the loaded model, its quality figure from the card where the export measured one. */
function describeModel(entry, card) {
  const q = card.end_to_end.quality;
  const quality = card.derived
    ? `no model card: tiles overlap by ${card.end_to_end.tile_halo_lr} LR pixels, from the receptive field its convolutions reach`
    : q
      ? `${q.dataset} x${q.scale} PSNR ${q.psnr.toFixed(2)} dB (bicubic ${q.bicubic_psnr.toFixed(2)} dB), from its model card`
      : "no quality figure in its model card";
  return `Loaded: ${card.source_model}, ${card.quantization}, ${card.params.toLocaleString()} parameters; ${quality}.`;
}

/** One inference timed on the loaded model (or on a model this page cannot upscale with): a line for the page. */
async function timeOnce(bytes, threads, runs = 5) {
  const url = URL.createObjectURL(new Blob([bytes]));
  try {
    const r = await benchmark(url, threads, runs, 1);
    return `One inference of its ${r.shape.join("x")} input: median ${r.median_ms.toFixed(1)} ms over ${r.runs} runs (p90 ${r.p90_ms.toFixed(1)} ms), ${threads} thread${threads > 1 ? "s" : ""}.`;
  } finally {
    URL.revokeObjectURL(url);
  }
}

async function selectModel() {
  if (state.loading) return;  // the controls are disabled meanwhile; a drop is ignored until it is done
  state.loading = true;
  try {
    await loadSelected();
  } finally {
    state.loading = false;
    state.loads++;  // finished, loaded or refused (tests/driver.mjs waits on it)
  }
}

async function loadSelected() {
  const entry = state.models[$("model").selectedIndex];
  const threads = Number($("threads").value);
  setInputsEnabled(false);
  setStatus(`Loading ${entry.name} (${threads} thread${threads > 1 ? "s" : ""})…`);
  $("model-info").textContent = "";
  if (state.compiled) state.compiled.delete();
  state.compiled = null;
  $("model-timing").textContent = "";
  try {
    const {model, card, bytes} = await compile(entry, threads);
    Object.assign(state, {compiled: model, card, entry});
    $("model-info").textContent = describeModel(entry, card);
    if (entry.own) {
      try {
        $("model-timing").textContent = await timeOnce(bytes, threads);
      } catch (err) {
        $("model-timing").textContent = `Could not time it: ${err.message}`;
      }
    }
    const e2e = card.end_to_end;
    setStatus(`Ready: ${entry.name}, x${e2e.scale}, tiles of ${e2e.lr_shape[0]}x${e2e.lr_shape[1]} LR pixels. Pick a photo.`, "ready");
    setInputsEnabled(true);
  } catch (err) {
    fail(`Cannot use this model: ${err.message}`);
    if (entry.own && err.bytes) {  // still say how fast it is, where it runs at all
      try {
        $("model-timing").textContent = await timeOnce(err.bytes, threads);
      } catch {}
    }
    $("model").disabled = false;
    $("own-model").disabled = false;
    $("threads").disabled = !state.threadsAvailable;
  }
}

/** Add the user's own model (files from the picker or a drop: one .tflite, its .json card optional) and load it. */
async function addOwnModel(files) {
  const list = Array.from(files);
  const tflite = list.find((f) => f.name.toLowerCase().endsWith(".tflite"));
  const json = list.find((f) => f.name.toLowerCase().endsWith(".json"));
  const refuse = (text) => {
    fail(text);
    state.loads++;
  };
  if (!tflite) {
    refuse(`No .tflite among ${list.map((f) => f.name).join(", ") || "the files given"}: pick a model made by drrn export (and its .json card if you have it).`);
    return;
  }
  let cardData = null;
  if (json) {
    try {
      cardData = JSON.parse(await json.text());
    } catch {
      refuse(`${json.name} is not a valid model card (not JSON).`);
      return;
    }
  }
  const bytes = new Uint8Array(await tflite.arrayBuffer());
  addEntry({name: `your model: ${tflite.name}`, bytes, cardData, own: true});
  await selectModel();
}

function listModels() {  // names come from files and URLs: text, never markup
  $("model").replaceChildren(...state.models.map((m, i) => new Option(m.name, String(i))));
}

function addEntry(entry) {
  state.models.push(entry);
  listModels();
  $("model").selectedIndex = state.models.length - 1;
}

function setInputsEnabled(on) {
  for (const id of ["file", "camera", "model", "own-model"]) $(id).disabled = !on;
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
  return {threads, runs, median_ms: median, p90_ms: pct(0.9), times, shape: Array.from(d.shape), wasm: state.wasm};  // times in run order
}

async function main() {
  const isolated = self.crossOriginIsolated === true;
  const cores = navigator.hardwareConcurrency || 1;
  // ?wasm=simd|compat loads that single-threaded LiteRT.js build instead of the default (the
  // threaded one where the page is cross-origin isolated): benchmarks/browser_int8.py compares them.
  const params = new URLSearchParams(location.search);
  const forced = WASM_BUILDS[params.get("wasm")];
  const modelUrl = params.get("model");  // ?model=URL: the user's own end-to-end .tflite (its card beside it, optional)
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
    const res = await fetch("models.json").catch(() => null);
    state.models = res?.ok ? (await res.json()).models || [] : [];
    if (modelUrl) {
      const url = new URL(modelUrl, location.href);
      const card = new URL(url);
      card.pathname = card.pathname.replace(/\.tflite$/i, "") + ".json";
      state.models.push({name: `your model: ${decodeURIComponent(url.pathname.split("/").pop())}`, file: url.href, own: true, card: card.href, cardOptional: true});
    }
    if (!state.models.length) {
      throw new Error(res?.ok ? "models.json lists no models" : `model list models.json: ${res ? `HTTP ${res.status}` : "not reachable"} (serve the page with drrn serve-demo, or open it with ?model=URL)`);
    }
  } catch (err) {
    fail(`Cannot start: ${err.message}`);
    return;
  }
  listModels();
  if (modelUrl) $("model").selectedIndex = state.models.length - 1;
  $("own-model").addEventListener("change", (e) => {
    const files = e.target.files;
    if (files.length) addOwnModel(files).finally(() => (e.target.value = ""));
  });
  document.addEventListener("dragover", (e) => e.preventDefault());
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (!files.length || state.busy || state.loading) return;
    if (files.some((f) => /\.(tflite|json)$/i.test(f.name))) addOwnModel(files);
    else onFile({target: {files, value: ""}});
  });
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
  get loads() {
    return state.loads;
  },
  get status() {
    return {text: $("status").textContent, state: $("status").dataset.state};
  },
  benchmark,
};
