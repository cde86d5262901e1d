import { CHANNELS, type ImageMode, type RawImage } from "@atelier/core";
import type { MutableRawImage } from "./image-buffers.js";
import { clip8, mulDiv255 } from "./image-buffers.js";

/** Pillow's ITU-R 601-2 luma in 16.16 fixed point: the exact value `Image.convert("L")` gives. */
export function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

/**
 * Converts between the four modes a RawImage can hold, with Pillow's rules: colour → grey uses `luma`, alpha is
 * kept when both modes have one, added as 255 when only the target has one, dropped otherwise.
 */
export function convertMode(image: RawImage, mode: ImageMode): MutableRawImage {
  if (image.mode === mode) return { width: image.width, height: image.height, mode, data: new Uint8Array(image.data) };
  const n = image.width * image.height;
  const src = image.data;
  const inC = CHANNELS[image.mode];
  const outC = CHANNELS[mode];
  const out = new Uint8Array(n * outC);
  if (mode === "L" && inC >= 3) {
    // The common colour → grey case, without the per-pixel branching below.
    for (let i = 0, s = 0; i < n; i++, s += inC)
      out[i] = (src[s] * 19595 + src[s + 1] * 38470 + src[s + 2] * 7471 + 0x8000) >> 16;
    return { width: image.width, height: image.height, mode, data: out };
  }
  if (inC >= 3 && outC >= 3) {
    // Colour → colour (RGB ↔ RGBA): the colour bytes are copied, alpha kept or set to 255.
    for (let i = 0, s = 0, d = 0; i < n; i++, s += inC, d += outC) {
      out[d] = src[s];
      out[d + 1] = src[s + 1];
      out[d + 2] = src[s + 2];
    }
    if (outC === 4) for (let d = 3, s = inC - 1; d < out.length; d += 4, s += inC) out[d] = inC === 4 ? src[s] : 255;
    return { width: image.width, height: image.height, mode, data: out };
  }
  const srcGrey = inC <= 2;
  const srcAlpha = inC === 2 || inC === 4;
  const dstGrey = outC <= 2;
  const dstAlpha = outC === 2 || outC === 4;
  for (let i = 0, s = 0, d = 0; i < n; i++, s += inC, d += outC) {
    let r: number, g: number, b: number;
    if (srcGrey) r = g = b = src[s];
    else {
      r = src[s];
      g = src[s + 1];
      b = src[s + 2];
    }
    const a = srcAlpha ? src[s + inC - 1] : 255;
    if (dstGrey) out[d] = srcGrey ? r : luma(r, g, b);
    else {
      out[d] = r;
      out[d + 1] = g;
      out[d + 2] = b;
    }
    if (dstAlpha) out[d + outC - 1] = a;
  }
  return { width: image.width, height: image.height, mode, data: out };
}

/** Multiplies colour channels by alpha (Pillow's RGBA→RGBa / LA→La) into a copy. */
export function premultiplyAlpha(image: RawImage): MutableRawImage {
  const c = CHANNELS[image.mode];
  const out = new Uint8Array(image.data);
  if (c === 4) {
    // RGBA, the common case, without the inner channel loop.
    for (let i = 0; i < out.length; i += 4) {
      const a = out[i + 3];
      if (a === 255) continue; // mulDiv255(v, 255) === v
      out[i] = mulDiv255(out[i], a);
      out[i + 1] = mulDiv255(out[i + 1], a);
      out[i + 2] = mulDiv255(out[i + 2], a);
    }
  } else if (c === 2) {
    for (let i = 0; i < out.length; i += 2) out[i] = mulDiv255(out[i], out[i + 1]);
  }
  return { width: image.width, height: image.height, mode: image.mode, data: out };
}

/** Undoes `premultiplyAlpha` in place with Pillow's integer division (RGBa→RGBA). */
export function unpremultiplyAlphaInPlace(image: MutableRawImage): MutableRawImage {
  const c = CHANNELS[image.mode];
  const d = image.data;
  if (c === 2 || c === 4) {
    for (let i = 0; i < d.length; i += c) {
      const a = d[i + c - 1];
      if (a === 255 || a === 0) continue;
      for (let k = 0; k < c - 1; k++) d[i + k] = clip8(Math.floor((255 * d[i + k]) / a));
    }
  }
  return image;
}
