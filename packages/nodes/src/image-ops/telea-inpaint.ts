import type { RawImage } from "@atelier/core";
import type { MutableRawImage } from "./image-buffers.js";
import { unsupportedMode } from "./image-op-error.js";

// Alexandru Telea's fast-marching inpainting (2004), organised the way OpenCV's `cv2.inpaint(..., INPAINT_TELEA)`
// does it so results agree closely with InvokeAI's infill_cv2: a narrow band around the hole, distances marched
// outward (negated) up to `radius`, then inward while each new pixel is filled from the known pixels within
// `radius`, weighted by direction, distance and level-set closeness.

const KNOWN = 0;
const BAND = 1;
const INSIDE = 2;
const CHANGE = 3;
const f32 = Math.fround;

/** A priority queue ordered by time, first-in-first-out among equal times (OpenCV's sorted list). */
class MarchQueue {
  private heap: Array<{ t: number; seq: number; i: number; j: number }> = [];
  private seq = 0;

  push(i: number, j: number, t: number): void {
    const h = this.heap;
    h.push({ t, seq: this.seq++, i, j });
    let k = h.length - 1;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (this.less(h[k], h[p])) {
        [h[k], h[p]] = [h[p], h[k]];
        k = p;
      } else break;
    }
  }

  pop(): { i: number; j: number } | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === k) break;
        [h[k], h[m]] = [h[m], h[k]];
        k = m;
      }
    }
    return top;
  }

  private less(a: { t: number; seq: number }, b: { t: number; seq: number }): boolean {
    return a.t < b.t || (a.t === b.t && a.seq < b.seq);
  }
}

/** Dilation of a 0/value grid with a (2r+1)² square (or the 3×3 cross); outside the grid does not count. */
function dilate(src: Uint8Array, rows: number, cols: number, r: number, cross: boolean): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let m = 0;
      for (let di = -r; di <= r; di++) {
        const y = i + di;
        if (y < 0 || y >= rows) continue;
        for (let dj = -r; dj <= r; dj++) {
          if (cross && di !== 0 && dj !== 0) continue;
          const x = j + dj;
          if (x < 0 || x >= cols) continue;
          const v = src[y * cols + x];
          if (v > m) m = v;
        }
      }
      out[i * cols + j] = m;
    }
  }
  return out;
}

function solve(i1: number, j1: number, i2: number, j2: number, f: Uint8Array, t: Float32Array, cols: number): number {
  const a11 = t[i1 * cols + j1];
  const a22 = t[i2 * cols + j2];
  const m12 = Math.min(a11, a22);
  let sol: number;
  if (f[i1 * cols + j1] !== INSIDE) {
    if (f[i2 * cols + j2] !== INSIDE) {
      sol = Math.abs(a11 - a22) >= 1.0 ? 1 + m12 : (a11 + a22 + Math.sqrt(2 - (a11 - a22) * (a11 - a22))) * 0.5;
    } else sol = 1 + a11;
  } else if (f[i2 * cols + j2] !== INSIDE) sol = 1 + a22;
  else sol = 1 + m12;
  return f32(sol);
}

function arrival(i: number, j: number, f: Uint8Array, t: Float32Array, cols: number): number {
  return Math.min(
    solve(i - 1, j, i, j - 1, f, t, cols),
    solve(i + 1, j, i, j - 1, f, t, cols),
    solve(i - 1, j, i, j + 1, f, t, cols),
    solve(i + 1, j, i, j + 1, f, t, cols),
  );
}

/** cvRound: to nearest, ties to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Inpaints the pixels where `mask` is non-zero (RGB image, mask as one byte per pixel) from the known pixels within
 * `radius` (rounded, clamped to 1..100). Returns a new RGB image.
 */
