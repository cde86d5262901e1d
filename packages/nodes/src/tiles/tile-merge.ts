import type { RawImage } from "@atelier/core";
import type { MutableRawImage } from "../image-ops/image-buffers.js";
import { ImageOperationError } from "../image-ops/image-op-error.js";
import type { TBLR, Tile } from "./tile-types.js";

/** Tiles as InvokeAI merges them: sorted by top then left (stable), grouped into rows of equal top/bottom. */
function rowsOf<T extends { tile: Tile }>(items: readonly T[]): T[][] {
  const sorted = [...items]
    .sort((a, b) => a.tile.coords.left - b.tile.coords.left)
    .sort((a, b) => a.tile.coords.top - b.tile.coords.top);
  const rows: T[][] = [];
  let current: T[] = [];
  let first = sorted[0];
  for (const item of sorted) {
    if (item.tile.coords.top !== first.tile.coords.top || item.tile.coords.bottom !== first.tile.coords.bottom) {
      rows.push(current);
      current = [];
      first = item;
    }
    current.push(item);
  }
  rows.push(current);
  return rows;
}

/** An RGB float canvas written through uint8 truncation, like NumPy assigning floats into a uint8 array. */
class Canvas {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height * 3);
  }
}

function checkTileImage(tile: Tile, image: RawImage, index: number): void {
  const w = tile.coords.right - tile.coords.left;
  const h = tile.coords.bottom - tile.coords.top;
  if (image.width !== w || image.height !== h) {
    throw new ImageOperationError(
      "image_size_mismatch",
      `merge tiles: tile ${index} is ${w}x${h} (${JSON.stringify(tile.coords)}) but its image is ${image.width}x${image.height}`,
      { index, tile: tile.coords, image: [image.width, image.height] },
    );
  }
  if (image.mode !== "RGB")
    throw new ImageOperationError(
      "image_mode_unsupported",
      `merge tiles: tile images must be RGB, got ${image.mode}`,
      {},
    );
}

function checkBlend(overlap: number, blendAmount: number, side: string, index: number): void {
  if (overlap < blendAmount) {
    throw new ImageOperationError(
      "invalid_blend_amount",
      `merge tiles: blend_amount ${blendAmount} is larger than the ${side} overlap ${overlap} of a tile (index ${index}); it must be <= the overlap`,
      { blend_amount: blendAmount, overlap, side },
    );
  }
}

/** numpy.linspace(0, 1, n) as NumPy computes it (i * step, last value exactly 1). */
export function linspace01(n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) return out;
  const step = 1 / (n - 1);
  for (let i = 0; i < n; i++) out[i] = i * step;
  if (n > 1) out[n - 1] = 1;
  return out;
}

/** `dst[box] = src * mask + dst[box] * (1 - mask)`, truncated to bytes; `mask(y, x)` gives the weight. */
function pasteBlended(
  dst: Canvas,
  src: { width: number; data: Uint8Array; height: number },
  box: TBLR,
  mask: (y: number, x: number) => number,
): void {
  for (let y = 0; y < box.bottom - box.top; y++) {
    for (let x = 0; x < box.right - box.left; x++) {
      const m = mask(y, x);
      const s = (y * src.width + x) * 3;
      const d = ((y + box.top) * dst.width + x + box.left) * 3;
      for (let c = 0; c < 3; c++) dst.data[d + c] = Math.trunc(src.data[s + c] * m + dst.data[d + c] * (1.0 - m));
    }
  }
}

/** InvokeAI's merge_tiles_with_linear_blending: linear ramps of `blendAmount` px centred in each overlap. */
export function mergeTilesLinear(
  width: number,
  height: number,
  items: ReadonlyArray<{ tile: Tile; image: RawImage }>,
  blendAmount: number,
): MutableRawImage {
  items.forEach((it, i) => checkTileImage(it.tile, it.image, i));
  const dst = new Canvas(width, height);
  const gradient = linspace01(blendAmount);
  for (const row of rowsOf(items)) {
    const first = row[0].tile;
    const rowHeight = first.coords.bottom - first.coords.top;
    const rowImage = new Canvas(width, rowHeight);
    for (const { tile, image } of row) {
      let start = -1;
      if (tile.overlap.left > 0) {
        checkBlend(
          tile.overlap.left,
          blendAmount,
          "left",
          items.findIndex((i) => i.tile === tile),
        );
        start = Math.floor(tile.overlap.left / 2) - Math.floor(blendAmount / 2);
      }
      const mask = (_y: number, x: number) =>
        start < 0 ? 1 : x < start ? 0 : x < start + blendAmount ? gradient[x - start] : 1;
      pasteBlended(
        rowImage,
        image,
        { top: 0, bottom: rowHeight, left: tile.coords.left, right: tile.coords.right },
        mask,
      );
    }
    let start = -1;
    if (first.overlap.top > 0) {
      checkBlend(first.overlap.top, blendAmount, "top", 0);
      start = Math.floor(first.overlap.top / 2) - Math.floor(blendAmount / 2);
    }
    const mask = (y: number) => (start < 0 ? 1 : y < start ? 0 : y < start + blendAmount ? gradient[y - start] : 1);
    pasteBlended(dst, rowImage, { top: first.coords.top, bottom: first.coords.bottom, left: 0, right: width }, mask);
  }
  return { width, height, mode: "RGB", data: dst.data };
}

