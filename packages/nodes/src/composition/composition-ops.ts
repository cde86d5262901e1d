import { CHANNELS, type ImageMode, type RawImage } from "@atelier/core";
import { hasAlpha, type MutableRawImage } from "../image-ops/image-buffers.js";
import { getChannelByName, putAlpha } from "../image-ops/channel-ops.js";
import { colorSpaceToRgba, toColorSpace } from "../image-ops/color-spaces.js";
import { convertMode } from "../image-ops/mode-conversion.js";
import { resizeImage } from "../image-ops/resample.js";
import { ImageOperationError } from "../image-ops/image-op-error.js";
import { alphaComposite } from "../image-ops/alpha-composite.js";
import { fitImage, offsetImage, padImage } from "../image-ops/layer-fit.js";
import { parseCssColor } from "./css-colors.js";

const f32 = Math.fround;

/** cvRound: nearest, ties to even. */
function cvRound(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** OpenCV's MORPH_ELLIPSE structuring element of width×height, as [start, end) column runs per row. */
export function ellipseRuns(width: number, height: number): Array<[number, number]> {
  const r = Math.floor(height / 2);
  const c = Math.floor(width / 2);
  const invR2 = r ? 1 / (r * r) : 0;
  const runs: Array<[number, number]> = [];
  for (let i = 0; i < height; i++) {
    const dy = i - r;
    let j1 = 0;
    let j2 = 0;
    if (Math.abs(dy) <= r) {
      const dx = cvRound(c * Math.sqrt((r * r - dy * dy) * invR2));
      j1 = Math.max(c - dx, 0);
      j2 = Math.min(c + dx + 1, width);
    }
    runs.push([j1, j2]);
  }
  return runs;
}

/**
 * `cv2.dilate` / `cv2.erode` with an elliptic kernel of (2·rw+1)×(2·rh+1), per channel; pixels outside the image
 * never win. The image keeps its mode.
 */
export function morphologyEllipse(image: RawImage, rw: number, rh: number, op: "dilate" | "erode"): MutableRawImage {
  const runs = ellipseRuns(2 * rw + 1, 2 * rh + 1);
  const c = CHANNELS[image.mode];
  const { width, height } = image;
  const out = new Uint8Array(image.data.length);
  const max = op === "dilate";
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < c; ch++) {
        let best = max ? 0 : 255;
        for (let i = 0; i < runs.length; i++) {
          const [j1, j2] = runs[i];
          if (j2 <= j1) continue;
          const sy = y + i - rh;
          if (sy < 0 || sy >= height) continue;
          const from = Math.max(0, x + j1 - rw);
          const to = Math.min(width, x + j2 - rw);
          for (let sx = from; sx < to; sx++) {
            const v = image.data[(sy * width + sx) * c + ch];
            if (max ? v > best : v < best) best = v;
          }
        }
        out[(y * width + x) * c + ch] = best;
      }
    }
  }
  return { width, height, mode: image.mode, data: out };
}

/** The thresholds of invokeai_img_val_thresholds. */
export interface ValueThresholds {
  readonly invertOutput: boolean;
  readonly renormalizeValues: boolean;
  readonly thresholdUpper: number;
  readonly thresholdLower: number;
}

/**
 * invokeai_img_val_thresholds' per-value rule on v in [0, 1] (float32, as torch computes it): at or above the upper
 * threshold → 1, below the lower → 0 (swapped when inverting); between them optionally rescaled.
 */
export function thresholdValue(v: number, t: ValueThresholds): number {
  const hi = f32(t.thresholdUpper);
  const lo = f32(t.thresholdLower);
  let out = v;
  if (t.thresholdUpper !== t.thresholdLower && v >= lo && v < hi && t.renormalizeValues) {
    const vmax = Math.max(t.thresholdUpper, t.thresholdLower);
    const vmin = Math.min(t.thresholdUpper, t.thresholdLower);
    const scaled = f32(f32(v - f32(vmin)) / f32(vmax - vmin));
    out = t.invertOutput ? f32(1.0 - scaled) : scaled;
  }
  const atOrAbove = v >= hi;
  const below = v < lo;
  if (t.invertOutput) {
    if (below) out = 1;
    if (atOrAbove) out = 0;
  } else {
    if (atOrAbove) out = 1;
    if (below) out = 0;
  }
  return out;
}

