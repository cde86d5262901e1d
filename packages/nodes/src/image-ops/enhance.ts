import { CHANNELS, type RawImage } from "@atelier/core";
import { hasAlpha, type MutableRawImage } from "./image-buffers.js";
import { getChannelByName, putAlpha } from "./channel-ops.js";
import { blendImages } from "./blend.js";
import { convertMode } from "./mode-conversion.js";

const f32 = Math.fround;

/**
 * Pillow's 3×3 convolution (`ImageFilter.Kernel` / builtin filters) on 8-bit images: single-precision weights
 * (kernel / scale), rows applied bottom to top, +0.5 then truncation, border pixels copied unchanged.
 */
export function filter3x3(image: RawImage, kernel: readonly number[], scale: number, offset = 0): MutableRawImage {
  const c = CHANNELS[image.mode];
  const { width, height } = image;
  const src = image.data;
  const out = new Uint8Array(src);
  const off = f32(offset + 0.5);
  const [k0, k1, k2, k3, k4, k5, k6, k7, k8] = kernel.map((v) => f32(v / scale));
  const stride = width * c;
  for (let y = 1; y < height - 1; y++) {
    // Every channel of every interior pixel of the row, as one run of samples.
    for (let p = y * stride + c, end = (y + 1) * stride - c; p < end; p++) {
      const below = p + stride;
      const above = p - stride;
      // Each row is summed in single precision, then added to the running sum (bottom row first, like Pillow).
      let ss = f32(off + f32(f32(f32(src[below - c] * k0) + f32(src[below] * k1)) + f32(src[below + c] * k2)));
      ss = f32(ss + f32(f32(f32(src[p - c] * k3) + f32(src[p] * k4)) + f32(src[p + c] * k5)));
      ss = f32(ss + f32(f32(f32(src[above - c] * k6) + f32(src[above] * k7)) + f32(src[above + c] * k8)));
      out[p] = ss <= 0 ? 0 : ss >= 255 ? 255 : Math.trunc(ss);
    }
  }
  return { width, height, mode: image.mode, data: out };
}

/** Pillow's `ImageFilter.SMOOTH`. */
export function smoothFilter(image: RawImage): MutableRawImage {
  return filter3x3(image, [1, 1, 1, 1, 5, 1, 1, 1, 1], 13);
}

function keepAlpha(degenerate: RawImage, image: RawImage): RawImage {
  return hasAlpha(image.mode) ? putAlpha(degenerate, getChannelByName(image, "A")) : degenerate;
}

/** `ImageEnhance.Color(image).enhance(factor)`: blend with the grey version (alpha kept). */
export function enhanceColor(image: RawImage, factor: number): MutableRawImage {
  const intermediate = hasAlpha(image.mode) ? "LA" : "L";
  const degenerate = intermediate === image.mode ? image : convertMode(convertMode(image, intermediate), image.mode);
  return blendImages(degenerate, image, factor);
}

/** `ImageEnhance.Contrast(image).enhance(factor)`: blend with a flat image of the mean grey level. */
export function enhanceContrast(image: RawImage, factor: number): MutableRawImage {
  const grey = convertMode(image, "L");
  let sum = 0;
  for (let i = 0; i < grey.data.length; i++) sum += grey.data[i];
  const mean = Math.trunc(sum / grey.data.length + 0.5);
  const flat: RawImage = {
    width: image.width,
    height: image.height,
    mode: "L",
    data: new Uint8Array(grey.data.length).fill(mean),
  };
  return blendImages(keepAlpha(convertMode(flat, image.mode), image), image, factor);
}

/** `ImageEnhance.Brightness(image).enhance(factor)`: blend with black (alpha kept). */
export function enhanceBrightness(image: RawImage, factor: number): MutableRawImage {
  const black: RawImage = {
    width: image.width,
    height: image.height,
    mode: image.mode,
    data: new Uint8Array(image.data.length),
  };
  return blendImages(keepAlpha(black, image), image, factor);
}

/** `ImageEnhance.Sharpness(image).enhance(factor)`: blend with the SMOOTH-filtered image (alpha kept). */
export function enhanceSharpness(image: RawImage, factor: number): MutableRawImage {
  return blendImages(keepAlpha(smoothFilter(image), image), image, factor);
}
