import { CHANNELS, type ImageSize, type ProgressImage, type RawImage } from "@atelier/core";
import sharp from "sharp";
import { assertRawImage } from "../image-files/index.js";

// Pillow's default JPEG quality, which InvokeAI's ProgressImage.build uses.
const PREVIEW_JPEG_QUALITY = 75;

/**
 * A progress preview: the image as a JPEG data URL (alpha dropped, grey shown as RGB) and the size to show it at,
 * `size` when given (previews are often downscaled or latent-sized), else the image's own size.
 */
export async function buildProgressImage(image: RawImage, size?: ImageSize | null): Promise<ProgressImage> {
  assertRawImage(image);
  const channels = CHANNELS[image.mode] as 1 | 2 | 3 | 4;
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels } });
  if (image.mode === "L" || image.mode === "LA") pipeline = pipeline.toColourspace("srgb");
  if (image.mode === "LA" || image.mode === "RGBA") pipeline = pipeline.removeAlpha();
  const jpeg = await pipeline.jpeg({ quality: PREVIEW_JPEG_QUALITY }).toBuffer();
  return {
    width: size?.width ?? image.width,
    height: size?.height ?? image.height,
    dataURL: `data:image/jpeg;base64,${jpeg.toString("base64")}`,
  };
}
