import { CHANNELS, type ImageMode, type RawImage } from "@atelier/core";
import { ImageOperationError } from "./image-op-error.js";

/** A mutable RawImage: what operations build before handing the result out. */
export interface MutableRawImage extends RawImage {
  readonly data: Uint8Array;
}

/** The largest side length an operation will allocate (Pillow's own limit is far larger; this guards memory). */
export const MAX_IMAGE_SIDE = 32768;

/** Throws unless `width`×`height` is a size an image may have (non-negative integers within MAX_IMAGE_SIDE). */
export function assertImageSize(operation: string, width: number, height: number, allowEmpty = true): void {
  const ok = (v: number) => Number.isInteger(v) && v >= (allowEmpty ? 0 : 1) && v <= MAX_IMAGE_SIDE;
  if (!ok(width) || !ok(height)) {
    throw new ImageOperationError(
      "invalid_image_size",
      `${operation}: invalid image size ${width}x${height} (each side must be an integer in ${allowEmpty ? 0 : 1}..${MAX_IMAGE_SIDE})`,
      { operation, width, height },
    );
  }
}

/** Creates an image filled with `color` (one value per channel; missing values are 0, as in Pillow). */
export function createImage(
  width: number,
  height: number,
  mode: ImageMode,
  color: readonly number[] = [],
): MutableRawImage {
  assertImageSize("create image", width, height);
  const channels = CHANNELS[mode];
  const data = new Uint8Array(width * height * channels);
  const fill = Array.from({ length: channels }, (_, c) => clampByte(color[c] ?? 0));
  if (fill.some((v) => v !== 0)) {
    if (channels === 1) data.fill(fill[0]);
    else if (data.length > 0) {
      // One pixel, then the filled prefix copied onto the rest, doubling each time (native copies, not a loop).
      data.set(fill);
      for (let len = channels; len < data.length; len *= 2) data.copyWithin(len, 0, Math.min(len, data.length - len));
    }
  }
  return { width, height, mode, data };
}

/** A deep copy of an image. */
export function cloneImage(image: RawImage): MutableRawImage {
  return { width: image.width, height: image.height, mode: image.mode, data: new Uint8Array(image.data) };
}

/** Throws unless the image's buffer length agrees with its size and mode. */
export function assertRawImage(operation: string, image: RawImage): void {
  const channels = CHANNELS[image.mode];
  if (channels === undefined) {
    throw new ImageOperationError(
      "image_mode_unsupported",
      `${operation}: unknown image mode ${JSON.stringify(image.mode)}`,
      {
        operation,
        mode: image.mode,
      },
    );
  }
  assertImageSize(operation, image.width, image.height);
  if (!(image.data instanceof Uint8Array) || image.data.length !== image.width * image.height * channels) {
    throw new ImageOperationError(
      "invalid_image_buffer",
      `${operation}: a ${image.width}x${image.height} ${image.mode} image needs ${image.width * image.height * channels} bytes, got ${image.data?.length}`,
      { operation, width: image.width, height: image.height, mode: image.mode },
    );
  }
}

/** Whether the mode carries an alpha channel. */
export function hasAlpha(mode: ImageMode): boolean {
  return mode === "LA" || mode === "RGBA";
}

/** Rounds and clamps to 0..255 (non-finite values become 0). */
export function clampByte(v: number): number {
  if (!(v > 0)) return 0;
  if (v >= 255) return 255;
  return Math.round(v);
}

/** Clamps an integer-valued number to 0..255 without rounding (Pillow's CLIP8). */
export function clip8(v: number): number {
  return v <= 0 ? 0 : v < 256 ? v : 255;
}

/** Pillow's MULDIV255: (a*b + 127) / 255 with the same integer rounding. */
export function mulDiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

/** Pillow's DIV255 of an already-multiplied value. */
export function div255(a: number): number {
  const t = a + 128;
  return ((t >> 8) + t) >> 8;
}

/** Pillow's BLEND(mask, in1, in2): in1 where mask is 0, in2 where it is 255. */
export function blend255(mask: number, in1: number, in2: number): number {
  return div255(in1 * (255 - mask) + in2 * mask);
}

/** Extracts one channel as an L image. */
export function extractChannel(image: RawImage, channel: number): MutableRawImage {
  const channels = CHANNELS[image.mode];
  if (!Number.isInteger(channel) || channel < 0 || channel >= channels) {
    throw new ImageOperationError(
      "invalid_channel",
      `extract channel: channel ${channel} does not exist in mode ${image.mode}`,
      {
        channel,
        mode: image.mode,
      },
    );
  }
  const n = image.width * image.height;
  const out = new Uint8Array(n);
  const src = image.data;
  for (let i = 0, j = channel; i < n; i++, j += channels) out[i] = src[j];
  return { width: image.width, height: image.height, mode: "L", data: out };
}

/** Builds an image of `mode` from one L image per channel; all must share one size. */
export function mergeChannels(mode: ImageMode, bands: readonly RawImage[]): MutableRawImage {
  const channels = CHANNELS[mode];
  if (bands.length !== channels) {
    throw new ImageOperationError(
      "invalid_channel",
      `merge channels: mode ${mode} needs ${channels} bands, got ${bands.length}`,
      {
        mode,
        bands: bands.length,
      },
    );
  }
  const { width, height } = bands[0];
  for (const b of bands) {
    if (b.mode !== "L" || b.width !== width || b.height !== height) {
      throw new ImageOperationError(
        "image_size_mismatch",
        `merge channels: every band must be an L image of ${width}x${height}`,
        {
          mode,
        },
      );
    }
  }
  const n = width * height;
  const out = new Uint8Array(n * channels);
  for (let c = 0; c < channels; c++) {
    const src = bands[c].data;
    for (let i = 0, j = c; i < n; i++, j += channels) out[j] = src[i];
  }
  return { width, height, mode, data: out };
}

// Below this many samples a 65,536-entry table costs more to fill than the direct evaluations it saves.
const PAIR_TABLE_MIN_SAMPLES = 65536;

/**
 * `out[i] = byteOf(a[i], b[i])` for two byte arrays of the same length. When the result depends only on the pair
 * of bytes (a float formula truncated to a byte), large arrays evaluate it once per pair and look it up: the same
 * bytes, far fewer float operations.
 */
export function mapBytePairs(a: Uint8Array, b: Uint8Array, byteOf: (x: number, y: number) => number): Uint8Array {
  const n = a.length;
  const out = new Uint8Array(n);
  if (n < PAIR_TABLE_MIN_SAMPLES) {
    for (let i = 0; i < n; i++) out[i] = byteOf(a[i], b[i]);
    return out;
  }
  const table = new Uint8Array(65536);
  for (let x = 0; x < 256; x++) for (let y = 0; y < 256; y++) table[(x << 8) | y] = byteOf(x, y);
  for (let i = 0; i < n; i++) out[i] = table[(a[i] << 8) | b[i]];
  return out;
}
