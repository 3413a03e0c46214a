// What a .tflite file says about itself, read from its flatbuffer (no LiteRT needed): the
// convolutions of its first subgraph, hence the receptive radius (how far tiles must overlap),
// the parameter count and the MACs per output pixel, and the weights' quantisation. The same
// facts drrn_tf_export.artefact.tflite_facts reads in Python, for a model that comes without
// its card. Plain ES module, no DOM: runs in the browser and in Node.

const CONV_2D = 3;
const DEPTHWISE_CONV_2D = 4;
const TENSOR_TYPES = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 7: "int16", 9: "int8"};

class Table {
  constructor(view, pos) {
    this.view = view;
    this.pos = pos;
    this.vtable = pos - view.getInt32(pos, true);
    this.vsize = view.getUint16(this.vtable, true);
  }
  offset(field) {
    const at = 4 + 2 * field;
    return at < this.vsize ? this.view.getUint16(this.vtable + at, true) : 0;
  }
  int(field, size, fallback = 0) {
    const o = this.offset(field);
    if (!o) return fallback;
    const p = this.pos + o;
    return size === 1 ? this.view.getInt8(p) : size === 2 ? this.view.getInt16(p, true) : this.view.getInt32(p, true);
  }
  uint8(field, fallback = 0) {
    const o = this.offset(field);
    return o ? this.view.getUint8(this.pos + o) : fallback;
  }
  table(field) {
    const o = this.offset(field);
    if (!o) return null;
    const p = this.pos + o;
    return new Table(this.view, p + this.view.getUint32(p, true));
  }
  vector(field) {  // [start, length] of a vector field
    const o = this.offset(field);
    if (!o) return [0, 0];
    const p = this.pos + o;
    const start = p + this.view.getUint32(p, true);
    return [start + 4, this.view.getUint32(start, true)];
  }
  ints(field) {
    const [start, n] = this.vector(field);
    return Array.from({length: n}, (_, i) => this.view.getInt32(start + 4 * i, true));
  }
  tables(field) {
    const [start, n] = this.vector(field);
    return Array.from({length: n}, (_, i) => {
      const p = start + 4 * i;
      return new Table(this.view, p + this.view.getUint32(p, true));
    });
  }
}

/** {radius, params, macsPerPixel, quantization, convs} of a .tflite flatbuffer (Uint8Array). */
export function tfliteFacts(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || String.fromCharCode(...bytes.subarray(4, 8)) !== "TFL3") throw new Error("not a TFLite file (no TFL3 identifier)");
  const model = new Table(view, view.getUint32(0, true));
  const codes = model.tables(1).map((c) => Math.max(c.int(0, 1), c.int(3, 4)));  // deprecated_builtin_code, builtin_code
  const graph = model.tables(2)[0];
  if (!graph) throw new Error("the model has no subgraph");
  const tensors = graph.tables(0);
  let radius = 0, params = 0, macs = 0, convs = 0;
  const counted = new Set();
  const kernelTypes = new Set(), activationTypes = new Set();
  for (const op of graph.tables(3)) {
    const code = codes[op.int(0, 4)];
    if (code !== CONV_2D && code !== DEPTHWISE_CONV_2D) continue;
    const inputs = op.ints(1);
    const opts = op.table(4);
    const depthwise = code === DEPTHWISE_CONV_2D;
    const dilationW = opts ? opts.int(depthwise ? 5 : 4, 4, 1) : 1;
    const dilationH = opts ? opts.int(depthwise ? 6 : 5, 4, 1) : 1;
    const kernel = tensors[inputs[1]];
    const [, kh, kw, last] = kernel.ints(0);
    radius += Math.max(((kh - 1) >> 1) * dilationH, ((kw - 1) >> 1) * dilationW);
    const outChannels = tensors[op.ints(2)[0]].ints(0).at(-1);
    macs += kh * kw * (depthwise ? 1 : last) * outChannels;
    for (const i of inputs.slice(1, 3)) {  // kernel and bias, counted once however many ops share them
      if (i >= 0 && !counted.has(i)) {
        counted.add(i);
        params += tensors[i].ints(0).reduce((a, b) => a * b, 1);
      }
    }
    kernelTypes.add(TENSOR_TYPES[kernel.uint8(1)]);
    activationTypes.add(TENSOR_TYPES[tensors[op.ints(2)[0]].uint8(1)]);
    convs++;
  }
  const quantization = activationTypes.has("int16") ? "int16x8" : activationTypes.has("int8") ? "int8"
    : kernelTypes.has("int8") ? "dynamic" : tensors.some((t) => t.uint8(1) === 1) ? "fp16" : "none";
  return {radius, params, macsPerPixel: macs, quantization, convs};
}

/** LR pixels of overlap an end-to-end tile needs: drrn_tf.inference.tiling.lr_halo. */
export function lrHalo(radius, scale) {
  return Math.ceil(radius / scale) + 2;
}
