/**
 * FLUX's initial noise as InvokeAI makes it (`flux/sampling_utils.get_noise`): `torch.randn(…, dtype=float16)` on
 * a CPU generator, widened to float32. For contiguous tensors torch fills a float16 tensor through the same
 * float32 stream and rounds each value (checked against the fixtures' float16 noise), which is core's
 * `torchRandn(…, "float16")`.
 */
import { toFloat32, torchRandn, type Tensor } from "@atelier/core";

/** The latent shape of FLUX noise for an image size: `[1, 16, 2·ceil(h/16), 2·ceil(w/16)]` (room for 2×2 packing). */
export function fluxLatentShape(width: number, height: number): [number, number, number, number] {
  return [1, 16, 2 * Math.ceil(height / 16), 2 * Math.ceil(width / 16)];
}

/** InvokeAI's FLUX noise for a seed and image size: half-precision `torch.randn`, as float32. */
export function fluxNoise(seed: number, width: number, height: number): Tensor<"float32"> {
  return toFloat32(torchRandn(fluxLatentShape(width, height), seed, "float16"));
}
