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
  const { width, height } = image;
  const c = CHANNELS[image.mode];
  // The colour channels (alpha is not an edge source; L/LA have one).
  const cn = c >= 3 ? 3 : 1;
  // Every per-pixel buffer is laid out on the (width + 2) × (height + 2) frame, so neighbours need no bounds checks.
  // The narrowest types that hold the values (|gradient| <= 1020, magnitude <= 2040) are used: on this kind of
  // workload, touching fresh memory costs as much as the arithmetic.
  const size = (width + 2) * (height + 2);
  const grad: Gradients = { dx: new Int16Array(size), dy: new Int16Array(size), mag: new Uint16Array(size) };
  const padded = new Uint8Array(size);
  // OpenCV receives BGR from InvokeAI (pil_to_cv2): on equal magnitudes the first channel in BGR order wins.
  for (let k = 0; k < cn; k++) {
    padChannel(image.data, c, cn === 3 ? 2 - k : 0, width, height, padded);
    sobelChannel(padded, width, height, grad);
  }
  const map = suppressNonMaxima(grad, width, height, Math.floor(lowT), Math.floor(highT));
  const out = new Uint8Array(width * height);
  const pw = width + 2;
  for (let y = 0; y < height; y++)
    for (let x = 0, p = (y + 1) * pw + 1, o = y * width; x < width; x++) out[o++] = map[p++] === 2 ? 255 : 0;
  return { width, height, mode: "L", data: out };
}

/** Sobel gradients of the pixel with the largest |dx|+|dy| over the channels so far, on the padded frame. */
interface Gradients {
  readonly dx: Int16Array;
  readonly dy: Int16Array;
  /** Zero on the frame; a zero magnitude means a zero gradient, which dx/dy already hold. */
  readonly mag: Uint16Array;
}

/** Channel `ch` of `data` into `padded` ((width + 2) × (height + 2)) with a one-pixel replicated border. */
function padChannel(data: Uint8Array, c: number, ch: number, width: number, height: number, padded: Uint8Array) {
  const pw = width + 2;
  for (let y = -1; y <= height; y++) {
    const row = Math.min(height - 1, Math.max(0, y)) * width * c + ch;
    const o = (y + 1) * pw;
    padded[o] = data[row];
    for (let x = 0; x < width; x++) padded[o + 1 + x] = data[row + x * c];
    padded[o + width + 1] = data[row + (width - 1) * c];
  }
}

/** 3×3 Sobel of one padded channel; keeps it where its L1 magnitude beats the channels before (ties keep those). */
function sobelChannel(padded: Uint8Array, width: number, height: number, grad: Gradients): void {
  const { dx, dy, mag } = grad;
  const pw = width + 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0, p = (y + 1) * pw + 1; x < width; x++, p++) {
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
      if (m > mag[p]) {
        dx[p] = gx;
        dy[p] = gy;
        mag[p] = m;
      }
    }
  }
}

/**
 * Non-maximum suppression and hysteresis: the padded map holds 2 for edges, 0 for weak candidates never reached
 * from an edge, 1 otherwise (and on the frame).
 */
function suppressNonMaxima(grad: Gradients, width: number, height: number, low: number, high: number): Uint8Array {
  const { dx, dy, mag } = grad;
  const mw = width + 2;
  const map = new Uint8Array(mw * (height + 2)).fill(1);
  const stack: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0, mp = (y + 1) * mw + 1; x < width; x++, mp++) {
      const m = mag[mp];
      let push = false;
      if (m > low) {
        const xs = dx[mp];
        const ys = dy[mp];
        const ax = Math.abs(xs);
        const ay = Math.abs(ys) * (1 << CANNY_SHIFT);
        const tg22x = ax * TG22;
        if (ay < tg22x) push = m > mag[mp - 1] && m >= mag[mp + 1];
        else {
          const tg67x = tg22x + ax * (1 << (CANNY_SHIFT + 1));
          if (ay > tg67x) push = m > mag[mp - mw] && m >= mag[mp + mw];
          else {
            const s = xs < 0 !== ys < 0 ? -1 : 1;
            push = m > mag[mp - mw - s] && m > mag[mp + mw + s];
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
  const NEIGHBOURS = [-mw - 1, -mw, -mw + 1, -1, 1, mw - 1, mw, mw + 1];
  while (stack.length > 0) {
    const p = stack.pop()!;
    for (const d of NEIGHBOURS) {
      if (map[p + d] === 0) {
        map[p + d] = 2;
        stack.push(p + d);
      }
    }
  }
  return map;
}
