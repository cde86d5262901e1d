import { CHANNELS, type RawImage } from "@atelier/core";
import { cloneImage, type MutableRawImage } from "./image-buffers.js";
import { ImageOperationError } from "./image-op-error.js";

const f32 = Math.fround;

/** Pillow's box weights for a fractional radius: `ww` for the 2*radius+1 inner samples, `fw` for the two edge ones (8.24). */
interface BoxWeights {
  readonly radius: number;
  readonly ww: number;
  readonly fw: number;
}

function boxWeights(floatRadius: number): BoxWeights {
  const radius = Math.trunc(floatRadius);
  const ww = Math.trunc(f32(16777216 / f32(f32(floatRadius * 2) + 1)));
  const fw = Math.floor((16777216 - (radius * 2 + 1) * ww) / 2);
  return { radius, ww, fw };
}

// Pillow's sums are 32-bit unsigned and (acc·ww + edges·fw + 2^23) stays below 2^32 (the weights sum to 2^24 and the
// samples are bytes). Math.imul gives the products modulo 2^32, so `>>> 24` of the wrapped sum is Pillow's exact
// `>> 24` while V8 keeps everything in 32-bit integer registers.
const HALF24 = 8388608;

/**
 * One box-blur pass along one line of `length` samples `step` apart, starting at `base`, as Pillow's
 * ImagingLineBoxBlur does it: a box of 2*radius+1 samples plus two fractional edge samples weighted `fw`, edges
 * replicated. Reads `src`, writes `dst`. Sample indices are clamped to the line (what Pillow's edge loops amount to);
 * the middle stretch, where no clamping is needed, has its own loop.
 */
function blurLine(src: Uint8Array, dst: Uint8Array, base: number, length: number, step: number, w: BoxWeights) {
  const { radius, ww, fw } = w;
  const last = length - 1;
  const lastS = src[base + last * step];
  // The window [-radius - 1, radius - 1] for x = 0, before its update; samples past the end repeat the last one.
  const inside = Math.min(radius, length);
  let acc = src[base] * (radius + 1) + lastS * (radius - inside);
  for (let i = 0; i < inside; i++) acc += src[base + i * step];
  // x in [midStart, midEnd) reads x - radius - 1 >= 0 and x + radius + 1 <= last: no clamping.
  const midStart = Math.min(radius + 1, length);
  const midEnd = Math.max(midStart, length - radius - 1);
  let x = 0;
  for (; x < midStart; x++) {
    const sub = src[base + (x > radius ? x - radius - 1 : 0) * step];
    const next = src[base + (x + radius < last ? x + radius + 1 : last) * step];
    acc += src[base + (x + radius < last ? x + radius : last) * step] - sub;
    dst[base + x * step] = (Math.imul(acc, ww) + Math.imul(sub + next, fw) + HALF24) >>> 24;
  }
  const back = (radius + 1) * step;
  const ahead = radius * step;
  for (let p = base + x * step, end = base + midEnd * step; p < end; p += step) {
    const sub = src[p - back];
    acc += src[p + ahead] - sub;
    dst[p] = (Math.imul(acc, ww) + Math.imul(sub + src[p + ahead + step], fw) + HALF24) >>> 24;
  }
  for (x = midEnd; x < length; x++) {
    const sub = src[base + (x - radius - 1) * step];
    acc += lastS - sub;
    dst[base + x * step] = (Math.imul(acc, ww) + Math.imul(sub + lastS, fw) + HALF24) >>> 24;
  }
}

/**
 * The vertical pass, done row by row (one running sum per sample of a row) so that every read and write walks
 * memory contiguously instead of striding down columns. Same arithmetic as blurLine.
 */
