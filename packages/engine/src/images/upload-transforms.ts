import { CHANNELS, type RawImage } from "@atelier/core";
import sharp from "sharp";
import { hasAlpha } from "../image-files/index.js";
import { InvalidUploadOptionError } from "./image-upload-errors.js";

/** Most pixels `resizeTo` may produce (InvokeAI's limit: 4096²). */
export const MAX_UPLOAD_RESIZE_PIXELS = 16_777_216;

/** Crops to the bounding box of the pixels that are not fully transparent; images without alpha, or with nothing visible, are kept. */
export function cropToVisible(image: RawImage): RawImage {
  if (!hasAlpha(image.mode)) return image;
  const channels = CHANNELS[image.mode];
  const { width, height, data } = image;
  let left = width;
  let right = -1;
  let top = height;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < width; x++) {
      if (data[row + x * channels + channels - 1] === 0) continue;
      if (x < left) left = x;
      if (x > right) right = x;
      if (y < top) top = y;
      if (y > bottom) bottom = y;
    }
  }
  if (right < 0 || (left === 0 && top === 0 && right === width - 1 && bottom === height - 1)) return image;
  const w = right - left + 1;
  const h = bottom - top + 1;
  const out = new Uint8Array(w * h * channels);
  for (let y = 0; y < h; y++) {
    const start = ((top + y) * width + left) * channels;
    out.set(data.subarray(start, start + w * channels), y * w * channels);
  }
  return { width: w, height: h, mode: image.mode, data: out };
}

/** Resizes to exactly `size` (Lanczos), as the upload route's `resize_to` asks. */
export async function resizeExactly(image: RawImage, size: { width: number; height: number }): Promise<RawImage> {
  const { width, height } = size;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidUploadOptionError("resize_to", size, "width and height must be whole numbers ≥ 1");
  }
  if (width * height > MAX_UPLOAD_RESIZE_PIXELS) {
    throw new InvalidUploadOptionError("resize_to", size, `at most ${MAX_UPLOAD_RESIZE_PIXELS} pixels are allowed`);
  }
  if (width === image.width && height === image.height) return image;
  const channels = CHANNELS[image.mode] as 1 | 2 | 3 | 4;
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels } })
    .resize(width, height, { fit: "fill", kernel: "lanczos3" })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== channels)
    throw new InvalidUploadOptionError("resize_to", size, "the resize changed the channel count");
  return { width: info.width, height: info.height, mode: image.mode, data };
}
