import { CHANNELS, type RawImage } from "@atelier/core";
import type { MutableRawImage } from "./image-buffers.js";

// OpenCV's `cv2.Canny(image, low, high)` (aperture 3, L1 gradient): 3×3 Sobel with replicated borders, the channel
// with the largest |dx|+|dy| per pixel, non-maximum suppression with OpenCV's fixed-point 22.5°/67.5° sectors,
// then hysteresis over 8-neighbourhoods. The result is an L image of 0/255.

const CANNY_SHIFT = 15;
const TG22 = Math.round((Math.SQRT2 - 1) * (1 << CANNY_SHIFT));

/** Edge map of `image` (any mode; alpha ignored unless it is the only band) with thresholds as OpenCV takes them. */
export function cannyEdges(image: RawImage, lowThreshold: number, highThreshold: number): MutableRawImage {
  let lowT = lowThreshold;
  let highT = highThreshold;
  if (lowT > highT) [lowT, highT] = [highT, lowT];
  const low = Math.floor(lowT);
  const high = Math.floor(highT);
  const { width, height } = image;
  const c = CHANNELS[image.mode];
  // The colour channels (alpha is not an edge source; L/LA have one).
  const cn = c >= 3 ? 3 : 1;
  const n = width * height;
  const pw = width + 2;
  const dx = new Int32Array(n);
  const dy = new Int32Array(n);
  // Magnitudes with a frame of zeros, so the suppression step needs no bounds checks.
  const magP = new Int32Array(pw * (height + 2));
  const best = new Int32Array(n).fill(-1);
  const padded = new Int32Array(pw * (height + 2));
  // OpenCV receives BGR from InvokeAI (pil_to_cv2): on equal magnitudes the first channel in BGR order wins.
  for (let k = 0; k < cn; k++) {
    const ch = cn === 3 ? 2 - k : 0;
    for (let y = -1; y <= height; y++) {
      const sy = Math.min(height - 1, Math.max(0, y));
      for (let x = -1; x <= width; x++) {
        const sx = Math.min(width - 1, Math.max(0, x));
        padded[(y + 1) * pw + x + 1] = image.data[(sy * width + sx) * c + ch];
      }
    }
    for (let y = 0; y < height; y++) {
      let p = (y + 1) * pw + 1;
      for (let x = 0; x < width; x++, p++) {
        const gx =
          padded[p - pw + 1] +
          2 * padded[p + 1] +
          padded[p + pw + 1] -
          (padded[p - pw - 1] + 2 * padded[p - 1] + padded[p + pw - 1]);
        const gy =
          padded[p + pw - 1] +
          2 * padded[p + pw] +
          padded[p + pw + 1] -
          (padded[p - pw - 1] + 2 * padded[p - pw] + padded[p - pw + 1]);
        const m = (gx < 0 ? -gx : gx) + (gy < 0 ? -gy : gy);
        const i = y * width + x;
        if (m > best[i]) {
          best[i] = m;
          dx[i] = gx;
          dy[i] = gy;
          magP[p] = m;
        }
      }
    }
  }
  // 0: may be an edge, 1: not an edge, 2: edge. A one-pixel frame of 1s avoids bounds checks.
  const mw = pw;
  const map = new Uint8Array(mw * (height + 2)).fill(1);
  const stack: number[] = [];
  const NEIGHBOURS = [-mw - 1, -mw, -mw + 1, -1, 1, mw - 1, mw, mw + 1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const mp = (y + 1) * mw + x + 1;
      const m = magP[mp];
      let push = false;
      if (m > low) {
        const xs = dx[y * width + x];
        const ys = dy[y * width + x];
        const ax = Math.abs(xs);
        const ay = Math.abs(ys) * (1 << CANNY_SHIFT);
        const tg22x = ax * TG22;
        if (ay < tg22x) push = m > magP[mp - 1] && m >= magP[mp + 1];
        else {
          const tg67x = tg22x + ax * (1 << (CANNY_SHIFT + 1));
          if (ay > tg67x) push = m > magP[mp - mw] && m >= magP[mp + mw];
          else {
            const s = xs < 0 !== ys < 0 ? -1 : 1;
            push = m > magP[mp - mw - s] && m > magP[mp + mw + s];
          }
        }
      }
      if (!push) map[mp] = 1;
      else if (m > high) {
        map[mp] = 2;
        stack.push(mp);
      } else map[mp] = 0;
    }
  }
  while (stack.length > 0) {
    const p = stack.pop()!;
    for (const d of NEIGHBOURS) {
      if (map[p + d] === 0) {
        map[p + d] = 2;
        stack.push(p + d);
      }
    }
  }
  const out = new Uint8Array(n);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) out[y * width + x] = map[(y + 1) * mw + x + 1] === 2 ? 255 : 0;
  return { width, height, mode: "L", data: out };
}
