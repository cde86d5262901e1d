import type { RawImage } from "@atelier/core";
import { getChannelByName, putAlpha } from "./channel-ops.js";
import { pasteInto } from "./crop-paste.js";
import { cloneImage, type MutableRawImage } from "./image-buffers.js";
import { ImageOperationError } from "./image-op-error.js";
import { convertMode } from "./mode-conversion.js";
import { LegacyRandomState } from "../math/numpy-random.js";
import { castFloatToUint8, invertImage } from "./point-ops.js";
import { blendImages } from "./blend.js";
import { resizeImage } from "./resample.js";

/** Options of `addImageNoise` (InvokeAI's img_noise fields). */
export interface ImageNoiseOptions {
  readonly seed: number;
  readonly noiseType: "gaussian" | "salt_and_pepper";
  readonly amount: number;
  readonly noiseColor: boolean;
  readonly size: number;
}

/**
 * InvokeAI's img_noise: Gaussian (×255) or salt-and-pepper noise drawn from NumPy's legacy RandomState seeded by a
 * SeedSequence, on a grid `size` times coarser, blown up (nearest) and blended in by `amount`; alpha is kept. With a
 * mask (black = noise), the noisy image is pasted over the original through the inverted mask.
 */
export function addImageNoise(image: RawImage, mask: RawImage | null, options: ImageNoiseOptions): MutableRawImage {
  const rgba = convertMode(image, "RGBA");
  const alpha = getChannelByName(rgba, "A");
  const gw = Math.floor(rgba.width / options.size);
  const gh = Math.floor(rgba.height / options.size);
  if (gw < 1 || gh < 1) {
    throw new ImageOperationError(
      "invalid_noise_size",
      `image noise: a ${rgba.width}x${rgba.height} image has no room for noise points of size ${options.size}`,
      { size: options.size },
    );
  }
  const rs = new LegacyRandomState(options.seed);
  const n = gw * gh;
  const draws = options.noiseColor ? n * 3 : n;
  const values = new Uint8Array(draws);
  if (options.noiseType === "gaussian") {
    for (let i = 0; i < draws; i++) values[i] = castFloatToUint8(rs.standardNormal() * 255);
  } else {
    const p0 = 1 - options.amount;
    const total = p0 + options.amount;
    const cdf0 = p0 / total;
    for (let i = 0; i < draws; i++) values[i] = rs.randomSample() >= cdf0 ? 255 : 0;
  }
  // Colour noise is already one value per channel; grey noise repeats each value over the three channels.
  let grid = values;
  if (!options.noiseColor) {
    grid = new Uint8Array(n * 3);
    for (let i = 0, j = 0; i < n; i++, j += 3) grid[j] = grid[j + 1] = grid[j + 2] = values[i];
  }
  const noise = resizeImage({ width: gw, height: gh, mode: "RGB", data: grid }, rgba.width, rgba.height, "nearest");
  const noisy = putAlpha(convertMode(blendImages(convertMode(rgba, "RGB"), noise, options.amount), "RGBA"), alpha);
  if (!mask) return noisy;
  let weights = mask;
  if (mask.width !== rgba.width || mask.height !== rgba.height)
    weights = resizeImage(mask, rgba.width, rgba.height, "lanczos");
  const out = cloneImage(rgba);
  pasteInto(out, noisy, 0, 0, invertImage(weights));
  return out;
}
