import type { RawImage } from "@atelier/core";
import { gaussianBlur } from "./box-blur.js";
import { mapBytePairs, type MutableRawImage } from "./image-buffers.js";
import { ImageOperationError } from "./image-op-error.js";
import { getChannelByName, putAlpha } from "./channel-ops.js";
import { convertMode } from "./mode-conversion.js";

/** v + (v - blurred) * amount on [0, 1] floats, clamped and truncated back to a byte (InvokeAI's formula). */
function sharpenByte(value: number, blurred: number, amount: number): number {
  const v = value / 255;
  let s = v + (v - blurred / 255) * amount;
  s = s < 0 ? 0 : s > 1 ? 1 : s;
  return Math.trunc(s * 255);
}

/**
 * InvokeAI's unsharp_mask: on the RGB version of the image, v + (v - gaussian(v)) * strength/100 in [0, 1] floats,
 * truncated back to bytes, converted back to the original mode; an RGBA image keeps its alpha.
 */
export function unsharpMask(image: RawImage, radius: number, strength: number): MutableRawImage {
  if (!(radius > 0) || !Number.isFinite(radius)) {
    throw new ImageOperationError("invalid_blur_radius", `unsharp mask: radius must be > 0, got ${radius}`, { radius });
  }
  if (!(strength >= 0) || !Number.isFinite(strength)) {
    throw new ImageOperationError("invalid_strength", `unsharp mask: strength must be >= 0, got ${strength}`, {
      strength,
    });
  }
  const alpha = image.mode === "RGBA" ? getChannelByName(image, "A") : null;
  const rgb = convertMode(image, "RGB");
  const blurred = gaussianBlur(rgb, radius);
  const amount = strength / 100.0;
  const out = mapBytePairs(rgb.data, blurred.data, (v, b) => sharpenByte(v, b, amount));
  const sharpened = convertMode({ width: rgb.width, height: rgb.height, mode: "RGB", data: out }, image.mode);
  return alpha ? putAlpha(sharpened, alpha) : sharpened;
}
