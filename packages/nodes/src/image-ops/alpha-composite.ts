import type { RawImage } from "@atelier/core";
import type { MutableRawImage } from "./image-buffers.js";
import { ImageOperationError } from "./image-op-error.js";

const PRECISION_BITS = 7;
const shiftDiv255 = (a: number) => ((a >>> 8) + a) >>> 8;

let tables: { outAlpha255: Int32Array; coef1Table: Int32Array } | null = null;

/**
 * Pillow's per-pixel alpha terms depend only on (source alpha, destination alpha), indexed sa·256 + da: computed
 * once (same integer formulas), they spare a division per pixel.
 */
function compositeTables(): { outAlpha255: Int32Array; coef1Table: Int32Array } {
  if (tables) return tables;
  const outAlpha255 = new Int32Array(65536);
  const coef1Table = new Int32Array(65536);
  for (let sa = 1; sa < 256; sa++) {
    for (let da = 0; da < 256; da++) {
      const outa255 = sa * 255 + da * (255 - sa);
      outAlpha255[(sa << 8) | da] = outa255;
      coef1Table[(sa << 8) | da] = Math.floor((sa * 255 * 255 * (1 << PRECISION_BITS)) / outa255);
    }
  }
  tables = { outAlpha255, coef1Table };
  return tables;
}

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
  const { outAlpha255, coef1Table } = compositeTables();
  const out = new Uint8Array(dst.data.length);
  const d = dst.data;
  const s = src.data;
  for (let p = 0; p < out.length; p += 4) {
    const sa = s[p + 3];
    if (sa === 0 || sa === 255) {
      // Transparent source keeps dst; an opaque one gives src exactly (Pillow's formulas reduce to the identity
      // for sa = 255: coef1 = 255·128, coef2 = 0, out alpha 255 — checked for every byte value).
      const from = sa === 0 ? d : s;
      out[p] = from[p];
      out[p + 1] = from[p + 1];
      out[p + 2] = from[p + 2];
      out[p + 3] = from[p + 3];
      continue;
    }
    const key = (sa << 8) | d[p + 3];
    const outa255 = outAlpha255[key];
    const coef1 = coef1Table[key];
    const coef2 = 255 * (1 << PRECISION_BITS) - coef1;
    for (let c = 0; c < 3; c++) {
      const tmp = s[p + c] * coef1 + d[p + c] * coef2;
      out[p + c] = shiftDiv255(tmp + (0x80 << PRECISION_BITS)) >>> PRECISION_BITS;
    }
    out[p + 3] = shiftDiv255(outa255 + 0x80);
  }
  return { width: dst.width, height: dst.height, mode: "RGBA", data: out };
}
