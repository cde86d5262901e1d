import type { RawImage } from "@atelier/core";
import type { MutableRawImage } from "./image-buffers.js";
import { ImageOperationError } from "./image-op-error.js";
import { convertMode } from "./mode-conversion.js";

/** The colour spaces color_correct matches histograms in, and which of their channels it matches. */
export type ColorCorrectSpace = "RGB" | "YCbCr" | "YCbCr-Chroma" | "YCbCr-Luma";

const CHANNELS_BY_SPACE: Readonly<Record<ColorCorrectSpace, readonly number[]>> = {
  RGB: [0, 1, 2],
  YCbCr: [0, 1, 2],
  "YCbCr-Chroma": [1, 2],
  "YCbCr-Luma": [0],
};

// Full-range BT.601 (JPEG) YCbCr in floating point, so a round trip without matching returns the input.
function toYcbcr(r: number, g: number, b: number): [number, number, number] {
  return [
    0.299 * r + 0.587 * g + 0.114 * b,
    -0.168736 * r - 0.331264 * g + 0.5 * b + 128,
    0.5 * r - 0.418688 * g - 0.081312 * b + 128,
  ];
}

function fromYcbcr(y: number, cb: number, cr: number): [number, number, number] {
  return [y + 1.402 * (cr - 128), y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128), y + 1.772 * (cb - 128)];
}

/**
 * Maps values so that the histogram of `source` (restricted to `weights` > 0) follows `reference`: each value goes
 * to the reference value at the same cumulative fraction, linearly interpolated. Returns a 256-entry table.
 */
export function histogramMatchTable(source: ArrayLike<number>, reference: ArrayLike<number>): Float64Array {
  const bins = 256;
  const hs = new Float64Array(bins);
  const hr = new Float64Array(bins);
  for (let i = 0; i < source.length; i++) hs[Math.min(255, Math.max(0, Math.round(source[i])))]++;
  for (let i = 0; i < reference.length; i++) hr[Math.min(255, Math.max(0, Math.round(reference[i])))]++;
  const cdf = (h: Float64Array) => {
    const out = new Float64Array(bins);
    let s = 0;
    const total = h.reduce((a, b) => a + b, 0) || 1;
    for (let i = 0; i < bins; i++) {
      s += h[i];
      out[i] = s / total;
    }
    return out;
  };
  const cs = cdf(hs);
  const cr = cdf(hr);
  const table = new Float64Array(bins);
  let j = 0;
  for (let v = 0; v < bins; v++) {
    const q = cs[v];
    while (j < bins - 1 && cr[j] < q) j++;
    if (j === 0 || cr[j] === cr[j - 1]) table[v] = j;
    else table[v] = j - 1 + (q - cr[j - 1]) / (cr[j] - cr[j - 1]);
  }
  return table;
}

/**
 * Color correction as InvokeAI's color_correct 2.0 does it: per-channel histogram matching of the base image to the
 * reference, in RGB or YCbCr (all channels, chroma only or luma only). With a mask, white keeps the base image and
 * black takes the corrected one (grey blends); only the area to correct feeds the base histogram. Alpha is kept.
 */
export function colorCorrect(
  base: RawImage,
  reference: RawImage,
  mask: RawImage | null,
  space: ColorCorrectSpace,
): MutableRawImage {
  if (mask && (mask.width !== base.width || mask.height !== base.height)) {
    throw new ImageOperationError(
      "image_size_mismatch",
      `color correct: the mask is ${mask.width}x${mask.height} but the base image is ${base.width}x${base.height}; they must match`,
      {},
    );
  }
  const rgba = convertMode(base, "RGBA");
  const ref = convertMode(reference, "RGBA");
  const n = base.width * base.height;
  const useYcc = space !== "RGB";
  const toSpace = (d: Uint8Array, p: number): [number, number, number] =>
    useYcc ? toYcbcr(d[p], d[p + 1], d[p + 2]) : [d[p], d[p + 1], d[p + 2]];
  const basePx = Array.from({ length: n }, (_, i) => toSpace(rgba.data, i * 4));
  const refPx: Array<[number, number, number]> = [];
  for (let i = 0; i < ref.width * ref.height; i++) if (ref.data[i * 4 + 3] > 0) refPx.push(toSpace(ref.data, i * 4));
  const inArea = (i: number) => !mask || mask.data[i] < 255;
  const corrected = basePx.map((p) => [...p] as [number, number, number]);
  for (const c of CHANNELS_BY_SPACE[space]) {
    const src: number[] = [];
    for (let i = 0; i < n; i++) if (inArea(i) && rgba.data[i * 4 + 3] > 0) src.push(basePx[i][c]);
    if (src.length === 0 || refPx.length === 0) continue;
    const table = histogramMatchTable(
      src,
      refPx.map((p) => p[c]),
    );
    for (let i = 0; i < n; i++) {
      const v = basePx[i][c];
      const lo = Math.min(255, Math.max(0, Math.floor(v)));
      const hi = Math.min(255, lo + 1);
      const t = v - lo;
      corrected[i][c] = table[lo] * (1 - t) + table[hi] * t;
    }
  }
  const out = new Uint8Array(rgba.data);
  for (let i = 0; i < n; i++) {
    const rgb = useYcc ? fromYcbcr(...corrected[i]) : corrected[i];
    const keep = mask ? mask.data[i] / 255 : 0;
    for (let k = 0; k < 3; k++) {
      const v = Math.min(255, Math.max(0, rgb[k]));
      out[i * 4 + k] = Math.round(v * (1 - keep) + rgba.data[i * 4 + k] * keep);
    }
  }
  return convertMode(
    { width: base.width, height: base.height, mode: "RGBA", data: out },
    base.mode === "RGBA" || base.mode === "LA" ? base.mode : "RGB",
  );
}
