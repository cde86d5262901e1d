import type { RawImage } from "@atelier/core";
import { cloneImage, type MutableRawImage } from "./image-buffers.js";
import { ImageOperationError } from "./image-op-error.js";

/** Pillow's `Image.blend(a, b, alpha)` for alpha in [0, 1]: a + alpha·(b − a) in single precision, truncated. */
export function blendImages(a: RawImage, b: RawImage, alpha: number): MutableRawImage {
  if (a.mode !== b.mode || a.width !== b.width || a.height !== b.height) {
    throw new ImageOperationError(
      "image_size_mismatch",
      `blend: images differ (${a.mode} ${a.width}x${a.height} vs ${b.mode} ${b.width}x${b.height})`,
      {},
    );
  }
  const f32 = Math.fround;
  const al = f32(alpha);
  if (al === 0) return cloneImage(a);
  if (al === 1) return cloneImage(b);
  const out = new Uint8Array(a.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = f32(a.data[i] + f32(al * (b.data[i] - a.data[i])));
    out[i] = al >= 0 && al <= 1 ? Math.trunc(v) : v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
  }
  return { width: a.width, height: a.height, mode: a.mode, data: out };
}
