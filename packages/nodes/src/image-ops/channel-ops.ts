import { CHANNELS, type ImageMode, type RawImage } from "@atelier/core";
import { extractChannel, type MutableRawImage } from "./image-buffers.js";
import { ImageOperationError } from "./image-op-error.js";
import { convertMode } from "./mode-conversion.js";

const BAND_NAMES: Readonly<Record<ImageMode, readonly string[]>> = {
  L: ["L"],
  LA: ["L", "A"],
  RGB: ["R", "G", "B"],
  RGBA: ["R", "G", "B", "A"],
};

/** Pillow's `getbands()`. */
export function bandNames(mode: ImageMode): readonly string[] {
  return BAND_NAMES[mode];
}

/** `Image.getchannel(name)`: the named band as an L image; asking for a band the mode lacks is an error. */
export function getChannelByName(image: RawImage, name: string): MutableRawImage {
  const index = BAND_NAMES[image.mode].indexOf(name);
  if (index < 0) {
    throw new ImageOperationError(
      "channel_not_found",
      `The ${image.mode} image has no channel ${JSON.stringify(name)}`,
      {
        mode: image.mode,
        channel: name,
        available: BAND_NAMES[image.mode],
      },
    );
  }
  return extractChannel(image, index);
}

/** `image.split()[-1]`: the last band (alpha when there is one, else blue or grey). */
export function lastBand(image: RawImage): MutableRawImage {
  return extractChannel(image, CHANNELS[image.mode] - 1);
}

/**
 * `Image.putalpha(alpha)`: L→LA and RGB→RGBA first, then the alpha band is replaced by the L image `alpha`
 * (which must have the same size).
 */
export function putAlpha(image: RawImage, alpha: RawImage): MutableRawImage {
  if (alpha.mode !== "L" || alpha.width !== image.width || alpha.height !== image.height) {
    throw new ImageOperationError(
      "image_size_mismatch",
      `putalpha: alpha must be an L image of ${image.width}x${image.height}, got ${alpha.mode} ${alpha.width}x${alpha.height}`,
      { image: [image.width, image.height], alpha: [alpha.width, alpha.height, alpha.mode] },
    );
  }
  const mode: ImageMode = image.mode === "L" || image.mode === "LA" ? "LA" : "RGBA";
  const out = convertMode(image, mode);
  const c = CHANNELS[mode];
  const n = image.width * image.height;
  for (let i = 0; i < n; i++) out.data[i * c + c - 1] = alpha.data[i];
  return out;
}
