import type { RawImage } from "@atelier/core";
import type { MutableRawImage } from "./image-buffers.js";
import { ImageOperationError } from "./image-op-error.js";

const PRECISION_BITS = 7;
const shiftDiv255 = (a: number) => ((a >>> 8) + a) >>> 8;

/** Pillow's `Image.alpha_composite(dst, src)`: src over dst, both RGBA of one size, in Pillow's integer arithmetic. */
export function alphaComposite(dst: RawImage, src: RawImage): MutableRawImage {
  if (dst.mode !== "RGBA" || src.mode !== "RGBA") {
    throw new ImageOperationError(
      "image_mode_unsupported",
      `alpha composite: both images must be RGBA, got ${dst.mode} and ${src.mode}`,
      {},
    );
  }
  if (dst.width !== src.width || dst.height !== src.height) {
    throw new ImageOperationError(
      "image_size_mismatch",
      `alpha composite: sizes differ (${dst.width}x${dst.height} vs ${src.width}x${src.height})`,
      {},
    );
  }
  const out = new Uint8Array(dst.data.length);
  const d = dst.data;
  const s = src.data;
  for (let p = 0; p < out.length; p += 4) {
    const sa = s[p + 3];
    if (sa === 0) {
      out[p] = d[p];
      out[p + 1] = d[p + 1];
      out[p + 2] = d[p + 2];
      out[p + 3] = d[p + 3];
      continue;
    }
    const blend = d[p + 3] * (255 - sa);
    const outa255 = sa * 255 + blend;
    const coef1 = Math.floor((sa * 255 * 255 * (1 << PRECISION_BITS)) / outa255);
    const coef2 = 255 * (1 << PRECISION_BITS) - coef1;
    for (let c = 0; c < 3; c++) {
      const tmp = s[p + c] * coef1 + d[p + c] * coef2;
      out[p + c] = shiftDiv255(tmp + (0x80 << PRECISION_BITS)) >>> PRECISION_BITS;
    }
    out[p + 3] = shiftDiv255(outa255 + 0x80);
  }
  return { width: dst.width, height: dst.height, mode: "RGBA", data: out };
}
