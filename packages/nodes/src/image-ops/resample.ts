import { CHANNELS, type RawImage } from "@atelier/core";
import { assertImageSize, cloneImage, type MutableRawImage } from "./image-buffers.js";
import { ImageOperationError } from "./image-op-error.js";
import { premultiplyAlpha, unpremultiplyAlphaInPlace } from "./mode-conversion.js";

/** The resampling filters of Pillow's `Image.resize` (InvokeAI's `resample_mode` values). */
export type ResampleMode = "nearest" | "box" | "bilinear" | "hamming" | "bicubic" | "lanczos";

/** Every ResampleMode, in InvokeAI's order. */
export const RESAMPLE_MODES: readonly ResampleMode[] = ["nearest", "box", "bilinear", "hamming", "bicubic", "lanczos"];

interface Filter {
  readonly support: number;
  weight(x: number): number;
}

// Pillow's hamming window uses single-precision constants; the float32 values are kept so weights agree bit for bit.
const HAMMING_A = Math.fround(0.54);
const HAMMING_B = Math.fround(0.46);

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

const FILTERS: Readonly<Record<Exclude<ResampleMode, "nearest">, Filter>> = {
  box: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: {
    support: 1,
    weight: (x) => {
      const a = Math.abs(x);
      return a < 1 ? 1 - a : 0;
    },
  },
  hamming: {
    support: 1,
    weight: (x) => {
      const a = Math.abs(x);
      if (a === 0) return 1;
      if (a >= 1) return 0;
      const px = a * Math.PI;
      return (Math.sin(px) / px) * (HAMMING_A + HAMMING_B * Math.cos(px));
    },
  },
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  lanczos: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

interface Coefficients {
  /** Max taps per output sample. */
  readonly ksize: number;
  /** First input index per output sample. */
  readonly start: Int32Array;
  /** Number of taps per output sample. */
  readonly count: Int32Array;
  /** Fixed-point weights, `ksize` per output sample. */
  readonly weights: Int32Array;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for one axis, over the source span [in0, in1). */
function computeCoefficients(inSize: number, outSize: number, filter: Filter, in0 = 0, in1 = inSize): Coefficients {
  // Pillow subtracts the float32 box edges in single precision before dividing.
  const scale = Math.fround(in1 - in0) / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const raw = new Float64Array(ksize);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    // C casts to int (truncation toward zero) after adding 0.5.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - center + 0.5) * ss);
      raw[x] = w;
      ww += w;
    }
    const base = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? raw[x] / ww : raw[x];
      weights[base + x] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, start, count, weights };
}

/** Pillow's clip8 of a 22-bit fixed-point sum (the sum fits an int32, as in Pillow's C code). */
function clipFixed(v: number): number {
  const s = v >> PRECISION_BITS;
  return s <= 0 ? 0 : s >= 255 ? 255 : s;
}

/** Horizontal pass over rows [rowOffset, rowOffset + outHeight) of the source. */
function resampleHorizontal(
  src: RawImage,
  outWidth: number,
  rowOffset: number,
  outHeight: number,
  co: Coefficients,
): MutableRawImage {
  const c = CHANNELS[src.mode];
  const inStride = src.width * c;
  const out = new Uint8Array(outWidth * outHeight * c);
  const data = src.data;
  const { ksize, start, count, weights } = co;
  for (let yy = 0; yy < outHeight; yy++) {
    const rowBase = (yy + rowOffset) * inStride;
    let o = yy * outWidth * c;
    for (let xx = 0; xx < outWidth; xx++) {
      const kBase = xx * ksize;
      const n = count[xx];
      let p = rowBase + start[xx] * c;
      if (c === 1) {
        let s0 = HALF;
        for (let x = 0; x < n; x++) s0 += data[p++] * weights[kBase + x];
        out[o++] = clipFixed(s0);
      } else if (c === 3) {
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        for (let x = 0; x < n; x++, p += 3) {
          const w = weights[kBase + x];
          s0 += data[p] * w;
          s1 += data[p + 1] * w;
          s2 += data[p + 2] * w;
        }
        out[o++] = clipFixed(s0);
        out[o++] = clipFixed(s1);
        out[o++] = clipFixed(s2);
      } else if (c === 4) {
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        let s3 = HALF;
        for (let x = 0; x < n; x++, p += 4) {
          const w = weights[kBase + x];
          s0 += data[p] * w;
          s1 += data[p + 1] * w;
          s2 += data[p + 2] * w;
          s3 += data[p + 3] * w;
        }
        out[o++] = clipFixed(s0);
        out[o++] = clipFixed(s1);
        out[o++] = clipFixed(s2);
        out[o++] = clipFixed(s3);
      } else {
        for (let ch = 0; ch < c; ch++) {
          let ss = HALF;
          for (let x = 0, q = p + ch; x < n; x++, q += c) ss += data[q] * weights[kBase + x];
          out[o++] = clipFixed(ss);
        }
      }
    }
  }
  return { width: outWidth, height: outHeight, mode: src.mode, data: out };
}

