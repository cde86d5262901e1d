import type { EncodableImage, ImageMode, RawImage } from "@atelier/core";
import { CHANNELS } from "@atelier/core";
import sharp, { type Sharp } from "sharp";
import { InvalidImageError } from "./image-errors.js";
import { assertRawImage, hasAlpha, modeForChannels } from "./image-mode.js";
import { encodePngPixels } from "./png-encoder.js";
import { isPng, readPngTextChunks } from "./png-text-chunks.js";

/**
 * An image a caller hands in: pixels in memory, or a sharp pipeline that produces them (core's structural
 * `EncodableImage`, so that a node pack's own copy of sharp works too).
 */
export type ImageInput = RawImage | EncodableImage;

/** Options of `encodePng`. */
export interface EncodePngOptions {
  /** zlib level 0–9; InvokeAI's `pil_compress_level` defaults to 1 (fast, large files). */
  readonly compressionLevel?: number;
  /** Text chunks (e.g. `invokeai_metadata`) to embed before the image data. */
  readonly textChunks?: Readonly<Record<string, string>>;
}

/** An image decoded from file bytes. */
export interface DecodedImage {
  readonly image: RawImage;
  /** tEXt/zTXt/iTXt chunks when the input was a PNG, else empty. */
  readonly textChunks: Record<string, string>;
  /** The container format as sharp names it ("png", "jpeg", "webp"…). */
  readonly format: string;
}

/** PNG and WebP thumbnail of one image, encoded together. */
export interface EncodedImageFiles {
  readonly png: Buffer;
  readonly thumbnail: Buffer;
  readonly image: RawImage;
}

/** Default longest side of a thumbnail, as InvokeAI's `make_thumbnail`. */
export const THUMBNAIL_SIZE = 256;
// Pillow's default WebP quality, which InvokeAI's thumbnails use.
const THUMBNAIL_QUALITY = 80;
// libwebp effort 2 instead of Pillow's 4: about half the encode time for a 256 px preview that looks the same.
const THUMBNAIL_EFFORT = 2;

function isRawImage(image: ImageInput): image is RawImage {
  return typeof (image as Partial<EncodableImage>).toBuffer !== "function";
}

// Duck-typed rather than `instanceof`: a pipeline built by another copy of sharp is just as good. Cloned when
// possible so that the caller can keep using its pipeline.
function asSharp(image: EncodableImage): Sharp {
  const pipeline = image as Sharp;
  return typeof pipeline.clone === "function" ? pipeline.clone() : pipeline;
}

function sharpFromRaw(image: RawImage): Sharp {
  assertRawImage(image);
  const channels = CHANNELS[image.mode] as 1 | 2 | 3 | 4;
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels } });
}

function wrapSharpError(error: unknown, what: string): InvalidImageError {
  if (error instanceof InvalidImageError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new InvalidImageError(`${what}: ${message}`, {}, error);
}

/** Runs a sharp pipeline to 8-bit interleaved pixels (a clone of the caller's pipeline); a RawImage is returned as is. */
export async function toRawImage(image: ImageInput): Promise<RawImage> {
  if (isRawImage(image)) {
    assertRawImage(image);
    return image;
  }
  try {
    const { data, info } = await asSharp(image).raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, mode: modeForChannels(info.channels), data };
  } catch (error) {
    throw wrapSharpError(error, "could not render the image pipeline");
  }
}

/** Encodes to PNG (see png-encoder.ts) with the text chunks before the image data. */
export async function encodePng(image: ImageInput, options: EncodePngOptions = {}): Promise<Buffer> {
  const compressionLevel = options.compressionLevel ?? 1;
  if (!Number.isInteger(compressionLevel) || compressionLevel < 0 || compressionLevel > 9) {
    throw new InvalidImageError(`PNG compression level ${compressionLevel} is not an integer from 0 to 9`, {
      compressionLevel,
    });
  }
  const raw = await toRawImage(image);
  return encodePngPixels(raw, { compressionLevel, textChunks: options.textChunks ?? {} });
}

/**
 * Pillow's `Image.thumbnail((size, size))` target: keep the aspect ratio, longest side `size`, never enlarge, and
 * round the short side to whichever of floor/ceil gives the aspect ratio closest to the original.
 */
