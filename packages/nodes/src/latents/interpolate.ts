/**
 * `torch.nn.functional.interpolate` for 4-D `[N, C, H, W]` tensors with `align_corners=False`, as InvokeAI's
 * `lresize` / `lscale` call it: modes nearest, nearest-exact, bilinear, bicubic (A = -0.75), area
 * (adaptive average pooling) and the antialiased bilinear/bicubic kernels (`antialias=True`, PIL-style, bicubic with
 * a = -0.5). Every mode is separable, so each is a table of (source index, weight) per output row and column,
 * applied along H then W. Index arithmetic uses float32 like torch's CPU kernels, so picks agree at the edges.
 */
import {
  AtelierError,
  bfloat16ArrayToFloat32,
  float16ArrayToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
  type Tensor,
} from "@atelier/core";

/** The `mode` enum of `lresize` / `lscale` (InvokeAI's order). */
export const INTERPOLATION_MODES = [
  "nearest",
  "linear",
  "bilinear",
  "bicubic",
  "trilinear",
  "area",
  "nearest-exact",
] as const;
/** One interpolation mode. */
export type InterpolationMode = (typeof INTERPOLATION_MODES)[number];

/** The tensor or the arguments cannot be interpolated (what torch would raise). */
export class InterpolationError extends AtelierError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("invalid_interpolation", message, { status: 422, details });
  }
}

/** Output size, or a scale factor (output = floor(input · factor), and the factor itself maps coordinates). */
export type InterpolateTarget = { readonly size: readonly [number, number] } | { readonly scaleFactor: number };

/** Options of {@link interpolate}. */
export interface InterpolateOptions {
  readonly mode: InterpolationMode;
  readonly antialias?: boolean;
}

const f32 = Math.fround;

interface Taps {
  /** For each output index: source indices and their weights. */
  readonly index: Int32Array[];
  readonly weight: Float64Array[];
}

/** torch's `compute_scales_value`: 1/scale_factor when one was given, else in/out, in float32. */
function scaleValue(inSize: number, outSize: number, scaleFactor: number | undefined): number {
  return scaleFactor !== undefined && scaleFactor > 0 ? f32(1 / scaleFactor) : f32(inSize / outSize);
}

function nearestTaps(inSize: number, outSize: number, scaleFactor: number | undefined, exact: boolean): Taps {
  const scale = scaleValue(inSize, outSize, scaleFactor);
  const index: Int32Array[] = [];
  const weight: Float64Array[] = [];
  for (let o = 0; o < outSize; o++) {
    let src: number;
    if (exact) src = Math.min(Math.floor(f32(f32(o + 0.5) * scale)), inSize - 1);
    else if (outSize === inSize) src = o;
    else if (outSize === 2 * inSize) src = o >> 1;
    else src = Math.min(Math.floor(f32(o * scale)), inSize - 1);
    index.push(Int32Array.of(src));
    weight.push(Float64Array.of(1));
  }
  return { index, weight };
}

function linearTaps(inSize: number, outSize: number, scaleFactor: number | undefined): Taps {
  const scale = scaleValue(inSize, outSize, scaleFactor);
  const index: Int32Array[] = [];
  const weight: Float64Array[] = [];
  for (let o = 0; o < outSize; o++) {
    let src = f32(f32(scale * f32(o + 0.5)) - 0.5);
    if (src < 0) src = 0;
    const i0 = Math.floor(src);
    const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
    const l1 = f32(src - i0);
    index.push(Int32Array.of(i0, i1));
    weight.push(Float64Array.of(f32(1 - l1), l1));
  }
  return { index, weight };
}

const A_CUBIC = -0.75;
const cubic1 = (x: number, a: number): number => ((a + 2) * x - (a + 3)) * x * x + 1;
const cubic2 = (x: number, a: number): number => ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;

function cubicTaps(inSize: number, outSize: number, scaleFactor: number | undefined): Taps {
  const scale = scaleValue(inSize, outSize, scaleFactor);
  const index: Int32Array[] = [];
  const weight: Float64Array[] = [];
  const clamp = (i: number): number => Math.min(Math.max(i, 0), inSize - 1);
  for (let o = 0; o < outSize; o++) {
    const src = f32(f32(scale * f32(o + 0.5)) - 0.5);
    const i0 = Math.floor(src);
    const t = f32(src - i0);
    index.push(Int32Array.of(clamp(i0 - 1), clamp(i0), clamp(i0 + 1), clamp(i0 + 2)));
    weight.push(
      Float64Array.of(cubic2(t + 1, A_CUBIC), cubic1(t, A_CUBIC), cubic1(1 - t, A_CUBIC), cubic2(2 - t, A_CUBIC)),
    );
  }
  return { index, weight };
}

/** Adaptive average pooling: output cell o averages [floor(o·in/out), ceil((o+1)·in/out)). */
function areaTaps(inSize: number, outSize: number): Taps {
  const index: Int32Array[] = [];
  const weight: Float64Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const start = Math.floor((o * inSize) / outSize);
    const end = Math.ceil(((o + 1) * inSize) / outSize);
    const n = end - start;
    index.push(Int32Array.from({ length: n }, (_, k) => start + k));
    weight.push(new Float64Array(n).fill(1 / n));
  }
  return { index, weight };
}

