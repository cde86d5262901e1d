import { CHANNELS, type RawImage } from "@atelier/core";
import type { MutableRawImage } from "./image-buffers.js";
import { ImageOperationError } from "./image-op-error.js";

/** Sliding minimum or maximum over windows [i - before, i + after] of one line (positions outside are ignored). */
function slideExtreme(line: Uint8Array, out: Uint8Array, before: number, after: number, max: boolean): void {
  const n = line.length;
  const deque = new Int32Array(n);
  let head = 0;
  let tail = 0;
  let next = 0;
  for (let i = 0; i < n; i++) {
    const hi = Math.min(n - 1, i + after);
    while (next <= hi) {
      const v = line[next];
      while (tail > head && (max ? line[deque[tail - 1]] <= v : line[deque[tail - 1]] >= v)) tail--;
      deque[tail++] = next++;
    }
    while (deque[head] < i - before) head++;
    out[i] = line[deque[head]];
  }
}

/**
 * `cv2.erode` / `cv2.dilate` with a `kw`×`kh` rectangle (anchor at its centre, `k >> 1`) applied `iterations`
 * times, per channel; pixels outside the image never win (OpenCV's default border for morphology).
 */
export function morphologyRect(
  image: RawImage,
  kw: number,
  kh: number,
  iterations: number,
  op: "erode" | "dilate",
): MutableRawImage {
  if (!Number.isInteger(kw) || !Number.isInteger(kh) || kw < 1 || kh < 1) {
    throw new ImageOperationError("invalid_kernel", `${op}: kernel size must be at least 1x1, got ${kw}x${kh}`, {
      kw,
      kh,
    });
  }
  const c = CHANNELS[image.mode];
  const { width, height } = image;
  const data = new Uint8Array(image.data);
  const max = op === "dilate";
  // A rectangle is separable, and repeating it n times is one pass with the windows added together (OpenCV
  // itself enlarges the kernel to (k-1)*n+1 with the anchor scaled by n). OpenCV does not reflect the kernel for
  // dilation: both operations look at [x - anchor, x - anchor + k - 1].
  const [bx, ax] = [(kw >> 1) * iterations, (kw - 1 - (kw >> 1)) * iterations];
  const [by, ay] = [(kh >> 1) * iterations, (kh - 1 - (kh >> 1)) * iterations];
  const row = new Uint8Array(width);
  const rowOut = new Uint8Array(width);
  const col = new Uint8Array(height);
  const colOut = new Uint8Array(height);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) row[x] = data[(y * width + x) * c + ch];
      slideExtreme(row, rowOut, bx, ax, max);
      for (let x = 0; x < width; x++) data[(y * width + x) * c + ch] = rowOut[x];
    }
    for (let x = 0; x < width; x++) {
      for (let y = 0; y < height; y++) col[y] = data[(y * width + x) * c + ch];
      slideExtreme(col, colOut, by, ay, max);
      for (let y = 0; y < height; y++) data[(y * width + x) * c + ch] = colOut[y];
    }
  }
  return { width, height, mode: image.mode, data };
}
