// Tile plans and tiled end-to-end upscaling, mirroring drrn_tf/inference/tiling.py (axis_plan) and
// export/runtime.py (upscale_e2e): same rules, same symmetric padding, so that the page's
// output equals Python LiteRT's on the same .tflite (tests/test_web_demo.py checks both).
// Plain ES module, no DOM: runs in the browser and in Node.

/** Windows of `window` pixels covering an axis of length n; see drrn_tf/inference/tiling.py for the rules. */
export function axisPlan(n, window, halo) {
  if (!(n >= 1)) throw new Error(`axis length must be >= 1, got ${n}`);
  if (n <= window) return [{start: 0, stop: n, ownStart: 0, ownStop: n}];
  const step = window - 2 * halo;
  if (step < 1) throw new Error(`window ${window} must exceed twice the halo ${halo}`);
  const starts = [];
  for (let s = 0; s < n - window; s += step) starts.push(s);
  starts.push(n - window);
  const spans = [];
  let ownStart = 0;
  for (const s of starts) {
    const e = s + window;
    const ownStop = e === n ? n : e - halo;
    spans.push({start: s, stop: e, ownStart, ownStop});
    ownStart = ownStop;
  }
  return spans;
}

/** numpy.pad(mode="symmetric") index: mirror including the edge pixel, repeated for long pads. */
export function symmetricIndex(i, n) {
  const period = 2 * n;
  const j = ((i % period) + period) % period;
  return j < n ? j : period - 1 - j;
}

/** Copy window rows [r0, r0+th) x cols [c0, c0+tw) of an interleaved uint8 image (w wide, ch
 * channels) into `out` (th*tw*ch), indices past the image mirrored symmetrically. */
export function cropPadded(src, h, w, ch, r0, c0, th, tw, out) {
  for (let y = 0; y < th; y++) {
    const sy = symmetricIndex(r0 + y, h);
    for (let x = 0; x < tw; x++) {
      const sx = symmetricIndex(c0 + x, w);
      const si = (sy * w + sx) * ch;
      const di = (y * tw + x) * ch;
      for (let k = 0; k < ch; k++) out[di + k] = src[si + k];
    }
  }
  return out;
}

/**
 * Tiled upscaling with a fixed-shape end-to-end model.
 * rgb: Uint8Array h*w*3; run(tile Uint8Array th*tw*3) -> Promise<Uint8Array (s*th)*(s*tw)*3>.
 * A tile reads [start, stop) of the LR image (padded symmetrically to th x tw when the image is
 * smaller) and writes its own part, scaled by s, to the output. onTile(i, total, ms) reports
 * progress (awaited, so it can yield to the UI); shouldStop() cancels (throws an Error named "AbortError").
 */
export async function upscaleTiled(rgb, h, w, {tileH, tileW, scale, halo, run, onTile, shouldStop}) {
  const s = scale;
  const rows = axisPlan(h, tileH, halo);
  const cols = axisPlan(w, tileW, halo);
  const out = new Uint8Array(h * s * w * s * 3);
  const tile = new Uint8Array(tileH * tileW * 3);
  const total = rows.length * cols.length;
  const tileMs = [];
  let i = 0;
  for (const r of rows) {
    for (const c of cols) {
      if (shouldStop && shouldStop()) {
        const err = new Error("cancelled");
        err.name = "AbortError";
        throw err;
      }
      cropPadded(rgb, h, w, 3, r.start, c.start, tileH, tileW, tile);
      const t0 = performance.now();
      const res = await run(tile);
      const ms = performance.now() - t0;
      tileMs.push(ms);
      const outW = tileW * s;
      for (let y = r.ownStart * s; y < r.ownStop * s; y++) {
        const ty = y - r.start * s;
        const srcOff = (ty * outW + (c.ownStart - c.start) * s) * 3;
        const len = (c.ownStop - c.ownStart) * s * 3;
        out.set(res.subarray(srcOff, srcOff + len), (y * w * s + c.ownStart * s) * 3);
      }
      i += 1;
      if (onTile) await onTile(i, total, ms);
    }
  }
  return {pixels: out, height: h * s, width: w * s, tiles: total, tileMs};
}
