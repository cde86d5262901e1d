import type { RawImage } from "@atelier/core";
import { cloneImage, mapBytePairs, type MutableRawImage } from "./image-buffers.js";
import { ImageOperationError } from "./image-op-error.js";

const f32 = Math.fround;

/** One blended byte: a + alpha·(b − a) in single precision, truncated (clamped when alpha is outside [0, 1]). */
function blendByte(a: number, b: number, al: number): number {
  const v = f32(a + f32(al * (b - a)));
  return al >= 0 && al <= 1 ? Math.trunc(v) : v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
}

/** Pillow's `Image.blend(a, b, alpha)` for alpha in [0, 1]: a + alpha·(b − a) in single precision, truncated. */
export function blendImages(a: RawImage, b: RawImage, alpha: number): MutableRawImage {
  if (a.mode !== b.mode || a.width !== b.width || a.height !== b.height) {
    throw new ImageOperationError(
      "image_size_mismatch",
      `blend: images differ (${a.mode} ${a.width}x${a.height} vs ${b.mode} ${b.width}x${b.height})`,
      {},
    );
  }
  const al = Math.fround(alpha);
  if (al === 0) return cloneImage(a);
  if (al === 1) return cloneImage(b);
  const out = mapBytePairs(a.data, b.data, (x, y) => blendByte(x, y, al));
  return { width: a.width, height: a.height, mode: a.mode, data: out };
}
