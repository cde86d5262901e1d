/** Pixel layouts Atelier moves between nodes (Pillow's mode names). */
export type ImageMode = "L" | "LA" | "RGB" | "RGBA";

/** Channels per pixel for each mode. */
export const CHANNELS: Readonly<Record<ImageMode, number>> = { L: 1, LA: 2, RGB: 3, RGBA: 4 };

/** An 8-bit image in memory: row-major, interleaved channels, `data.length === width * height * CHANNELS[mode]`. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly mode: ImageMode;
  readonly data: Uint8Array;
}
