import type { RawImage } from "@atelier/core";
import { createImage, type MutableRawImage } from "./image-buffers.js";
import { pasteInto } from "./crop-paste.js";
import { resizeImage } from "./resample.js";

/** Python's round(): to nearest, ties to even. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `ImageOps.contain(image, size)`: the largest bicubic resize of the image that fits in size, keeping its aspect. */
export function containImage(image: RawImage, width: number, height: number): MutableRawImage {
  const imRatio = image.width / image.height;
  const destRatio = width / height;
  let w = width;
  let h = height;
  if (imRatio !== destRatio) {
    if (imRatio > destRatio) {
      const nh = roundHalfEven((image.height / image.width) * width);
      if (nh !== height) h = nh;
    } else {
      const nw = roundHalfEven((image.width / image.height) * height);
      if (nw !== width) w = nw;
    }
  }
  return resizeImage(image, w, h, "bicubic");
}

/** `ImageOps.pad(image, size, color)`: `contain`, centred on a canvas of `color`. */
export function padImage(image: RawImage, width: number, height: number, color: readonly number[]): MutableRawImage {
  const resized = containImage(image, width, height);
  if (resized.width === width && resized.height === height) return resized;
  const out = createImage(width, height, image.mode, color);
  if (resized.width !== width) pasteInto(out, resized, roundHalfEven((width - resized.width) * 0.5), 0);
  else pasteInto(out, resized, 0, roundHalfEven((height - resized.height) * 0.5));
  return out;
}

/** `ImageOps.fit(image, size)`: the centred crop with the target aspect, resized (bicubic) to size. */
export function fitImage(image: RawImage, width: number, height: number): MutableRawImage {
  const liveRatio = image.width / image.height;
  const outRatio = width / height;
  let cropW: number;
  let cropH: number;
  if (liveRatio === outRatio) [cropW, cropH] = [image.width, image.height];
  else if (liveRatio >= outRatio) [cropW, cropH] = [outRatio * image.height, image.height];
  else [cropW, cropH] = [image.width, image.width / outRatio];
  const left = (image.width - cropW) * 0.5;
  const top = (image.height - cropH) * 0.5;
  return resizeImage(image, width, height, "bicubic", [left, top, left + cropW, top + cropH]);
}

/** `ImageChops.offset(image, dx, dy)`: the image rolled by (dx, dy) with wrap-around. */
export function offsetImage(image: RawImage, dx: number, dy: number): MutableRawImage {
  const c = image.data.length / (image.width * image.height);
  const out = new Uint8Array(image.data.length);
  const w = image.width;
  const h = image.height;
  for (let y = 0; y < h; y++) {
    const ty = (((y + dy) % h) + h) % h;
    for (let x = 0; x < w; x++) {
      const tx = (((x + dx) % w) + w) % w;
      const s = (y * w + x) * c;
      const d = (ty * w + tx) * c;
      for (let k = 0; k < c; k++) out[d + k] = image.data[s + k];
    }
  }
  return { width: w, height: h, mode: image.mode, data: out };
}
