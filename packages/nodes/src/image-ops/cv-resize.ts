import { CHANNELS, type RawImage } from "@atelier/core";
import type { MutableRawImage } from "./image-buffers.js";

// OpenCV's `cv2.resize` for 8-bit images, the two interpolations InvokeAI's color_map uses: INTER_CUBIC (A = -0.75,
// 11-bit fixed-point weights, replicated borders, no antialiasing when shrinking) and INTER_NEAREST (floor(x·scale)).

const f32 = Math.fround;
const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;

function cubicWeights(x: number): [number, number, number, number] {
  const A = f32(-0.75);
  const x1 = f32(x + 1);
  const c0 = f32(f32(f32(f32(f32(f32(A * x1) - f32(5 * A)) * x1) + f32(8 * A)) * x1) - f32(4 * A));
  const c1 = f32(f32(f32(f32(f32(f32(A + 2) * x) - f32(A + 3)) * x) * x) + 1);
  const ox = f32(1 - x);
  const c2 = f32(f32(f32(f32(f32(f32(A + 2) * ox) - f32(A + 3)) * ox) * ox) + 1);
  const c3 = f32(f32(f32(1 - c0) - c1) - c2);
  return [c0, c1, c2, c3];
}

/** cvRound: nearest, ties to even. */
function cvRound(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function axisTable(srcSize: number, dstSize: number): { index: Int32Array; weight: Int32Array } {
  const scale = 1 / (dstSize / srcSize);
  const index = new Int32Array(dstSize);
  const weight = new Int32Array(dstSize * 4);
  for (let d = 0; d < dstSize; d++) {
    const fx = f32((d + 0.5) * scale - 0.5);
    const sx = Math.floor(fx);
    const w = cubicWeights(f32(fx - sx));
    index[d] = sx;
    for (let k = 0; k < 4; k++) weight[d * 4 + k] = Math.max(-32768, Math.min(32767, cvRound(w[k] * COEF_SCALE)));
  }
  return { index, weight };
}

/** `cv2.resize(img, (width, height), interpolation=cv2.INTER_CUBIC)` on an 8-bit image. */
export function resizeCubicCv(image: RawImage, width: number, height: number): MutableRawImage {
  const c = CHANNELS[image.mode];
  const sw = image.width;
  const sh = image.height;
  const xt = axisTable(sw, width);
  const yt = axisTable(sh, height);
  const clampX = (x: number) => Math.min(sw - 1, Math.max(0, x));
  const clampY = (y: number) => Math.min(sh - 1, Math.max(0, y));
  // Horizontal pass for every source row (integers, weights × 2^11).
  const rows = new Int32Array(sh * width * c);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < width; x++) {
      const sx = xt.index[x];
      for (let ch = 0; ch < c; ch++) {
        let v = 0;
        for (let k = 0; k < 4; k++) v += image.data[(y * sw + clampX(sx - 1 + k)) * c + ch] * xt.weight[x * 4 + k];
        rows[(y * width + x) * c + ch] = v;
      }
    }
  }
  const out = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const sy = yt.index[y];
    for (let i = 0; i < width * c; i++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v += rows[clampY(sy - 1 + k) * width * c + i] * yt.weight[y * 4 + k];
      const r = Math.floor((v + (1 << (2 * COEF_BITS - 1))) / (1 << (2 * COEF_BITS)));
      out[y * width * c + i] = r < 0 ? 0 : r > 255 ? 255 : r;
    }
  }
  return { width, height, mode: image.mode, data: out };
}

/** `cv2.resize(img, (width, height), interpolation=cv2.INTER_NEAREST)`: source index floor(x · src/dst). */
export function resizeNearestCv(image: RawImage, width: number, height: number): MutableRawImage {
  const c = CHANNELS[image.mode];
  const fx = 1 / (width / image.width);
  const fy = 1 / (height / image.height);
  const out = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.floor(y * fy), image.height - 1);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.floor(x * fx), image.width - 1);
      const s = (sy * image.width + sx) * c;
      const d = (y * width + x) * c;
      for (let k = 0; k < c; k++) out[d + k] = image.data[s + k];
    }
  }
  return { width, height, mode: image.mode, data: out };
}
