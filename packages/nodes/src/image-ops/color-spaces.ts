import type { RawImage } from "@atelier/core";
import { clip8, mulDiv255, type MutableRawImage } from "./image-buffers.js";
import { convertMode } from "./mode-conversion.js";

/** The Pillow colour spaces InvokeAI's channel nodes reach into (besides RGBA itself). */
export type ColorSpace = "RGBA" | "CMYK" | "HSV" | "LAB" | "YCbCr";

/** Bands per colour space. */
export const COLOR_SPACE_BANDS: Readonly<Record<ColorSpace, number>> = { RGBA: 4, CMYK: 4, HSV: 3, LAB: 3, YCbCr: 3 };

/** Pixels in a colour space that RawImage cannot hold: interleaved, `COLOR_SPACE_BANDS[space]` bytes per pixel. */
export interface ColorPlanes {
  readonly width: number;
  readonly height: number;
  readonly space: ColorSpace;
  readonly data: Uint8Array;
}

const f32 = Math.fround;

/** Pillow's rgb2hsv_row, including its mix of single- and double-precision arithmetic. */
export function rgbToHsv(r: number, g: number, b: number, out: Uint8Array, o: number): void {
  const maxc = Math.max(r, g, b);
  const minc = Math.min(r, g, b);
  out[o + 2] = maxc;
  if (minc === maxc) {
    out[o] = 0;
    out[o + 1] = 0;
    return;
  }
  const cr = f32(maxc - minc);
  const s = f32(cr / maxc);
  const rc = f32((maxc - r) / cr);
  const gc = f32((maxc - g) / cr);
  const bc = f32((maxc - b) / cr);
  let h: number;
  if (r === maxc) h = f32(bc - gc);
  else if (g === maxc) h = f32(2.0 + rc - bc);
  else h = f32(4.0 + gc - rc);
  h = f32((h / 6.0 + 1.0) % 1.0);
  out[o] = clip8(Math.trunc(h * 255.0));
  out[o + 1] = clip8(Math.trunc(s * 255.0));
}

/** Pillow's hsv2rgb for one pixel. */
export function hsvToRgb(h: number, s: number, v: number, out: Uint8Array, o: number): void {
  if (s === 0) {
    out[o] = out[o + 1] = out[o + 2] = v;
    return;
  }
  const i = Math.floor((h * 6.0) / 255.0);
  const f = f32((h * 6.0) / 255.0 - i);
  const fs = f32(s / 255.0);
  const up = clip8(Math.round(v * (1.0 - fs)));
  const uq = clip8(Math.round(v * (1.0 - f32(fs * f))));
  const ut = clip8(Math.round(v * (1.0 - fs * (1.0 - f))));
  let r: number, g: number, b: number;
  switch (i % 6) {
    case 0:
      [r, g, b] = [v, ut, up];
      break;
    case 1:
      [r, g, b] = [uq, v, up];
      break;
    case 2:
      [r, g, b] = [up, v, ut];
      break;
    case 3:
      [r, g, b] = [up, uq, v];
      break;
    case 4:
      [r, g, b] = [ut, up, v];
      break;
    default:
      [r, g, b] = [v, up, uq];
  }
  out[o] = r;
  out[o + 1] = g;
  out[o + 2] = b;
}

// sRGB (D65) → XYZ adapted to D50 with Bradford, the matrix of the ICC sRGB profile LittleCMS builds in.
const SRGB_TO_XYZ_D50 = [
  0.4360747, 0.3850649, 0.1430804, 0.2225045, 0.7168786, 0.0606169, 0.0139322, 0.0971045, 0.7141733,
];
const XYZ_D50_TO_SRGB = invert3(SRGB_TO_XYZ_D50);
const D50 = [0.9642, 1.0, 0.8249];

function invert3(m: readonly number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}

const SRGB_TO_LINEAR = Float64Array.from({ length: 256 }, (_, i) => {
  const c = i / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});

function linearToSrgbByte(v: number): number {
  const c = v <= 0.0031308 ? 12.92 * v : 1.055 * Math.max(v, 0) ** (1 / 2.4) - 0.055;
  return Math.min(255, Math.max(0, Math.round(c * 255)));
}

function labF(t: number): number {
  return t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116;
}

function labFInv(t: number): number {
  return t ** 3 > 216 / 24389 ? t ** 3 : (116 * t - 16) / (24389 / 27);
}

/** sRGB → CIE L*a*b* (D50), encoded as Pillow's LAB bytes: L*·255/100, a* and b* as signed bytes. Approximates LittleCMS. */
export function rgbToLab(r: number, g: number, b: number, out: Uint8Array, o: number): void {
  const lr = SRGB_TO_LINEAR[r];
  const lg = SRGB_TO_LINEAR[g];
  const lb = SRGB_TO_LINEAR[b];
  const m = SRGB_TO_XYZ_D50;
  const fx = labF((m[0] * lr + m[1] * lg + m[2] * lb) / D50[0]);
  const fy = labF((m[3] * lr + m[4] * lg + m[5] * lb) / D50[1]);
  const fz = labF((m[6] * lr + m[7] * lg + m[8] * lb) / D50[2]);
  const L = 116 * fy - 16;
  out[o] = Math.min(255, Math.max(0, Math.round((L * 255) / 100)));
  // a* and b* are signed bytes in Pillow's LAB mode.
  out[o + 1] = Math.min(127, Math.max(-128, Math.round(500 * (fx - fy)))) & 0xff;
  out[o + 2] = Math.min(127, Math.max(-128, Math.round(200 * (fy - fz)))) & 0xff;
}