export function thumbnailSize(
  width: number,
  height: number,
  size: number = THUMBNAIL_SIZE,
): { width: number; height: number } {
  if (width <= size && height <= size) return { width, height };
  const aspect = width / height;
  const pick = (value: number, error: (n: number) => number): number => {
    const lo = Math.floor(value);
    const hi = Math.ceil(value);
    return Math.max(error(hi) < error(lo) ? hi : lo, 1);
  };
  if (aspect <= 1) return { width: pick(size * aspect, (n) => Math.abs(aspect - n / size)), height: size };
  return { width: size, height: pick(size / aspect, (n) => (n === 0 ? 0 : Math.abs(aspect - size / n))) };
}

/** WebP thumbnail, longest side `size` (aspect kept, never enlarged); RGBA when the image has alpha, else RGB. */
export async function makeThumbnail(image: ImageInput, size: number = THUMBNAIL_SIZE): Promise<Buffer> {
  const raw = await toRawImage(image);
  const target = thumbnailSize(raw.width, raw.height, size);
  let pipeline = sharpFromRaw(raw);
  if (target.width !== raw.width || target.height !== raw.height) {
    pipeline = pipeline.resize(target.width, target.height, { fit: "fill", kernel: "cubic" });
  }
  if (raw.mode === "L" || raw.mode === "LA") pipeline = pipeline.toColourspace("srgb");
  if (!hasAlpha(raw.mode)) pipeline = pipeline.removeAlpha();
  try {
    return await pipeline.webp({ quality: THUMBNAIL_QUALITY, effort: THUMBNAIL_EFFORT }).toBuffer();
  } catch (error) {
    throw wrapSharpError(error, "could not encode the WebP thumbnail");
  }
}

/**
 * Encodes the PNG and the thumbnail at the same time: the PNG's deflate bands and the sharp thumbnail pipeline
 * all run on libuv's thread pool, so the encodes use every core instead of queueing on one.
 */
export async function encodeImageFiles(
  image: ImageInput,
  options: EncodePngOptions & { thumbnailSize?: number } = {},
): Promise<EncodedImageFiles> {
  const raw = await toRawImage(image);
  const [png, thumbnail] = await Promise.all([encodePng(raw, options), makeThumbnail(raw, options.thumbnailSize)]);
  return { png, thumbnail, image: raw };
}

// Grey source images: sharp's raw output is RGB(A) for them, and asking for "b-w" output drops the alpha channel.
const GREY_SPACES = new Set(["b-w", "grey16"]);

// Keeps channel 0 (grey replicated into R, G and B) and the alpha channel if any.
function collapseGrey(data: Buffer, channels: number, pixels: number): Buffer {
  const alpha = channels === 4;
  const out = Buffer.allocUnsafe(pixels * (alpha ? 2 : 1));
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += channels) {
    out[o++] = data[i];
    if (alpha) out[o++] = data[i + 3];
  }
  return out;
}

/** Decodes PNG/JPEG/WebP/… bytes to 8-bit pixels plus the PNG text chunks; corrupt input is an InvalidImageError. */
export async function decodeImage(bytes: Uint8Array): Promise<DecodedImage> {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new InvalidImageError("the input is empty");
  const textChunks = isPng(bytes) ? readPngTextChunks(bytes) : {};
  try {
    const input = sharp(bytes, { failOn: "error" });
    const meta = await input.metadata();
    // sRGB output also turns 16-bit, CMYK, Lab… into 8-bit sRGB; for 8-bit sRGB it is a no-op.
    const { data, info } = await input
      .toColourspace("srgb")
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    const pixels = info.width * info.height;
    if (GREY_SPACES.has(meta.space ?? "") && info.channels >= 3) {
      const grey = collapseGrey(data, info.channels, pixels);
      return {
        image: { width: info.width, height: info.height, mode: info.channels === 4 ? "LA" : "L", data: grey },
        textChunks,
        format: meta.format ?? "unknown",
      };
    }
    const mode: ImageMode = modeForChannels(info.channels);
    return {
      image: { width: info.width, height: info.height, mode, data },
      textChunks,
      format: meta.format ?? "unknown",
    };
  } catch (error) {
    throw wrapSharpError(error, "could not decode the image bytes");
  }
}