/** `numpy.gradient` along one axis of a rows×cols array (central differences inside, one-sided at the ends). */
function gradient2d(a: Float64Array, rows: number, cols: number, axis: 0 | 1): Float64Array {
  const out = new Float64Array(rows * cols);
  const n = axis === 0 ? rows : cols;
  if (n < 2) {
    throw new ImageOperationError(
      "invalid_blend_region",
      `seam blend: an overlap region of ${rows}x${cols} is too small for a gradient`,
      { rows, cols },
    );
  }
  const at = (i: number, j: number) => a[i * cols + j];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const k = axis === 0 ? i : j;
      let v: number;
      if (k === 0) v = axis === 0 ? at(1, j) - at(0, j) : at(i, 1) - at(i, 0);
      else if (k === n - 1) v = axis === 0 ? at(n - 1, j) - at(n - 2, j) : at(i, n - 1) - at(i, n - 2);
      else v = axis === 0 ? (at(i + 1, j) - at(i - 1, j)) / 2 : (at(i, j + 1) - at(i, j - 1)) / 2;
      out[i * cols + j] = v;
    }
  }
  return out;
}

/** OpenCV's `cv2.blur(m, (k, k))` on a float64 array: normalised box, BORDER_REFLECT_101, anchor at k/2. */
function boxFilterReflect101(m: Float64Array, rows: number, cols: number, k: number): Float64Array {
  const reflect = (i: number, n: number): number => {
    if (n === 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
    return i;
  };
  const anchor = Math.floor(k / 2);
  const tmp = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += m[i * cols + reflect(j - anchor + t, cols)];
      tmp[i * cols + j] = s;
    }
  }
  const out = new Float64Array(rows * cols);
  const scale = 1 / (k * k);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += tmp[reflect(i - anchor + t, rows) * cols + j];
      out[i * cols + j] = s * scale;
    }
  }
  return out;
}

/**
 * InvokeAI's seam_blend: finds a low-energy seam through the luma difference of two overlapping regions and blends
 * across it with a `blendAmount` box blur; returns the blended RGB bytes of the region. `xSeam` means the seam runs
 * horizontally (the regions are stacked vertically).
 */
export function seamBlend(
  ia1: Uint8Array,
  ia2: Uint8Array,
  rows: number,
  cols: number,
  blendAmount: number,
  xSeam: boolean,
): Uint8Array {
  const grey = (a: Uint8Array, p: number) => a[p] * 0.2989 + a[p + 1] * 0.587 + a[p + 2] * 0.114;
  // In seam space the seam runs down the rows; an x seam works on the region rotated 90° counterclockwise.
  const sr = xSeam ? cols : rows;
  const sc = xSeam ? rows : cols;
  const ia = new Float64Array(sr * sc);
  for (let i = 0; i < sr; i++) {
    for (let j = 0; j < sc; j++) {
      const [y, x] = xSeam ? [j, cols - 1 - i] : [i, j];
      const p = (y * cols + x) * 3;
      ia[i * sc + j] = grey(ia2, p) - grey(ia1, p);
    }
  }
  const gutter = blendAmount > 0 ? Math.ceil(blendAmount / 2) : 0;
  const minX = gutter;
  const maxX = sc - gutter;
  if (maxX - 1 <= minX) {
    throw new ImageOperationError(
      "invalid_blend_amount",
      `seam blend: blend_amount ${blendAmount} leaves no room for a seam in an overlap of ${sc} px`,
      { blend_amount: blendAmount, overlap: sc },
    );
  }
  const gy = gradient2d(ia, sr, sc, 0);
  const gx = gradient2d(ia, sr, sc, 1);
  const energy = new Float64Array(sr * sc);
  for (let i = 0; i < energy.length; i++) energy[i] = Math.abs(gy[i]) + Math.abs(gx[i]);
  const res = new Float64Array(energy);
  for (let y = 1; y < sr; y++) {
    for (let x = 0; x < sc; x++) {
      const e = energy[y * sc + x];
      const l = x + 1 < sc ? energy[y * sc + x + 1] : 255.0;
      const r = x > 0 ? energy[y * sc + x - 1] : 255.0;
      res[y * sc + x] = res[(y - 1) * sc + x] + Math.min(e, l, r);
    }
  }
  const argmin = (arr: Float64Array, base: number, from: number, to: number): number => {
    let best = from;
    for (let x = from + 1; x < to; x++) if (arr[base + x] < arr[base + best]) best = x;
    return best;
  };
  const line = new Int32Array(sr);
  line[sr - 1] = argmin(res, (sr - 1) * sc, minX, maxX - 1);
  for (let y = sr - 2; y >= 0; y--) {
    const pos = line[y + 1];
    const lpos = Math.min(Math.max(pos - 1, minX), maxX - 1);
    const rpos = Math.min(Math.max(pos + 1, minX), maxX - 1);
    line[y] = argmin(energy, y * sc, lpos, rpos + 1);
  }
  let mask: Float64Array = new Float64Array(sr * sc);
  for (let y = 0; y < sr; y++) mask.fill(1, y * sc, y * sc + line[y]);
  // Back to image orientation (rows × cols).
  let back: Float64Array = new Float64Array(rows * cols);
  if (xSeam) {
    for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) back[y * cols + x] = mask[(cols - 1 - x) * sc + y];
  } else back = mask;
  mask = blendAmount > 0 ? boxFilterReflect101(back, rows, cols, blendAmount) : back;
  const out = new Uint8Array(rows * cols * 3);
  for (let i = 0; i < rows * cols; i++) {
    const m = mask[i];
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.trunc(ia1[i * 3 + c] * m + ia2[i * 3 + c] * (1.0 - m));
  }
  return out;
}