export function inpaintTelea(image: RawImage, mask: Uint8Array, radius: number): MutableRawImage {
  if (image.mode !== "RGB") throw unsupportedMode("telea inpaint", image.mode, ["RGB"]);
  const range = Math.min(100, Math.max(1, Math.round(radius)));
  const h = image.height;
  const w = image.width;
  const rows = h + 2;
  const cols = w + 2;
  const n = rows * cols;
  const out = new Uint8Array(image.data);
  const t = new Float32Array(n).fill(1.0e6);
  const f = new Uint8Array(n);
  const inside = new Uint8Array(n);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (mask[y * w + x]) inside[(y + 1) * cols + x + 1] = INSIDE;
  f.set(inside);
  const bandGrid = dilate(f, rows, cols, 1, true);
  const heap = new MarchQueue();
  for (let k = 0; k < n; k++) bandGrid[k] = Math.max(0, bandGrid[k] - f[k]);
  const clearBorder = (g: Uint8Array) => {
    for (let j = 0; j < cols; j++) g[j] = g[(rows - 1) * cols + j] = 0;
    for (let i = 0; i < rows; i++) g[i * cols] = g[i * cols + cols - 1] = 0;
  };
  clearBorder(bandGrid);
  for (let k = 0; k < n; k++) if (bandGrid[k]) heap.push(Math.floor(k / cols), k % cols, 0);
  for (let k = 0; k < n; k++) {
    if (bandGrid[k]) {
      f[k] = BAND;
      t[k] = 0;
    }
    if (inside[k]) f[k] = INSIDE;
  }

  // March outward up to `range` to give the known ring negative arrival times.
  const outer = dilate(f, rows, cols, range, false);
  for (let k = 0; k < n; k++) outer[k] = Math.max(0, outer[k] - f[k]);
  const outHeap = new MarchQueue();
  for (let k = 0; k < n; k++) if (bandGrid[k]) outHeap.push(Math.floor(k / cols), k % cols, 0);
  for (let k = 0; k < n; k++) outer[k] = Math.max(0, outer[k] - bandGrid[k]);
  clearBorder(outer);
  for (let p = outHeap.pop(); p; p = outHeap.pop()) {
    outer[p.i * cols + p.j] = CHANGE;
    for (const [i, j] of [
      [p.i - 1, p.j],
      [p.i, p.j - 1],
      [p.i + 1, p.j],
      [p.i, p.j + 1],
    ]) {
      if (i <= 0 || j <= 0 || i >= rows - 1 || j >= cols - 1) continue;
      if (outer[i * cols + j] === INSIDE) {
        const dist = arrival(i, j, outer, t, cols);
        t[i * cols + j] = dist;
        outer[i * cols + j] = BAND;
        outHeap.push(i, j, dist);
      }
    }
  }
  for (let k = 0; k < n; k++) if (outer[k] === CHANGE) t[k] = -t[k];

  // March inward, filling each pixel as it is reached.
  const px = (y: number, x: number, c: number) => out[(y * w + x) * 3 + c];
  for (let p = heap.pop(); p; p = heap.pop()) {
    f[p.i * cols + p.j] = KNOWN;
    for (const [i, j] of [
      [p.i - 1, p.j],
      [p.i, p.j - 1],
      [p.i + 1, p.j],
      [p.i, p.j + 1],
    ]) {
      if (i <= 0 || j <= 0 || i > rows - 2 || j > cols - 2) continue;
      if (f[i * cols + j] !== INSIDE) continue;
      const dist = arrival(i, j, f, t, cols);
      t[i * cols + j] = dist;
      const known = (y: number, x: number) => f[y * cols + x] !== INSIDE;
      const tt = (y: number, x: number) => t[y * cols + x];
      let gtx: number;
      if (known(i, j + 1))
        gtx = known(i, j - 1) ? f32(f32(tt(i, j + 1) - tt(i, j - 1)) * 0.5) : f32(tt(i, j + 1) - tt(i, j));
      else gtx = known(i, j - 1) ? f32(tt(i, j) - tt(i, j - 1)) : 0;
      let gty: number;
      if (known(i + 1, j))
        gty = known(i - 1, j) ? f32(f32(tt(i + 1, j) - tt(i - 1, j)) * 0.5) : f32(tt(i + 1, j) - tt(i, j));
      else gty = known(i - 1, j) ? f32(tt(i, j) - tt(i - 1, j)) : 0;
      for (let color = 0; color < 3; color++) {
        let ia = 0;
        let jx = 0;
        let jy = 0;
        let s = f32(1.0e-20);
        for (let k = i - range; k <= i + range; k++) {
          const km = k - 1 + (k === 1 ? 1 : 0);
          const kp = k - 1 - (k === rows - 2 ? 1 : 0);
          for (let l = j - range; l <= j + range; l++) {
            if (!(k > 0 && l > 0 && k < rows - 1 && l < cols - 1)) continue;
            if (!known(k, l) || (l - j) * (l - j) + (k - i) * (k - i) > range * range) continue;
            const lm = l - 1 + (l === 1 ? 1 : 0);
            const lp = l - 1 - (l === cols - 2 ? 1 : 0);
            const ry = i - k;
            const rx = j - l;
            const len2 = f32(rx * rx + ry * ry);
            const dst = f32(1 / (len2 * Math.sqrt(len2)));
            const lev = f32(1 / (1 + Math.abs(f32(tt(k, l) - tt(i, j)))));
            let dir = f32(f32(rx * gtx) + f32(ry * gty));
            if (Math.abs(dir) <= 0.01) dir = f32(0.000001);
            const wgt = f32(Math.abs(f32(f32(dst * lev) * dir)));
            let gix: number;
            if (known(k, l + 1))
              gix = known(k, l - 1)
                ? (px(km, lp + 1, color) - px(km, lm - 1, color)) * 2
                : px(km, lp + 1, color) - px(km, lm, color);
            else gix = known(k, l - 1) ? px(km, lp, color) - px(km, lm - 1, color) : 0;
            let giy: number;
            if (known(k + 1, l))
              giy = known(k - 1, l)
                ? (px(kp + 1, lm, color) - px(km - 1, lm, color)) * 2
                : px(kp + 1, lm, color) - px(km, lm, color);
            else giy = known(k - 1, l) ? px(kp, lm, color) - px(km - 1, lm, color) : 0;
            ia = f32(ia + f32(wgt * px(km, lm, color)));
            jx = f32(jx - f32(wgt * f32(gix * rx)));
            jy = f32(jy - f32(wgt * f32(giy * ry)));
            s = f32(s + wgt);
          }
        }
        const norm = f32(f32(Math.sqrt(f32(f32(jx * jx) + f32(jy * jy)))) + f32(1.0e-20));
        const sat = f32(f32(f32(ia / s) + f32(f32(jx + jy) / norm)) + 0.5);
        out[((i - 1) * w + (j - 1)) * 3 + color] = Math.min(255, Math.max(0, roundHalfEven(sat)));
      }
      f[i * cols + j] = BAND;
      heap.push(i, j, dist);
    }
  }
  return { width: w, height: h, mode: "RGB", data: out };
}
