// OpenCV's `distanceTransform(src, DIST_L2, 5)`: the 5×5 chamfer approximation of the Euclidean distance to the
// nearest zero pixel, in 16.16 fixed point (weights 1, 1.4 and 2.1969), two raster passes; outside the image counts
// as far away.

const SHIFT = 16;
const INIT = 0x7fffffff;
const HV = Math.round(1 * (1 << SHIFT));
const DIAG = Math.round(Math.fround(1.4) * (1 << SHIFT));
const LONG = Math.round(Math.fround(2.1969) * (1 << SHIFT));
const SCALE = Math.fround(1 / (1 << SHIFT));
const BORDER = 2;

/** Distances (float32) from each non-zero pixel of `src` (width×height bytes) to the nearest zero pixel. */
export function distanceTransformL2Mask5(src: Uint8Array, width: number, height: number): Float32Array {
  const cols = width + 2 * BORDER;
  const rows = height + 2 * BORDER;
  const tmp = new Float64Array(cols * rows).fill(INIT);
  for (let i = 0; i < height; i++) forwardRow(src, tmp, i, width, cols);
  const out = new Float32Array(width * height);
  for (let i = height - 1; i >= 0; i--) backwardRow(tmp, out, i, width, cols);
  return out;
}

// The chamfer minima are written as `a < b ? a : b`: the values are finite and positive, where that is Math.min
// without its NaN / -0 handling.

/** The top-left raster pass over row `i` (tmp is the bordered buffer, `cols` wide). */
function forwardRow(src: Uint8Array, tmp: Float64Array, i: number, width: number, cols: number): void {
  for (let j = 0, p = (i + BORDER) * cols + BORDER, s = i * width; j < width; j++, p++, s++) {
    if (!src[s]) {
      tmp[p] = 0;
      continue;
    }
    let t0 = tmp[p - 2 * cols - 1] + LONG;
    let t = tmp[p - 2 * cols + 1] + LONG;
    t0 = t < t0 ? t : t0;
    t = tmp[p - cols - 2] + LONG;
    t0 = t < t0 ? t : t0;
    t = tmp[p - cols - 1] + DIAG;
    t0 = t < t0 ? t : t0;
    t = tmp[p - cols] + HV;
    t0 = t < t0 ? t : t0;
    t = tmp[p - cols + 1] + DIAG;
    t0 = t < t0 ? t : t0;
    t = tmp[p - cols + 2] + LONG;
    t0 = t < t0 ? t : t0;
    t = tmp[p - 1] + HV;
    tmp[p] = t < t0 ? t : t0;
  }
}

/** The bottom-right raster pass over row `i`, writing the scaled float32 distances of the row into `out`. */
function backwardRow(tmp: Float64Array, out: Float32Array, i: number, width: number, cols: number): void {
  for (let j = width - 1, p = (i + BORDER) * cols + BORDER + j; j >= 0; j--, p--) {
    let t0 = tmp[p];
    if (t0 > HV) {
      let t = tmp[p + 2 * cols + 1] + LONG;
      t0 = t < t0 ? t : t0;
      t = tmp[p + 2 * cols - 1] + LONG;
      t0 = t < t0 ? t : t0;
      t = tmp[p + cols + 2] + LONG;
      t0 = t < t0 ? t : t0;
      t = tmp[p + cols + 1] + DIAG;
      t0 = t < t0 ? t : t0;
      t = tmp[p + cols] + HV;
      t0 = t < t0 ? t : t0;
      t = tmp[p + cols - 1] + DIAG;
      t0 = t < t0 ? t : t0;
      t = tmp[p + cols - 2] + LONG;
      t0 = t < t0 ? t : t0;
      t = tmp[p + 1] + HV;
      t0 = t < t0 ? t : t0;
      tmp[p] = t0;
    }
    out[i * width + j] = Math.fround(Math.fround(t0) * SCALE);
  }
}