function region(canvas: Canvas, top: number, bottom: number, left: number, right: number): Uint8Array {
  const w = right - left;
  const out = new Uint8Array((bottom - top) * w * 3);
  for (let y = top; y < bottom; y++)
    out.set(canvas.data.subarray((y * canvas.width + left) * 3, (y * canvas.width + right) * 3), (y - top) * w * 3);
  return out;
}

function writeRegion(
  canvas: Canvas,
  top: number,
  left: number,
  width: number,
  data: Uint8Array,
  srcStride = width,
  srcLeft = 0,
  srcTop = 0,
  height = data.length / 3 / srcStride,
): void {
  for (let y = 0; y < height; y++) {
    const s = ((y + srcTop) * srcStride + srcLeft) * 3;
    canvas.data.set(data.subarray(s, s + width * 3), ((y + top) * canvas.width + left) * 3);
  }
}

/** InvokeAI's merge_tiles_with_seam_blending: tiles joined along low-energy seams, first within rows, then rows. */
export function mergeTilesSeam(
  width: number,
  height: number,
  items: ReadonlyArray<{ tile: Tile; image: RawImage }>,
  blendAmount: number,
): MutableRawImage {
  items.forEach((it, i) => checkTileImage(it.tile, it.image, i));
  const dst = new Canvas(width, height);
  for (const row of rowsOf(items)) {
    const first = row[0].tile;
    const rowHeight = first.coords.bottom - first.coords.top;
    const rowImage = new Canvas(width, rowHeight);
    for (const { tile, image } of row) {
      const overlap = tile.overlap.left;
      const tw = image.width;
      if (overlap > 0) {
        checkBlend(
          overlap,
          blendAmount,
          "left",
          items.findIndex((i) => i.tile === tile),
        );
        const right = tile.coords.left + overlap;
        const src = region(rowImage, 0, rowHeight, tile.coords.left, right);
        const tileRegion = new Uint8Array(rowHeight * overlap * 3);
        for (let y = 0; y < rowHeight; y++)
          tileRegion.set(image.data.subarray(y * tw * 3, (y * tw + overlap) * 3), y * overlap * 3);
        writeRegion(
          rowImage,
          0,
          tile.coords.left,
          overlap,
          seamBlend(src, tileRegion, rowHeight, overlap, blendAmount, false),
        );
        writeRegion(rowImage, 0, right, tile.coords.right - right, image.data, tw, overlap, 0, rowHeight);
      } else writeRegion(rowImage, 0, tile.coords.left, tw, image.data, tw, 0, 0, rowHeight);
    }
    const overlap = first.overlap.top;
    if (overlap > 0) {
      checkBlend(overlap, blendAmount, "top", 0);
      const bottom = first.coords.top + overlap;
      const src = region(dst, first.coords.top, bottom, 0, width);
      const rowRegion = rowImage.data.subarray(0, overlap * width * 3);
      writeRegion(dst, first.coords.top, 0, width, seamBlend(src, rowRegion, overlap, width, blendAmount, true));
      writeRegion(dst, bottom, 0, width, rowImage.data, width, 0, overlap, first.coords.bottom - bottom);
    } else writeRegion(dst, first.coords.top, 0, width, rowImage.data, width, 0, 0, rowHeight);
  }
  return { width, height, mode: "RGB", data: dst.data };
}