/** Inverse of `rgbToLab`. */
export function labToRgb(l: number, a: number, bb: number, out: Uint8Array, o: number): void {
  const fy = ((l * 100) / 255 + 16) / 116;
  const fx = fy + ((a << 24) >> 24) / 500;
  const fz = fy - ((bb << 24) >> 24) / 200;
  const X = labFInv(fx) * D50[0];
  const Y = labFInv(fy) * D50[1];
  const Z = labFInv(fz) * D50[2];
  const m = XYZ_D50_TO_SRGB;
  out[o] = linearToSrgbByte(m[0] * X + m[1] * Y + m[2] * Z);
  out[o + 1] = linearToSrgbByte(m[3] * X + m[4] * Y + m[5] * Z);
  out[o + 2] = linearToSrgbByte(m[6] * X + m[7] * Y + m[8] * Z);
}

/** JPEG/JFIF YCbCr with rounding to nearest (Pillow uses 6-bit lookup tables: results may differ by 1). */
export function rgbToYcbcr(r: number, g: number, b: number, out: Uint8Array, o: number): void {
  out[o] = Math.min(255, Math.max(0, Math.floor(0.299 * r + 0.587 * g + 0.114 * b)));
  out[o + 1] = Math.min(255, Math.max(0, Math.floor(-0.16874 * r - 0.33126 * g + 0.5 * b + 128)));
  out[o + 2] = Math.min(255, Math.max(0, Math.floor(0.5 * r - 0.41869 * g - 0.08131 * b + 128)));
}

/** Inverse of `rgbToYcbcr`. */
export function ycbcrToRgb(y: number, cb: number, cr: number, out: Uint8Array, o: number): void {
  out[o] = Math.min(255, Math.max(0, Math.round(y + 1.402 * (cr - 128))));
  out[o + 1] = Math.min(255, Math.max(0, Math.round(y - 0.34414 * (cb - 128) - 0.71414 * (cr - 128))));
  out[o + 2] = Math.min(255, Math.max(0, Math.round(y + 1.772 * (cb - 128))));
}

/**
 * `image.convert(space)` as Pillow does it for the spaces InvokeAI's channel nodes use. Grey images go to CMYK
 * through Pillow's l2cmyk (all ink in K) and to HSV with zero hue and saturation.
 */
export function toColorSpace(image: RawImage, space: ColorSpace): ColorPlanes {
  const n = image.width * image.height;
  const bands = COLOR_SPACE_BANDS[space];
  const out = new Uint8Array(n * bands);
  if (space === "RGBA") {
    return { width: image.width, height: image.height, space, data: convertMode(image, "RGBA").data };
  }
  const grey = image.mode === "L" || image.mode === "LA";
  const rgba = convertMode(image, "RGBA").data;
  for (let i = 0; i < n; i++) {
    const s = i * 4;
    const o = i * bands;
    const r = rgba[s];
    const g = rgba[s + 1];
    const b = rgba[s + 2];
    switch (space) {
      case "CMYK":
        if (grey) {
          out[o] = out[o + 1] = out[o + 2] = 0;
          out[o + 3] = 255 - r;
        } else {
          out[o] = 255 - r;
          out[o + 1] = 255 - g;
          out[o + 2] = 255 - b;
          out[o + 3] = 0;
        }
        break;
      case "HSV":
        rgbToHsv(r, g, b, out, o);
        break;
      case "LAB":
        rgbToLab(r, g, b, out, o);
        break;
      case "YCbCr":
        if (grey) {
          out[o] = r;
          out[o + 1] = out[o + 2] = 128;
        } else rgbToYcbcr(r, g, b, out, o);
        break;
    }
  }
  return { width: image.width, height: image.height, space, data: out };
}

/** `Image.fromarray(planes, space).convert("RGBA")`: back to RGBA (alpha is 255 unless the space is RGBA). */
export function colorSpaceToRgba(planes: ColorPlanes): MutableRawImage {
  const n = planes.width * planes.height;
  const bands = COLOR_SPACE_BANDS[planes.space];
  const src = planes.data;
  if (planes.space === "RGBA")
    return { width: planes.width, height: planes.height, mode: "RGBA", data: new Uint8Array(src) };
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    const s = i * bands;
    const o = i * 4;
    switch (planes.space) {
      case "CMYK": {
        const nk = 255 - src[s + 3];
        out[o] = clip8(nk - mulDiv255(src[s], nk));
        out[o + 1] = clip8(nk - mulDiv255(src[s + 1], nk));
        out[o + 2] = clip8(nk - mulDiv255(src[s + 2], nk));
        break;
      }
      case "HSV":
        hsvToRgb(src[s], src[s + 1], src[s + 2], out, o);
        break;
      case "LAB":
        labToRgb(src[s], src[s + 1], src[s + 2], out, o);
        break;
      case "YCbCr":
        ycbcrToRgb(src[s], src[s + 1], src[s + 2], out, o);
        break;
    }
    out[o + 3] = 255;
  }
  return { width: planes.width, height: planes.height, mode: "RGBA", data: out };
}
