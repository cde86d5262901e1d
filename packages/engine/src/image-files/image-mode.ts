import { CHANNELS, type ImageMode, type RawImage } from "@atelier/core";
import { InvalidImageError } from "./image-errors.js";

const MODES: readonly ImageMode[] = ["L", "LA", "RGB", "RGBA"];

/** The mode for a channel count as sharp reports it (1 → L, 2 → LA, 3 → RGB, 4 → RGBA). */
export function modeForChannels(channels: number): ImageMode {
  const mode = MODES.find((m) => CHANNELS[m] === channels);
  if (mode === undefined) throw new InvalidImageError(`unsupported channel count ${channels}`, { channels });
  return mode;
}

/** Whether the mode carries an alpha channel. */
export function hasAlpha(mode: ImageMode): boolean {
  return mode === "LA" || mode === "RGBA";
}

/** Throws InvalidImageError unless the RawImage is self-consistent (positive size, known mode, exact data length). */
export function assertRawImage(image: RawImage): void {
  const { width, height, mode, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidImageError(`size ${width}x${height} is not a positive integer size`, { width, height });
  }
  if (!MODES.includes(mode)) throw new InvalidImageError(`unknown mode ${JSON.stringify(mode)}`, { mode });
  const expected = width * height * CHANNELS[mode];
  if (!(data instanceof Uint8Array) || data.length !== expected) {
    throw new InvalidImageError(
      `pixel data holds ${data?.length ?? 0} bytes; a ${width}x${height} ${mode} image needs ${expected}`,
      {
        width,
        height,
        mode,
      },
    );
  }
}

// Pillow's rgb2l: ITU-R 601-2 luma in 16-bit fixed point, rounded (0x8000) — equal to
// R*299/1000 + G*587/1000 + B*114/1000 rounded to nearest, except where Pillow's fixed point itself differs.
function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
}

/**
 * Converts between L, LA, RGB and RGBA as Pillow's `Image.convert` does: colour → grey with Pillow's luma,
 * grey → colour by replication, an added alpha is 255, a dropped alpha is discarded (not composited).
 * Always returns new pixel data, also when the mode is unchanged.
 */
export function convertMode(image: RawImage, mode: ImageMode): RawImage {
  assertRawImage(image);
  if (!MODES.includes(mode)) throw new InvalidImageError(`unknown target mode ${JSON.stringify(mode)}`, { mode });
  const { width, height, data } = image;
  if (image.mode === mode) return { width, height, mode, data: data.slice() };
  const pixels = width * height;
  const inC = CHANNELS[image.mode];
  const outC = CHANNELS[mode];
  const out = new Uint8Array(pixels * outC);
  const srcGrey = inC <= 2;
  const srcAlpha = hasAlpha(image.mode);
  const dstGrey = outC <= 2;
  const dstAlpha = hasAlpha(mode);
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += inC, o += outC) {
    if (dstGrey) {
      out[o] = srcGrey ? data[i] : luma(data[i], data[i + 1], data[i + 2]);
    } else if (srcGrey) {
      out[o] = out[o + 1] = out[o + 2] = data[i];
    } else {
      out[o] = data[i];
      out[o + 1] = data[i + 1];
      out[o + 2] = data[i + 2];
    }
    if (dstAlpha) out[o + outC - 1] = srcAlpha ? data[i + inC - 1] : 255;
  }
  return { width, height, mode, data: out };
}
