import type { RawImage } from "@atelier/core";
import { cloneImage, type MutableRawImage } from "./image-buffers.js";
import { ImageOperationError } from "./image-op-error.js";

const f32 = Math.fround;

/** Images with fewer samples than there are byte pairs are blended directly rather than through a lookup table. */
const TABLE_MIN_SAMPLES = 65536;

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
  const n = a.data.length;
  const out = new Uint8Array(n);
  const aData = a.data;
  const bData = b.data;
  if (n < TABLE_MIN_SAMPLES) {
    for (let i = 0; i < n; i++) out[i] = blendByte(aData[i], bData[i], al);
  } else {
    // The result depends only on the pair of bytes: evaluate the formula once per pair, then look it up.
    const table = new Uint8Array(65536);
    for (let x = 0; x < 256; x++) for (let y = 0; y < 256; y++) table[(x << 8) | y] = blendByte(x, y, al);
    for (let i = 0; i < n; i++) out[i] = table[(aData[i] << 8) | bData[i]];
  }
  return { width: a.width, height: a.height, mode: a.mode, data: out };
}