function resampleVertical(src: RawImage, outHeight: number, co: Coefficients, boundsShift: number): MutableRawImage {
  const c = CHANNELS[src.mode];
  const stride = src.width * c;
  const out = new Uint8Array(stride * outHeight);
  const { ksize, start, count, weights } = co;
  const acc = new Float64Array(stride);
  for (let yy = 0; yy < outHeight; yy++) {
    const kBase = yy * ksize;
    const n = count[yy];
    const first = (start[yy] - boundsShift) * stride;
    // Taps (source rows) are taken four at a time, so the partial sums go through memory once per four taps;
    // a group short of four repeats its first row with weight 0. Sums are exact integers (far below 2^53), and
    // clipFixed's `>>` wraps the total to 32 bits as Pillow's int arithmetic would.
    for (let t = 0; t < n; t += 4) {
      const rows = [0, 1, 2, 3].map((j) => (t + j < n ? first + (t + j) * stride : first + t * stride));
      const w = [0, 1, 2, 3].map((j) => (t + j < n ? weights[kBase + t + j] : 0));
      const target = t + 4 >= n ? out.subarray(yy * stride, (yy + 1) * stride) : null;
      sumRows(src.data, rows, w, acc, t === 0, target);
    }
  }
  return { width: src.width, height: outHeight, mode: src.mode, data: out };
}

/**
 * acc[i] (or HALF when `init`) + Σ row_j[i]·w_j over four source rows; stored back into `acc`, or clipped to bytes
 * into `target` when this is the last group of taps.
 */
function sumRows(
  data: Uint8Array,
  rows: readonly number[],
  w: readonly number[],
  acc: Float64Array,
  init: boolean,
  target: Uint8Array | null,
): void {
  const [r0, r1, r2, r3] = rows;
  const [w0, w1, w2, w3] = w;
  const n = acc.length;
  if (init) acc.fill(HALF);
  if (target) {
    for (let i = 0; i < n; i++)
      target[i] = clipFixed(acc[i] + data[r0 + i] * w0 + data[r1 + i] * w1 + data[r2 + i] * w2 + data[r3 + i] * w3);
  } else {
    for (let i = 0; i < n; i++) acc[i] += data[r0 + i] * w0 + data[r1 + i] * w1 + data[r2 + i] * w2 + data[r3 + i] * w3;
  }
}

/** Nearest-neighbour scaling as Pillow's ImagingScaleAffine does it (incrementally accumulated source positions). */
function resizeNearest(image: RawImage, width: number, height: number): MutableRawImage {
  const c = CHANNELS[image.mode];
  const rowBytes = width * c;
  const out = new Uint8Array(height * rowBytes);
  const ax = image.width / width;
  const ay = image.height / height;
  // Byte offset of each output column's source pixel within a source row; -1 where it falls outside (left blank).
  const xin = new Int32Array(width);
  let xo = ax * 0.5;
  for (let x = 0; x < width; x++) {
    const xi = xo < 0 ? -1 : Math.trunc(xo);
    xin[x] = xi < 0 || xi >= image.width ? -1 : xi * c;
    xo += ax;
  }
  let yo = ay * 0.5;
  const src = image.data;
  let lastRow = -1; // source row of the previous output row, when that row was written
  for (let y = 0; y < height; y++) {
    const yi = yo < 0 ? -1 : Math.trunc(yo);
    yo += ay;
    if (yi < 0 || yi >= image.height) {
      lastRow = -1;
      continue;
    }
    const rowOut = y * rowBytes;
    // Upscaling repeats source rows: the output row is then a copy of the one above.
    if (yi === lastRow) {
      out.copyWithin(rowOut, rowOut - rowBytes, rowOut);
      continue;
    }
    lastRow = yi;
    copyNearestRow(src, yi * image.width * c, out, rowOut, xin, c);
  }
  return { width, height, mode: image.mode, data: out };
}