/** InvokeAI's `image_resized_to_grid_as_tensor(image)` size: each side trimmed down to a multiple of 8. */
function gridSize(image: RawImage): [number, number] {
  return [image.width - (image.width % 8), image.height - (image.height % 8)];
}

/**
 * invokeai_img_val_thresholds: every channel (alpha included) of the image, resized to a multiple of 8 (Lanczos),
 * thresholded as floats and written back with torch's `mul(255).byte()`. With `lightnessOnly`, only CIELAB L* is
 * thresholded (approximating LittleCMS) and alpha is kept.
 */
export function valueThresholds(image: RawImage, t: ValueThresholds, lightnessOnly: boolean): MutableRawImage {
  const toByte = (v: number) => Math.trunc(f32(v * 255)) & 0xff;
  if (!lightnessOnly) {
    const [w, h] = gridSize(image);
    const grid =
      w === image.width && h === image.height ? image : resizeImage(image, Math.max(1, w), Math.max(1, h), "lanczos");
    const table = Uint8Array.from({ length: 256 }, (_, v) => toByte(thresholdValue(f32(v / 255), t)));
    return { width: grid.width, height: grid.height, mode: grid.mode, data: grid.data.map((v) => table[v]) };
  }
  const [w, h] = gridSize(image);
  if (w !== image.width || h !== image.height) {
    // InvokeAI resizes L* to the 8-pixel grid and then cannot merge it with a* and b*: it fails the same way.
    throw new ImageOperationError(
      "image_size_unsupported",
      `value thresholds: with lightness_only the image size must be a multiple of 8, got ${image.width}x${image.height}`,
      { width: image.width, height: image.height },
    );
  }
  const lab = toColorSpace(convertMode(image, "RGB"), "LAB");
  const table = Uint8Array.from({ length: 256 }, (_, v) => toByte(thresholdValue(f32(v / 255), t)));
  for (let i = 0; i < w * h; i++) lab.data[i * 3] = table[lab.data[i * 3]];
  return restoreMode(colorSpaceToRgba(lab), image);
}

/** Converts an RGBA result back to the input's mode, putting the input's alpha back where it had one. */
function restoreMode(rgba: RawImage, original: RawImage): MutableRawImage {
  const base: ImageMode = original.mode === "LA" || original.mode === "L" ? "L" : "RGB";
  const out = convertMode(rgba, base);
  return hasAlpha(original.mode) ? putAlpha(out, getChannelByName(original, "A")) : out;
}

/** invokeai_img_dilate_erode with lightness_only: only CIELAB L* (approximated) is dilated or eroded; alpha is kept. */
export function morphologyLightness(image: RawImage, rw: number, rh: number, op: "dilate" | "erode"): MutableRawImage {
  const lab = toColorSpace(convertMode(image, "RGB"), "LAB");
  const n = image.width * image.height;
  const l: RawImage = {
    width: image.width,
    height: image.height,
    mode: "L",
    data: Uint8Array.from({ length: n }, (_, i) => lab.data[i * 3]),
  };
  const moved = morphologyEllipse(l, rw, rh, op);
  for (let i = 0; i < n; i++) lab.data[i * 3] = moved.data[i];
  return restoreMode(colorSpaceToRgba(lab), image);
}

/** Pillow's `ImageDraw.floodfill(image, xy, value, thresh)` on RGBA: the 4-connected region within 1-norm `thresh` of the seed. */
export function floodFillRgba(
  image: MutableRawImage,
  x: number,
  y: number,
  value: readonly [number, number, number, number],
  thresh: number,
): void {
  const { width, height, data } = image;
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  const seed = (y * width + x) * 4;
  const bg = [data[seed], data[seed + 1], data[seed + 2], data[seed + 3]];
  const diff = (p: number, c: readonly number[]) =>
    Math.abs(data[p] - c[0]) +
    Math.abs(data[p + 1] - c[1]) +
    Math.abs(data[p + 2] - c[2]) +
    Math.abs(data[p + 3] - c[3]);
  if (
    Math.abs(value[0] - bg[0]) + Math.abs(value[1] - bg[1]) + Math.abs(value[2] - bg[2]) + Math.abs(value[3] - bg[3]) <=
    thresh
  )
    return;
  const set = (p: number) => {
    data[p] = value[0];
    data[p + 1] = value[1];
    data[p + 2] = value[2];
    data[p + 3] = value[3];
  };
  set(seed);
  const stack = [y * width + x];
  while (stack.length > 0) {
    const i = stack.pop()!;
    const px = i % width;
    const py = (i - px) / width;
    for (const [sx, sy] of [
      [px + 1, py],
      [px - 1, py],
      [px, py + 1],
      [px, py - 1],
    ]) {
      if (sx < 0 || sy < 0 || sx >= width || sy >= height) continue;
      const p = (sy * width + sx) * 4;
      // A filled pixel never passes again: the seed check above guarantees `value` is farther than `thresh`.
      if (diff(p, bg) <= thresh) {
        set(p);
        stack.push(sy * width + sx);
      }
    }
  }
}

