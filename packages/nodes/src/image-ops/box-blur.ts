import { CHANNELS, type RawImage } from "@atelier/core";
import { cloneImage, type MutableRawImage } from "./image-buffers.js";
import { ImageOperationError } from "./image-op-error.js";

const f32 = Math.fround;

/**
 * One box-blur pass along `count` lines of `length` samples each, as Pillow's ImagingLineBoxBlur does it: a box of
 * 2*radius+1 samples plus two fractional edge samples weighted `fw`, in 8.24 fixed point, edges replicated.
 * Sample i of line l is at `data[l * lineStep + i * sampleStep]`.
 */
function blurLines(
  data: Uint8Array,
  count: number,
  length: number,
  lineStep: number,
  sampleStep: number,
  floatRadius: number,
): void {
  const radius = Math.trunc(floatRadius);
  const ww = Math.trunc(f32(16777216 / f32(f32(floatRadius * 2) + 1)));
  const fw = Math.floor((16777216 - (radius * 2 + 1) * ww) / 2);
  const lastx = length - 1;
  const edgeA = Math.min(radius + 1, length);
  const edgeB = Math.max(length - radius - 1, 0);
  const line = new Uint8Array(length);
  const out = new Uint8Array(length);
  // Pillow's sums are 32-bit unsigned; the result of (acc·ww + edges·fw + 2^23) >> 24 always fits in a byte.
  const HALF24 = 8388608;
  const ONE24 = 16777216;
  for (let l = 0; l < count; l++) {
    const base = l * lineStep;
    for (let i = 0, p = base; i < length; i++, p += sampleStep) line[i] = data[p];
    let acc = line[0] * (radius + 1);
    for (let x = 0; x < edgeA - 1; x++) acc += line[x];
    acc += line[lastx] * (radius - edgeA + 1);
    let x = 0;
    if (edgeA <= edgeB) {
      for (; x < edgeA; x++) {
        acc += line[x + radius] - line[0];
        out[x] = Math.floor((acc * ww + (line[0] + line[x + radius + 1]) * fw + HALF24) / ONE24);
      }
      for (; x < edgeB; x++) {
        acc += line[x + radius] - line[x - radius - 1];
        out[x] = Math.floor((acc * ww + (line[x - radius - 1] + line[x + radius + 1]) * fw + HALF24) / ONE24);
      }
      for (; x <= lastx; x++) {
        acc += line[lastx] - line[x - radius - 1];
        out[x] = Math.floor((acc * ww + (line[x - radius - 1] + line[lastx]) * fw + HALF24) / ONE24);
      }
    } else {
      for (; x < edgeB; x++) {
        acc += line[x + radius] - line[0];
        out[x] = Math.floor((acc * ww + (line[0] + line[x + radius + 1]) * fw + HALF24) / ONE24);
      }
      for (; x < edgeA; x++) {
        acc += line[lastx] - line[0];
        out[x] = Math.floor((acc * ww + (line[0] + line[lastx]) * fw + HALF24) / ONE24);
      }
      for (; x <= lastx; x++) {
        acc += line[lastx] - line[x - radius - 1];
        out[x] = Math.floor((acc * ww + (line[x - radius - 1] + line[lastx]) * fw + HALF24) / ONE24);
      }
    }
    for (let i = 0, p = base; i < length; i++, p += sampleStep) data[p] = out[i];
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
  const rowStride = image.width * c;
  for (let ch = 0; ch < c; ch++) {
    if (xr !== 0)
      for (let i = 0; i < passes; i++) blurLines(out.data.subarray(ch), image.height, image.width, rowStride, c, xr);
    if (yr !== 0)
      for (let i = 0; i < passes; i++) blurLines(out.data.subarray(ch), image.width, image.height, c, rowStride, yr);
  }
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
