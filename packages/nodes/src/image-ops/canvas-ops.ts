import type { RawImage } from "@atelier/core";
import { cloneImage, createImage, type MutableRawImage } from "./image-buffers.js";
import { gaussianBlur } from "./box-blur.js";
import { morphologyRect } from "./morphology.js";
import { cropImage, pasteInto } from "./crop-paste.js";
import { ImageOperationError } from "./image-op-error.js";
import { convertMode } from "./mode-conversion.js";
import { invertImage } from "./point-ops.js";

/**
 * InvokeAI's img_crop: a transparent RGBA canvas of width×height with the image pasted at (-x, -y), so a box that
 * reaches outside the image gets transparent pixels there.
 */
export function cropToCanvas(image: RawImage, x: number, y: number, width: number, height: number): MutableRawImage {
  const canvas = createImage(width, height, "RGBA");
  pasteInto(canvas, image, -x, -y);
  return canvas;
}

/**
 * InvokeAI's img_paste: the canvas grows to hold both images (RGBA, transparent where neither lies); the image is
 * pasted at (x, y) through the inverted L version of `mask` (white in the mask keeps the base). With `crop`, the
 * result is cut back to the base image's box.
 */
export function pasteOnCanvas(
  base: RawImage,
  image: RawImage,
  x: number,
  y: number,
  mask: RawImage | null,
  crop: boolean,
): MutableRawImage {
  let weights: RawImage | undefined;
  if (mask) {
    if (mask.width !== image.width || mask.height !== image.height) {
      throw new ImageOperationError(
        "image_size_mismatch",
        `paste: the mask is ${mask.width}x${mask.height} but the pasted image is ${image.width}x${image.height}; they must match`,
        { mask: [mask.width, mask.height], image: [image.width, image.height] },
      );
    }
    weights = invertImage(convertMode(mask, "L"));
  }
  const minX = Math.min(0, x);
  const minY = Math.min(0, y);
  const maxX = Math.max(base.width, image.width + x);
  const maxY = Math.max(base.height, image.height + y);
  const canvas = createImage(maxX - minX, maxY - minY, "RGBA");
  pasteInto(canvas, base, Math.abs(minX), Math.abs(minY));
  pasteInto(canvas, image, Math.max(0, x), Math.max(0, y), weights);
  if (!crop) return canvas;
  const left = Math.abs(minX);
  const top = Math.abs(minY);
  return cropImage(canvas, left, top, left + base.width, top + base.height);
}

/** InvokeAI's img_scale size: `int(side * factor)` for each side. */
export function scaledSize(width: number, height: number, factor: number): { width: number; height: number } {
  return { width: Math.trunc(width * factor), height: Math.trunc(height * factor) };
}

/**
 * InvokeAI's canvas_paste_back: the mask (any mode) is eroded three times with a mask_blur² square and Gaussian
 * blurred by mask_blur (when mask_blur > 0), turned grey and inverted; the target is pasted over the source
 * through it (white in the mask keeps the source).
 */
export function canvasPasteBack(source: RawImage, target: RawImage, mask: RawImage, maskBlur: number): MutableRawImage {
  let prepared: RawImage = mask;
  if (maskBlur > 0) prepared = gaussianBlur(morphologyRect(mask, maskBlur, maskBlur, 3, "erode"), maskBlur);
  const weights = invertImage(convertMode(prepared, "L"));
  if (weights.width !== target.width || weights.height !== target.height) {
    throw new ImageOperationError(
      "image_size_mismatch",
      `canvas paste back: the mask is ${weights.width}x${weights.height} but the target image is ${target.width}x${target.height}; they must match`,
      { mask: [weights.width, weights.height], target: [target.width, target.height] },
    );
  }
  const out = cloneImage(source);
  pasteInto(out, target, 0, 0, weights);
  return out;
}