/** The options of invokeai_img_composite. */
export interface CompositeOptions {
  readonly chromaKey: string;
  readonly threshold: number;
  readonly fillX: boolean;
  readonly fillY: boolean;
  readonly xOffset: number;
  readonly yOffset: number;
}

function parseChromaKey(text: string): number[] {
  if (text.startsWith("(")) {
    const inner = text.replace(/^\(\s*|\s*,?\s*\)$/g, "");
    const values = inner === "" ? [] : inner.split(",").map((v) => Number(v.trim()));
    if (values.some((v) => !Number.isInteger(v))) {
      throw new ImageOperationError("invalid_color", `chroma key ${JSON.stringify(text)} must be a tuple of integers`, {
        chroma_key: text,
      });
    }
    while (values.length < 3) values.push(0);
    if (values.length === 3) values.push(255);
    return values;
  }
  return parseCssColor(text);
}

/**
 * invokeai_img_composite: the subject's backdrop removed (pixels within `threshold` of a chroma key become
 * transparent, or a flood fill from each corner), the subject fitted to the background (stretch, pad or crop per
 * fill_x / fill_y), rolled by the offsets, and alpha-composited over the background (RGBA).
 */
export function compositeSubject(subjectIn: RawImage, backgroundIn: RawImage, o: CompositeOptions): MutableRawImage {
  const background = convertMode(backgroundIn, "RGBA");
  let subject: MutableRawImage = convertMode(subjectIn, "RGBA");
  if (subject.width === 0 || subject.height === 0 || background.width === 0 || background.height === 0) {
    throw new ImageOperationError("empty_image", "image compositor: the subject and background must not be empty", {});
  }
  const key = o.chromaKey.trim();
  if (key.length > 0) {
    const color = parseChromaKey(key);
    const limit = o.threshold ** 2;
    const d = subject.data;
    for (let p = 0; p < d.length; p += 4) {
      let dist = 0;
      for (let k = 0; k < color.length && k < 4; k++) dist += (d[p + k] - color[k]) ** 2;
      if (dist < limit) d.fill(0, p, p + 4);
    }
  } else {
    const w = subject.width;
    const h = subject.height;
    for (const [x, y] of [
      [0, 0],
      [0, h - 1],
      [w - 1, 0],
      [w - 1, h - 1],
    ])
      floodFillRgba(subject, x, y, [0, 0, 0, 0], o.threshold);
  }
  const aspectBg = background.width / background.height;
  const aspectSubject = subject.width / subject.height;
  const [bw, bh] = [background.width, background.height];
  if (o.fillX && o.fillY) subject = resizeImage(subject, bw, bh, "bicubic");
  else if ((o.fillX && aspectBg < aspectSubject) || (o.fillY && aspectSubject <= aspectBg))
    subject = padImage(subject, bw, bh, [0, 0, 0, 0]);
  else if ((o.fillX && aspectSubject <= aspectBg) || (o.fillY && aspectBg < aspectSubject))
    subject = fitImage(subject, bw, bh);
  if (o.xOffset !== 0 || o.yOffset !== 0) subject = offsetImage(subject, o.xOffset, -o.yOffset);
  if (subject.width !== bw || subject.height !== bh) {
    throw new ImageOperationError(
      "image_size_mismatch",
      `image compositor: the subject is ${subject.width}x${subject.height} but the background is ${bw}x${bh}; enable fill_x or fill_y`,
      {},
    );
  }
  return alphaComposite(background, subject);
}
