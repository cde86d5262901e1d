import type { RawImage } from "@atelier/core";
import type { MutableRawImage } from "./image-buffers.js";
import { ImageOperationError, unsupportedMode } from "./image-op-error.js";
import { boxBlur } from "./box-blur.js";
import { distanceTransformL2Mask5 } from "./distance-transform.js";
import { morphologyRect } from "./morphology.js";

/** 255 where the RGBA pixel's Euclidean distance to `color` is below `threshold`, else 0 (InvokeAI's mask_from_id). */
export function maskFromColorDistance(
  image: RawImage,
  color: readonly [number, number, number, number],
  threshold: number,
): MutableRawImage {
  if (image.mode !== "RGBA") throw unsupportedMode("mask from colour", image.mode, ["RGBA"]);
  const n = image.width * image.height;
  const out = new Uint8Array(n);
  const d = image.data;
  for (let i = 0; i < n; i++) {
    const p = i * 4;
    const dr = d[p] - color[0];
    const dg = d[p + 1] - color[1];
    const db = d[p + 2] - color[2];
    const da = d[p + 3] - color[3];
    out[i] = Math.sqrt(dr * dr + dg * dg + db * db + da * da) < threshold ? 255 : 0;
  }
  return { width: image.width, height: image.height, mode: "L", data: out };
}

/** `Image.merge("RGBA", (r, g, b, alpha))`: the RGBA image with its alpha replaced by an L image of the same size. */
export function replaceAlpha(image: RawImage, alpha: RawImage): MutableRawImage {
  if (image.mode !== "RGBA") throw unsupportedMode("replace alpha", image.mode, ["RGBA"]);
  if (alpha.mode !== "L") throw unsupportedMode("replace alpha (mask)", alpha.mode, ["L"]);
  if (alpha.width !== image.width || alpha.height !== image.height) {
    throw new ImageOperationError(
      "image_size_mismatch",
      `the mask is ${alpha.width}x${alpha.height} but the image is ${image.width}x${image.height}; they must match`,
      { mask: [alpha.width, alpha.height], image: [image.width, image.height] },
    );
  }
  const out = new Uint8Array(image.data);
  for (let i = 0; i < alpha.data.length; i++) out[i * 4 + 3] = alpha.data[i];
  return { width: image.width, height: image.height, mode: "RGBA", data: out };
}

/** Least-squares polynomial fit like `numpy.polyfit(x, y, degree)` (columns scaled, Householder QR); highest power first. */
export function polyfit(x: readonly number[], y: readonly number[], degree: number): number[] {
  const m = x.length;
  const n = degree + 1;
  const a = Array.from({ length: m }, (_, i) => Array.from({ length: n }, (_, j) => x[i] ** (degree - j)));
  const scale = Array.from({ length: n }, (_, j) => Math.sqrt(a.reduce((s, row) => s + row[j] * row[j], 0)) || 1);
  for (const row of a) for (let j = 0; j < n; j++) row[j] /= scale[j];
  const b = [...y];
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += a[i][k] * a[i][k];
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const alpha = a[k][k] > 0 ? -norm : norm;
    const v = new Array<number>(m).fill(0);
    for (let i = k; i < m; i++) v[i] = a[i][k];
    v[k] -= alpha;
    const vv = v.reduce((s, t) => s + t * t, 0);
    if (vv === 0) continue;
    for (let j = k; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i] * a[i][j];
      for (let i = k; i < m; i++) a[i][j] -= (2 * dot * v[i]) / vv;
    }
    let dot = 0;
    for (let i = k; i < m; i++) dot += v[i] * b[i];
    for (let i = k; i < m; i++) b[i] -= (2 * dot * v[i]) / vv;
  }
  const c = new Array<number>(n).fill(0);
  for (let k = n - 1; k >= 0; k--) {
    let s = b[k];
    for (let j = k + 1; j < n; j++) s -= a[k][j] * c[j];
    c[k] = s / a[k][k];
  }
  return c.map((v, j) => v / scale[j]);
}

/**
 * InvokeAI's expand_mask_with_fade: the mask thresholded (> threshold is white), then every white pixel within
 * `fadeSize` of the black region gets a smooth ramp (a cubic through fixed control points over the chamfer
 * distance), so black grows into white with a soft edge. `fadeSize` 0 returns the mask as it is.
 */
export function expandMaskWithFade(mask: RawImage, threshold: number, fadeSize: number): MutableRawImage {
  if (mask.mode !== "L") throw unsupportedMode("expand mask with fade", mask.mode, ["L"]);
  if (fadeSize === 0) return { width: mask.width, height: mask.height, mode: "L", data: new Uint8Array(mask.data) };
  const n = mask.data.length;
  const background = new Uint8Array(n);
  for (let i = 0; i < n; i++) background[i] = mask.data[i] > threshold ? 1 : 0;
  const dist = distanceTransformL2Mask5(background, mask.width, mask.height);
  const [c0, c1, c2, c3] = polyfit([0.0, 1.0 / fadeSize, 0.2, 0.8, 1.0], [0.0, 0.0, 0.2, 0.9, 1.0], 3);
  const f32 = Math.fround;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (!background[i]) continue;
    const d = Math.min(1, Math.max(0, f32(dist[i] / fadeSize)));
    // Horner's rule, unrolled (NumPy's polyval order).
    const p = ((c0 * d + c1) * d + c2) * d + c3;
    const feather = Math.min(1, Math.max(0, p));
    out[i] = Math.trunc(feather * 255);
  }
  return { width: mask.width, height: mask.height, mode: "L", data: out };
}

/**
 * InvokeAI's mask_edge: 255 where the mask is strictly between black and white, plus the Canny edges (uint8
 * addition wraps), dilated int(edge_size / 2) times with a 3×3 square, box-blurred by edge_blur, then inverted.
 */
export function maskEdge(mask: RawImage, edges: RawImage, edgeSize: number, edgeBlur: number): MutableRawImage {
  const n = mask.data.length;
  const combined = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = mask.data[i];
    const gradient = v === 0 || v === 255 ? 0 : 255;
    combined[i] = (gradient + edges.data[i]) & 0xff;
  }
  let out: RawImage = { width: mask.width, height: mask.height, mode: "L", data: combined };
  const iterations = Math.trunc(edgeSize / 2);
  if (iterations > 0) out = morphologyRect(out, 3, 3, iterations, "dilate");
  if (edgeBlur > 0) out = boxBlur(out, edgeBlur);
  const data = new Uint8Array(out.data.length);
  for (let i = 0; i < data.length; i++) data[i] = 255 - out.data[i];
  return { width: out.width, height: out.height, mode: "L", data };
}