function blurColumns(src: Uint8Array, dst: Uint8Array, stride: number, height: number, w: BoxWeights) {
  const { radius, ww, fw } = w;
  const last = height - 1;
  const acc = new Int32Array(stride);
  // The window [-radius - 1, radius - 1] for y = 0: rows past the bottom repeat the last one.
  const inside = Math.min(radius, height);
  const lastRow = last * stride;
  for (let i = 0; i < stride; i++) acc[i] = src[i] * (radius + 1) + src[lastRow + i] * (radius - inside);
  for (let r = 0; r < inside; r++) {
    const row = r * stride;
    for (let i = 0; i < stride; i++) acc[i] += src[row + i];
  }
  for (let y = 0; y < height; y++) {
    const sub = (y > radius ? y - radius - 1 : 0) * stride;
    const add = (y + radius < last ? y + radius : last) * stride;
    const next = (y + radius < last ? y + radius + 1 : last) * stride;
    const out = y * stride;
    for (let i = 0; i < stride; i++) {
      const s = src[sub + i];
      const a = acc[i] + src[add + i] - s;
      acc[i] = a;
      dst[out + i] = (Math.imul(a, ww) + Math.imul(s + src[next + i], fw) + HALF24) >>> 24;
    }
  }
}

/**
 * Pillow's `box_blur((xradius, yradius), n)`: `passes` horizontal passes, then `passes` vertical ones, each a
 * box of fractional radius. Radii are single-precision, as in Pillow's C code.
 */
export function boxBlur(image: RawImage, xradius: number, yradius: number = xradius, passes = 1): MutableRawImage {
  if (!(xradius >= 0) || !(yradius >= 0) || !Number.isFinite(xradius) || !Number.isFinite(yradius)) {
    throw new ImageOperationError(
      "invalid_blur_radius",
      `box blur: radius must be a finite number >= 0, got ${xradius}, ${yradius}`,
      {
        xradius,
        yradius,
      },
    );
  }
  if (!Number.isInteger(passes) || passes < 1) {
    throw new ImageOperationError(
      "invalid_blur_passes",
      `box blur: number of passes must be an integer >= 1, got ${passes}`,
      { passes },
    );
  }
  const out = cloneImage(image);
  const xr = f32(xradius);
  const yr = f32(yradius);
  if (image.width === 0 || image.height === 0) return out;
  const c = CHANNELS[image.mode];
  const { width, height } = image;
  // Passes ping-pong between the output and one scratch buffer; channels are independent, so all are done at once.
  let cur: Uint8Array = out.data;
  let spare: Uint8Array = new Uint8Array(cur.length);
  if (xr !== 0) {
    const w = boxWeights(xr);
    for (let i = 0; i < passes; i++) {
      for (let y = 0; y < height; y++)
        for (let ch = 0; ch < c; ch++) blurLine(cur, spare, y * width * c + ch, width, c, w);
      [cur, spare] = [spare, cur];
    }
  }
  if (yr !== 0) {
    const w = boxWeights(yr);
    for (let i = 0; i < passes; i++) {
      blurColumns(cur, spare, width * c, height, w);
      [cur, spare] = [spare, cur];
    }
  }
  if (cur !== out.data) out.data.set(cur);
  return out;
}

/** The fractional box radius Pillow uses so that `passes` box blurs approximate a Gaussian of `radius` (float32 math). */
export function gaussianBoxRadius(radius: number, passes: number): number {
  const r = f32(radius);
  const sigma2 = f32(f32(r * r) / passes);
  const L = f32(Math.sqrt(12.0 * sigma2 + 1.0));
  const l = f32(Math.floor((L - 1.0) / 2.0));
  let a = f32(f32(f32(2 * l) + 1) * f32(f32(l * f32(l + 1)) - f32(3 * sigma2)));
  a = f32(a / f32(6 * f32(sigma2 - f32(f32(l + 1) * f32(l + 1)))));
  return f32(l + a);
}

/** Pillow's `ImageFilter.GaussianBlur(radius)`: three box-blur passes of the equivalent fractional radius. */
export function gaussianBlur(image: RawImage, radius: number, yradius: number = radius): MutableRawImage {
  if (!(radius >= 0) || !(yradius >= 0) || !Number.isFinite(radius) || !Number.isFinite(yradius)) {
    throw new ImageOperationError(
      "invalid_blur_radius",
      `gaussian blur: radius must be a finite number >= 0, got ${radius}`,
      {
        radius,
        yradius,
      },
    );
  }
  if (radius === 0 && yradius === 0) return cloneImage(image);
  return boxBlur(image, gaussianBoxRadius(radius, 3), gaussianBoxRadius(yradius, 3), 3);
}
