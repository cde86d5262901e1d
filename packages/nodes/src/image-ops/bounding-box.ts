import { CHANNELS, type RawImage } from "@atelier/core";

/** A box as (left, top, right, bottom) with right/bottom exclusive, Pillow's box convention. */
export type PixelBox = readonly [number, number, number, number];

/**
 * Pillow's `Image.getbbox()`: the box of the non-zero pixels, where for images with alpha only the alpha counts.
 * Null when every pixel is zero (transparent).
 */
export function contentBoundingBox(image: RawImage): PixelBox | null {
  const c = CHANNELS[image.mode];
  const alphaOnly = image.mode === "LA" || image.mode === "RGBA";
  let left = image.width;
  let top = -1;
  let right = 0;
  let bottom = 0;
  const d = image.data;
  for (let y = 0; y < image.height; y++) {
    let rowHas = false;
    for (let x = 0; x < image.width; x++) {
      const p = (y * image.width + x) * c;
      let set = false;
      if (alphaOnly) set = d[p + c - 1] !== 0;
      else for (let k = 0; k < c && !set; k++) set = d[p + k] !== 0;
      if (set) {
        rowHas = true;
        if (x < left) left = x;
        if (x + 1 > right) right = x + 1;
      }
    }
    if (rowHas) {
      if (top < 0) top = y;
      bottom = y + 1;
    }
  }
  return top < 0 ? null : [left, top, right, bottom];
}
