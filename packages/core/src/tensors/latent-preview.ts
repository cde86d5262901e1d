/** Cheap step previews: project latents to RGB with a per-model linear map, as InvokeAI's step callback does. */
import type { RawImage } from "../raw-image.js";
import type { Tensor } from "../tensor.js";
import { LATENT_RGB_BY_BASE, type LatentRgbApproximation, type PreviewBase } from "./latent-rgb-factors.js";
import { TensorError, UnsupportedBaseModelError } from "./tensor-errors.js";
import { toFloat32 } from "./tensor-helpers.js";

/** The preview approximation for a base model, or a typed "Unsupported base model" error. */
export function latentRgbApproximation(base: string): LatentRgbApproximation {
  if (!Object.hasOwn(LATENT_RGB_BY_BASE, base)) throw new UnsupportedBaseModelError(base);
  return LATENT_RGB_BY_BASE[base as PreviewBase];
}

/**
 * Batch element 0 of unpacked `[B, C, H, W]` latents (FLUX's packed `[B, HW, C·4]` must be unpacked first) as an
 * H×W RGB preview: `latent · factors + bias`, SDXL's 3×3 smoothing, then `((x + 1) / 2).clamp(0, 1) · 255` truncated
 * to uint8 as torch's `.byte()` does. The caller shows it at 8× (the VAE's scale).
 */
export function latentsToPreview(latents: Tensor, base: string): RawImage {
  const approx = latentRgbApproximation(base);
  const channels = approx.factors.length;
  if (latents.shape.length !== 4 || latents.shape[0] < 1 || latents.shape[1] !== channels) {
    throw new TensorError(
      `Latent preview for base ${base} needs latents shaped [B, ${channels}, H, W] with B ≥ 1; got [${latents.shape.join(", ")}]`,
      { base, shape: [...latents.shape], channels },
    );
  }
  if (latents.dtype !== "float32" && latents.dtype !== "float16" && latents.dtype !== "bfloat16") {
    throw new TensorError(`Latent preview needs float latents; got ${latents.dtype}`, { base, dtype: latents.dtype });
  }
  const height = latents.shape[2];
  const width = latents.shape[3];
  const plane = height * width;
  // Only batch element 0 is shown, so only its slice is widened.
  const first: Tensor = {
    dtype: latents.dtype,
    shape: [channels, height, width],
    data: latents.data.subarray(0, channels * plane),
  } as Tensor;
  const x = toFloat32(first).data;

  const rgb = [new Float32Array(plane), new Float32Array(plane), new Float32Array(plane)];
  for (let k = 0; k < 3; k++) {
    const out = rgb[k];
    out.fill(approx.bias?.[k] ?? 0);
    for (let c = 0; c < channels; c++) {
      const w = approx.factors[c][k];
      if (w === 0) continue;
      const base0 = c * plane;
      for (let p = 0; p < plane; p++) out[p] += x[base0 + p] * w;
    }
  }
  const planes = approx.smooth === undefined ? rgb : rgb.map((p) => smooth3x3(p, width, height, approx.smooth!));

  const data = new Uint8Array(plane * 3);
  for (let k = 0; k < 3; k++) {
    const p = planes[k];
    for (let i = 0; i < plane; i++) {
      const v = (p[i] + 1) / 2;
      data[i * 3 + k] = v <= 0 ? 0 : v >= 1 ? 255 : Math.trunc(v * 255);
    }
  }
  return { width, height, mode: "RGB", data };
}

/** 2-D cross-correlation with a 3×3 kernel and zero padding 1, like `conv2d(..., padding=1)`. */
function smooth3x3(
  src: Float32Array,
  width: number,
  height: number,
  kernel: readonly (readonly [number, number, number])[],
): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        const row = kernel[dy + 1];
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          sum += src[yy * width + xx] * row[dx + 1];
        }
      }
      out[y * width + x] = sum;
    }
  }
  return out;
}

/** Progress of a denoise step: `step / total` for first-order schedulers, halves counted for second-order ones. */
export function stepPercentage(step: number, totalSteps: number, order = 1): number {
  if (order === 2) {
    const total = Math.floor(totalSteps / 2);
    return total <= 0 ? 0 : Math.floor(step / 2) / total;
  }
  return totalSteps <= 0 ? 0 : step / totalSteps;
}
