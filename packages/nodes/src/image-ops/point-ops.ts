import { CHANNELS, type RawImage } from "@atelier/core";
import type { MutableRawImage } from "./image-buffers.js";
import { ImageOperationError, unsupportedMode } from "./image-op-error.js";

const f32 = Math.fround;

/** Applies a 256-entry table to every byte (every channel, alpha included). */
export function applyLookupTable(image: RawImage, table: ArrayLike<number>): MutableRawImage {
  const out = new Uint8Array(image.data.length);
  const src = image.data;
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return { width: image.width, height: image.height, mode: image.mode, data: out };
}

const INVERT_TABLE = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);

/** `ImageOps.invert`: 255 - v on L and RGB images (Pillow refuses images with alpha). */
export function invertImage(image: RawImage): MutableRawImage {
  if (image.mode !== "L" && image.mode !== "RGB") throw unsupportedMode("invert", image.mode, ["L", "RGB"]);
  return applyLookupTable(image, INVERT_TABLE);
}

/** NumPy's float → uint8 cast on x86: truncate toward zero, keep the low byte (NaN becomes 0). */
export function castFloatToUint8(v: number): number {
  if (Number.isNaN(v)) return 0;
  const t = Math.trunc(v);
  // Outside int32 the x86 conversion yields INT_MIN, whose low byte is 0.
  if (!Number.isFinite(t) || t >= 2 ** 31 || t < -(2 ** 31)) return 0;
  return t & 0xff;
}

/** InvokeAI's img_lerp: v/255 * (max - min) + min in float32, cast to uint8, on every channel. */
export function lerpImage(image: RawImage, min: number, max: number): MutableRawImage {
  const table = new Uint8Array(256);
  const span = f32(max - min);
  for (let v = 0; v < 256; v++) table[v] = castFloatToUint8(f32(f32(f32(v / 255) * span) + min));
  return applyLookupTable(image, table);
}

/** InvokeAI's img_ilerp: clamp((v - min) / (max - min), 0, 1) * 255 in float32, cast to uint8, on every channel. */
export function inverseLerpImage(image: RawImage, min: number, max: number): MutableRawImage {
  const table = new Uint8Array(256);
  const span = f32(max - min);
  for (let v = 0; v < 256; v++) {
    const shifted = Math.max(f32(v - min), 0);
    let q = f32(shifted / span);
    if (!Number.isNaN(q)) q = Math.min(q, 1);
    table[v] = castFloatToUint8(f32(q * 255));
  }
  return applyLookupTable(image, table);
}

/** Combines two images byte by byte; like Pillow's ImageChops, both need the same band count and the result takes the smaller size. */
export function combineBytes(
  operation: string,
  a: RawImage,
  b: RawImage,
  op: (x: number, y: number) => number,
): MutableRawImage {
  const c = CHANNELS[a.mode];
  if (c !== CHANNELS[b.mode]) {
    throw new ImageOperationError(
      "image_mode_mismatch",
      `${operation}: images have different band counts (${a.mode} vs ${b.mode}); Pillow: "images do not match"`,
      { modes: [a.mode, b.mode] },
    );
  }
  const width = Math.min(a.width, b.width);
  const height = Math.min(a.height, b.height);
  const out = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const ra = y * a.width * c;
    const rb = y * b.width * c;
    const ro = y * width * c;
    for (let i = 0; i < width * c; i++) out[ro + i] = op(a.data[ra + i], b.data[rb + i]);
  }
  return { width, height, mode: a.mode, data: out };
}

/** `ImageChops.multiply`: a*b/255 truncated. */
export function multiplyImages(a: RawImage, b: RawImage): MutableRawImage {
  return combineBytes("multiply", a, b, (x, y) => Math.floor((x * y) / 255));
}

/** `ImageChops.screen`: 255 - (255-a)(255-b)/255 truncated. */
export function screenImages(a: RawImage, b: RawImage): MutableRawImage {
  return combineBytes("screen", a, b, (x, y) => 255 - Math.floor(((255 - x) * (255 - y)) / 255));
}

/** `ImageChops.difference`: |a - b|. */
export function differenceImages(a: RawImage, b: RawImage): MutableRawImage {
  return combineBytes("difference", a, b, (x, y) => Math.abs(x - y));
}

/** `ImageChops.lighter` / `darker`. */
export function lighterImages(a: RawImage, b: RawImage): MutableRawImage {
  return combineBytes("lighter", a, b, (x, y) => Math.max(x, y));
}

/** `ImageChops.darker`: per-byte minimum. */
export function darkerImages(a: RawImage, b: RawImage): MutableRawImage {
  return combineBytes("darker", a, b, (x, y) => Math.min(x, y));
}
