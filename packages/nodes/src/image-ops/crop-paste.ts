import { CHANNELS, type RawImage } from "@atelier/core";
import { assertImageSize, blend255, createImage, type MutableRawImage } from "./image-buffers.js";
import { ImageOperationError } from "./image-op-error.js";
import { convertMode } from "./mode-conversion.js";

/**
 * Pillow's `Image.crop((left, top, right, bottom))`: the box may reach outside the image; what lies outside is
 * zero in every channel. A box with right < left or bottom < top is an error; an empty box gives an empty image.
 */
export function cropImage(image: RawImage, left: number, top: number, right: number, bottom: number): MutableRawImage {
  for (const [name, v] of [
    ["left", left],
    ["top", top],
    ["right", right],
    ["bottom", bottom],
  ] as const) {
    if (!Number.isInteger(v)) {
      throw new ImageOperationError("invalid_crop_box", `crop: ${name} must be an integer, got ${v}`, { [name]: v });
    }
  }
  if (right < left || bottom < top) {
    throw new ImageOperationError(
      "invalid_crop_box",
      `crop: box (${left}, ${top}, ${right}, ${bottom}) has ${right < left ? "right < left" : "bottom < top"}`,
      { left, top, right, bottom },
    );
  }
  const width = right - left;
  const height = bottom - top;
  assertImageSize("crop", width, height);
  const out = createImage(width, height, image.mode);
  copyRegion(out, image, -left, -top);
  return out;
}

/** Copies `src` into `dst` with its top-left corner at (dx, dy), clipped to `dst`; modes must already agree. */
function copyRegion(dst: MutableRawImage, src: RawImage, dx: number, dy: number): void {
  const c = CHANNELS[dst.mode];
  const x0 = Math.max(0, dx);
  const y0 = Math.max(0, dy);
  const x1 = Math.min(dst.width, dx + src.width);
  const y1 = Math.min(dst.height, dy + src.height);
  if (x1 <= x0 || y1 <= y0) return;
  const rowBytes = (x1 - x0) * c;
  for (let y = y0; y < y1; y++) {
    const s = ((y - dy) * src.width + (x0 - dx)) * c;
    dst.data.set(src.data.subarray(s, s + rowBytes), (y * dst.width + x0) * c);
  }
}

/** The per-pixel weight a paste mask gives: L value, or the alpha of LA/RGBA masks (Pillow's rules). */
function maskWeights(mask: RawImage): { data: Uint8Array; step: number; offset: number } {
  switch (mask.mode) {
    case "L":
      return { data: mask.data, step: 1, offset: 0 };
    case "LA":
      return { data: mask.data, step: 2, offset: 1 };
    case "RGBA":
      return { data: mask.data, step: 4, offset: 3 };
    default:
      throw new ImageOperationError(
        "invalid_paste_mask",
        `paste: a mask must be L, LA or RGBA, got ${mask.mode} (Pillow: "bad transparency mask")`,
        {
          mode: mask.mode,
        },
      );
  }
}

/**
 * Pillow's `base.paste(image, (x, y), mask)` into a copy of `base`: `image` is converted to the base's mode, then
 * copied (no mask) or blended with the mask's weights; everything is clipped to the base.
 * The mask must have the pasted image's size.
 */
export function pasteImage(base: RawImage, image: RawImage, x: number, y: number, mask?: RawImage): MutableRawImage {
  const out: MutableRawImage = {
    width: base.width,
    height: base.height,
    mode: base.mode,
    data: new Uint8Array(base.data),
  };
  pasteInto(out, image, x, y, mask);
  return out;
}

/** Like `pasteImage`, but modifies `base` in place. */
export function pasteInto(base: MutableRawImage, image: RawImage, x: number, y: number, mask?: RawImage): void {
  if (!Number.isInteger(x) || !Number.isInteger(y)) {
    throw new ImageOperationError("invalid_paste_position", `paste: position must be integers, got (${x}, ${y})`, {
      x,
      y,
    });
  }
  if (mask && (mask.width !== image.width || mask.height !== image.height)) {
    throw new ImageOperationError(
      "image_size_mismatch",
      `paste: mask is ${mask.width}x${mask.height} but the pasted image is ${image.width}x${image.height} (Pillow: "images do not match")`,
      { mask: [mask.width, mask.height], image: [image.width, image.height] },
    );
  }
  // Pillow converts the pasted image to the base's mode (RGBA/LA into RGB keep their colour bytes: the same
  // result). Only the part that lands on the base is converted.
  let src: RawImage = image;
  let mk = mask;
  if (image.mode !== base.mode) {
    const x0 = Math.max(0, -x);
    const y0 = Math.max(0, -y);
    const x1 = Math.min(image.width, base.width - x);
    const y1 = Math.min(image.height, base.height - y);
    if (x1 <= x0 || y1 <= y0) return;
    const visible =
      x0 === 0 && y0 === 0 && x1 === image.width && y1 === image.height ? image : cropImage(image, x0, y0, x1, y1);
    src = convertMode(visible, base.mode);
    if (mk && visible !== image) mk = cropImage(mk, x0, y0, x1, y1);
    x += x0;
    y += y0;
  }
  if (!mask) {
    copyRegion(base, src, x, y);
    return;
  }
  const weights = maskWeights(mk!);
  const c = CHANNELS[base.mode];
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(base.width, x + src.width);
  const y1 = Math.min(base.height, y + src.height);
  for (let yy = y0; yy < y1; yy++) {
    const si = (yy - y) * src.width + (x0 - x);
    blendRow(base.data, (yy * base.width + x0) * c, src.data, si * c, weights, si, x1 - x0, c);
  }
}

/**
 * One row of a masked paste: `count` pixels of `c` channels from `s` (at `sp`) blended into `d` (at `dp`) with
 * Pillow's BLEND, the weights read from mask pixel `mi` on. Weight 0 keeps the base and 255 copies, as in Pillow;
 * runs of either are handled whole (a skip, or one native copy), as masks are mostly made of such runs.
 */
function blendRow(
  d: Uint8Array,
  dp: number,
  s: Uint8Array,
  sp: number,
  weights: { data: Uint8Array; step: number; offset: number },
  mi: number,
  count: number,
  c: number,
): void {
  const { data: w, step } = weights;
  const m0 = mi * step + weights.offset;
  let i = 0;
  while (i < count) {
    const a = w[m0 + i * step];
    if (a === 0 || a === 255) {
      let j = i + 1;
      while (j < count && w[m0 + j * step] === a) j++;
      if (a === 255) d.set(s.subarray(sp + i * c, sp + j * c), dp + i * c);
      i = j;
    } else {
      for (let k = 0, p = dp + i * c, q = sp + i * c; k < c; k++) d[p + k] = blend255(a, d[p + k], s[q + k]);
      i++;
    }
  }
}