/** One output row of a nearest-neighbour resize; the usual channel counts get loops without an inner channel loop. */
function copyNearestRow(
  src: Uint8Array,
  rowIn: number,
  out: Uint8Array,
  rowOut: number,
  xin: Int32Array,
  c: number,
): void {
  const width = xin.length;
  if (c === 3) {
    for (let x = 0, d = rowOut; x < width; x++, d += 3) {
      const xi = xin[x];
      if (xi < 0) continue;
      const s = rowIn + xi;
      out[d] = src[s];
      out[d + 1] = src[s + 1];
      out[d + 2] = src[s + 2];
    }
  } else if (c === 4) {
    for (let x = 0, d = rowOut; x < width; x++, d += 4) {
      const xi = xin[x];
      if (xi < 0) continue;
      const s = rowIn + xi;
      out[d] = src[s];
      out[d + 1] = src[s + 1];
      out[d + 2] = src[s + 2];
      out[d + 3] = src[s + 3];
    }
  } else if (c === 1) {
    for (let x = 0; x < width; x++) {
      const xi = xin[x];
      if (xi >= 0) out[rowOut + x] = src[rowIn + xi];
    }
  } else {
    for (let x = 0, d = rowOut; x < width; x++, d += c) {
      const xi = xin[x];
      if (xi < 0) continue;
      for (let k = 0; k < c; k++) out[d + k] = src[rowIn + xi + k];
    }
  }
}

function resampleConvolution(
  image: RawImage,
  width: number,
  height: number,
  filter: Filter,
  box: ResizeBox,
): MutableRawImage {
  const [bx0, by0, bx1, by1] = box;
  const needH = width !== image.width || bx0 !== 0 || bx1 !== width;
  const needV = height !== image.height || by0 !== 0 || by1 !== height;
  const vert = computeCoefficients(image.height, height, filter, by0, by1);
  const yFirst = vert.start[0];
  const yLast = vert.start[height - 1] + vert.count[height - 1];
  let current: RawImage = image;
  let shift = 0;
  if (needH) {
    const horiz = computeCoefficients(image.width, width, filter, bx0, bx1);
    current = resampleHorizontal(image, width, yFirst, yLast - yFirst, horiz);
    shift = yFirst;
  }
  if (needV) return resampleVertical(current, height, vert, shift);
  return current === image ? cloneImage(image) : (current as MutableRawImage);
}

/** A source region (left, top, right, bottom) in pixels, fractional allowed (Pillow passes it as float32). */
export type ResizeBox = readonly [number, number, number, number];

/**
 * Resizes like Pillow's `Image.resize(size, resample)`: separable convolution with the filter's support scaled by the
 * downscale factor, 22-bit fixed-point weights, horizontal pass first; images with alpha are resampled premultiplied.
 */
export function resizeImage(
  image: RawImage,
  width: number,
  height: number,
  mode: ResampleMode,
  box?: ResizeBox,
): MutableRawImage {
  assertImageSize("resize", width, height, false);
  if (!RESAMPLE_MODES.includes(mode)) {
    throw new ImageOperationError("invalid_resample_mode", `resize: unknown resample mode ${JSON.stringify(mode)}`, {
      mode,
      allowed: RESAMPLE_MODES,
    });
  }
  if (image.width === 0 || image.height === 0) {
    throw new ImageOperationError(
      "empty_image",
      `resize: cannot resize an empty ${image.width}x${image.height} image`,
      {
        width: image.width,
        height: image.height,
      },
    );
  }
  const region: ResizeBox = box
    ? (box.map((v) => Math.fround(v)) as unknown as ResizeBox)
    : [0, 0, image.width, image.height];
  const fullBox = region[0] === 0 && region[1] === 0 && region[2] === image.width && region[3] === image.height;
  if (width === image.width && height === image.height && fullBox) return cloneImage(image);
  if (mode === "nearest") {
    if (!fullBox)
      throw new ImageOperationError(
        "invalid_resize_box",
        "resize: a source box is only supported with convolution filters",
        { box },
      );
    return resizeNearest(image, width, height);
  }
  const filter = FILTERS[mode];
  const withAlpha = image.mode === "LA" || image.mode === "RGBA";
  if (!withAlpha) return resampleConvolution(image, width, height, filter, region);
  return unpremultiplyAlphaInPlace(resampleConvolution(premultiplyAlpha(image), width, height, filter, region));
}
