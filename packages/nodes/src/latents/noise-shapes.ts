/**
 * The latent noise InvokeAI's `noise` node draws for each architecture (`noise_type`): the tensor shape and the
 * size multiple each one needs. All of them are `torch.randn` from a CPU generator seeded with the seed.
 */
import { AtelierError, LATENT_SCALE_FACTOR } from "@atelier/core";

/** InvokeAI's `LatentNoiseType`. */
export const NOISE_TYPES = ["SD", "FLUX", "FLUX.2", "SD3", "CogView4", "Z-Image", "Anima"] as const;
/** One architecture's noise. */
export type NoiseType = (typeof NOISE_TYPES)[number];

/** A width or height the architecture cannot take. */
export class NoiseSizeError extends AtelierError {
  constructor(noiseType: NoiseType, field: "width" | "height", value: number, multiple: number) {
    super("noise_size_invalid", `${noiseType} noise ${field} must be a multiple of ${multiple}, got ${value}`, {
      status: 422,
      details: { field, noise_type: noiseType, value, multiple },
    });
  }
}

/** The pixel multiple width and height must be for this noise type (the transformers patchify latents). */
export function noiseSizeMultiple(noiseType: NoiseType): number {
  if (noiseType === "CogView4") return 32;
  return noiseType === "SD" || noiseType === "Anima" ? 8 : 16;
}

/** Latent channels of each architecture's noise. */
const CHANNELS: Readonly<Record<NoiseType, number>> = {
  SD: 4,
  FLUX: 16,
  "FLUX.2": 32,
  SD3: 16,
  CogView4: 16,
  "Z-Image": 16,
  Anima: 16,
};

/**
 * The noise tensor shape for an image of width × height: `[1, C, h/8, w/8]`, and for Anima (a video-style
 * latent) `[1, 16, 1, h/8, w/8]`. Throws NoiseSizeError when a side is not a multiple the type needs.
 */
export function noiseShape(noiseType: NoiseType, width: number, height: number): number[] {
  const multiple = noiseSizeMultiple(noiseType);
  if (width % multiple !== 0) throw new NoiseSizeError(noiseType, "width", width, multiple);
  if (height % multiple !== 0) throw new NoiseSizeError(noiseType, "height", height, multiple);
  const h = Math.floor(height / LATENT_SCALE_FACTOR);
  const w = Math.floor(width / LATENT_SCALE_FACTOR);
  return noiseType === "Anima" ? [1, CHANNELS[noiseType], 1, h, w] : [1, CHANNELS[noiseType], h, w];
}