/** torch's `_compute_weights_aa`: a filter stretched by the downscale factor, normalised per output pixel. */
function antialiasTaps(inSize: number, outSize: number, scaleFactor: number | undefined, cubic: boolean): Taps {
  const scale = scaleValue(inSize, outSize, scaleFactor);
  const interpSize = cubic ? 4 : 2;
  const support = scale >= 1 ? interpSize * 0.5 * scale : interpSize * 0.5;
  const invscale = scale >= 1 ? 1 / scale : 1;
  const filter = cubic
    ? (x: number): number => {
        const ax = Math.abs(x);
        if (ax < 1) return cubic1(ax, -0.5);
        if (ax < 2) return cubic2(ax, -0.5);
        return 0;
      }
    : (x: number): number => {
        const ax = Math.abs(x);
        return ax < 1 ? 1 - ax : 0;
      };
  const index: Int32Array[] = [];
  const weight: Float64Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const center = scale * (o + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xsize = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    const idx = new Int32Array(Math.max(xsize, 0));
    const w = new Float64Array(Math.max(xsize, 0));
    let total = 0;
    for (let j = 0; j < xsize; j++) {
      idx[j] = xmin + j;
      w[j] = filter((j + xmin - center + 0.5) * invscale);
      total += w[j];
    }
    if (total !== 0) for (let j = 0; j < xsize; j++) w[j] /= total;
    index.push(idx);
    weight.push(w);
  }
  return { index, weight };
}

function tapsFor(
  mode: InterpolationMode,
  antialias: boolean,
  inSize: number,
  outSize: number,
  sf: number | undefined,
): Taps {
  switch (mode) {
    case "nearest":
      return nearestTaps(inSize, outSize, sf, false);
    case "nearest-exact":
      return nearestTaps(inSize, outSize, sf, true);
    case "bilinear":
      return antialias ? antialiasTaps(inSize, outSize, sf, false) : linearTaps(inSize, outSize, sf);
    case "bicubic":
      return antialias ? antialiasTaps(inSize, outSize, sf, true) : cubicTaps(inSize, outSize, sf);
    case "area":
      return areaTaps(inSize, outSize);
    default:
      throw new InterpolationError(
        `Interpolation mode "${mode}" needs a ${mode === "linear" ? "3" : "5"}-D tensor; latents are 4-D`,
        {
          field: "mode",
          value: mode,
        },
      );
  }
}

/** Resamples along one axis of a row-major [outer, inSize, inner] block into [outer, outSize, inner]. */
function resampleAxis(src: Float32Array, outer: number, inSize: number, inner: number, taps: Taps): Float32Array {
  const outSize = taps.index.length;
  const dst = new Float32Array(outer * outSize * inner);
  for (let a = 0; a < outer; a++) {
    const srcBase = a * inSize * inner;
    const dstBase = a * outSize * inner;
    for (let o = 0; o < outSize; o++) {
      const idx = taps.index[o];
      const w = taps.weight[o];
      const dstRow = dstBase + o * inner;
      for (let k = 0; k < idx.length; k++) {
        const wk = w[k];
        if (wk === 0) continue;
        const srcRow = srcBase + idx[k] * inner;
        for (let i = 0; i < inner; i++) dst[dstRow + i] += wk * src[srcRow + i];
      }
    }
  }
  return dst;
}

function toF32(t: Tensor): Float32Array {
  switch (t.dtype) {
    case "float32":
      return t.data as Float32Array;
    case "float16":
      return float16ArrayToFloat32(t.data as Uint16Array);
    case "bfloat16":
      return bfloat16ArrayToFloat32(t.data as Uint16Array);
    default:
      throw new InterpolationError(`Cannot interpolate a ${t.dtype} tensor; latents are float tensors`, {
        dtype: t.dtype,
      });
  }
}

/** The output [H, W] torch computes for a target. */
export function interpolatedSize(inH: number, inW: number, target: InterpolateTarget): [number, number] {
  if ("size" in target) return [target.size[0], target.size[1]];
  return [Math.floor(inH * target.scaleFactor), Math.floor(inW * target.scaleFactor)];
}

/** `F.interpolate(t, size | scale_factor, mode, align_corners=False, antialias)` on an [N, C, H, W] float tensor. */
export function interpolate(t: Tensor, target: InterpolateTarget, options: InterpolateOptions): Tensor {
  if (t.shape.length !== 4) {
    throw new InterpolationError(`Expected a 4-D [N, C, H, W] tensor, got shape [${t.shape.join(", ")}]`, {
      shape: t.shape,
    });
  }
  const [n, c, h, w] = t.shape;
  const sf = "scaleFactor" in target ? target.scaleFactor : undefined;
  if (sf !== undefined && !(sf > 0 && Number.isFinite(sf))) {
    throw new InterpolationError(`scale_factor must be a positive number, got ${sf}`, {
      field: "scale_factor",
      value: sf,
    });
  }
  const [outH, outW] = interpolatedSize(h, w, target);
  if (!(outH > 0 && outW > 0) || !Number.isInteger(outH) || !Number.isInteger(outW)) {
    throw new InterpolationError(`Output size must be positive, got ${outH}×${outW} from ${h}×${w}`, {
      input: [h, w],
      output: [outH, outW],
    });
  }
  const antialias = options.antialias === true && (options.mode === "bilinear" || options.mode === "bicubic");
  const src = toF32(t);
  const alongH = resampleAxis(src, n * c, h, w, tapsFor(options.mode, antialias, h, outH, sf));
  const out = resampleAxis(alongH, n * c * outH, w, 1, tapsFor(options.mode, antialias, w, outW, sf));
  const shape = [n, c, outH, outW];
  if (t.dtype === "float16") return { dtype: "float16", shape, data: float32ArrayToFloat16(out) };
  if (t.dtype === "bfloat16") return { dtype: "bfloat16", shape, data: float32ArrayToBfloat16(out) };
  return { dtype: "float32", shape, data: out };
}
