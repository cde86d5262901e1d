import type { RawImage } from "@atelier/core";
import type { MutableRawImage } from "./image-buffers.js";
import { ImageOperationError } from "./image-op-error.js";

/** Bicubic (A = -0.75, OpenCV's INTER_CUBIC) resize of a single-channel float grid, replicated borders. */
function resizeCubicFloat(src: Float64Array, sw: number, sh: number, dw: number, dh: number): Float64Array {
  const weights = (t: number): number[] => {
    const A = -0.75;
    const c0 = ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A;
    const c1 = ((A + 2) * t - (A + 3)) * t * t + 1;
    const c2 = ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1;
    return [c0, c1, c2, 1 - c0 - c1 - c2];
  };
  const axis = (s: number, d: number) =>
    Array.from({ length: d }, (_, i) => {
      const f = (i + 0.5) * (s / d) - 0.5;
      const base = Math.floor(f);
      return { base, w: weights(f - base) };
    });
  const ax = axis(sw, dw);
  const ay = axis(sh, dh);
  const clamp = (v: number, n: number) => Math.min(n - 1, Math.max(0, v));
  const tmp = new Float64Array(sh * dw);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < dw; x++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v += src[y * sw + clamp(ax[x].base - 1 + k, sw)] * ax[x].w[k];
      tmp[y * dw + x] = v;
    }
  }
  const out = new Float64Array(dh * dw);
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v += tmp[clamp(ay[y].base - 1 + k, sh) * dw + x] * ay[y].w[k];
      out[y * dw + x] = v;
    }
  }
  return out;
}

/** controlnet_aux's make_noise_disk: smooth noise in [0, 1], from a coarse random grid blown up bicubically. */
function noiseDisk(h: number, w: number, f: number, random: () => number): Float64Array {
  const gh = Math.floor(h / f) + 2;
  const gw = Math.floor(w / f) + 2;
  const grid = Float64Array.from({ length: gh * gw }, () => random());
  const big = resizeCubicFloat(grid, gw, gh, w + 2 * f, h + 2 * f);
  const out = new Float64Array(h * w);
  let min = Infinity;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = big[(y + f) * (w + 2 * f) + x + f];
      out[y * w + x] = v;
      if (v < min) min = v;
    }
  }
  let max = -Infinity;
  for (let i = 0; i < out.length; i++) {
    out[i] -= min;
    if (out[i] > max) max = out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] = max > 0 ? out[i] / max : 0;
  return out;
}

/**
 * InvokeAI's content_shuffle (from controlnet_aux): each output pixel samples the RGB image bilinearly at a position
 * given by two smooth random fields spanning the image (zero outside), like a 'liquify' filter.
 */
export function contentShuffle(image: RawImage, scaleFactor: number, random: () => number): MutableRawImage {
  if (!Number.isInteger(scaleFactor) || scaleFactor < 1) {
    throw new ImageOperationError(
      "invalid_scale_factor",
      `content shuffle: scale factor must be an integer >= 1, got ${scaleFactor}`,
      {
        scale_factor: scaleFactor,
      },
    );
  }
  if (image.mode !== "RGB")
    throw new ImageOperationError("image_mode_unsupported", `content shuffle: expected RGB, got ${image.mode}`, {});
  const { width: w, height: h } = image;
  const fx = noiseDisk(h, w, scaleFactor, random);
  const fy = noiseDisk(h, w, scaleFactor, random);
  const out = new Uint8Array(w * h * 3);
  const px = (y: number, x: number, c: number) =>
    x < 0 || y < 0 || x >= w || y >= h ? 0 : image.data[(y * w + x) * 3 + c];
  for (let i = 0; i < w * h; i++) {
    const sx = Math.fround(fx[i] * (w - 1));
    const sy = Math.fround(fy[i] * (h - 1));
    const x0 = Math.floor(sx);
    const y0 = Math.floor(sy);
    const ax = sx - x0;
    const ay = sy - y0;
    for (let c = 0; c < 3; c++) {
      const v =
        (1 - ay) * ((1 - ax) * px(y0, x0, c) + ax * px(y0, x0 + 1, c)) +
        ay * ((1 - ax) * px(y0 + 1, x0, c) + ax * px(y0 + 1, x0 + 1, c));
      out[i * 3 + c] = Math.min(255, Math.max(0, Math.round(v)));
    }
  }
  return { width: w, height: h, mode: "RGB", data: out };
}
