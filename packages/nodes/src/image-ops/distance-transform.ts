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
  const at = (y: number, x: number) => (y + BORDER) * cols + x + BORDER;
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      const p = at(i, j);
      if (!src[i * width + j]) {
        tmp[p] = 0;
        continue;
      }
      let t0 = tmp[p - 2 * cols - 1] + LONG;
      t0 = Math.min(t0, tmp[p - 2 * cols + 1] + LONG);
      t0 = Math.min(t0, tmp[p - cols - 2] + LONG);
      t0 = Math.min(t0, tmp[p - cols - 1] + DIAG);
      t0 = Math.min(t0, tmp[p - cols] + HV);
      t0 = Math.min(t0, tmp[p - cols + 1] + DIAG);
      t0 = Math.min(t0, tmp[p - cols + 2] + LONG);
      t0 = Math.min(t0, tmp[p - 1] + HV);
      tmp[p] = t0;
    }
  }
  const out = new Float32Array(width * height);
  for (let i = height - 1; i >= 0; i--) {
    for (let j = width - 1; j >= 0; j--) {
      const p = at(i, j);
      let t0 = tmp[p];
      if (t0 > HV) {
        t0 = Math.min(t0, tmp[p + 2 * cols + 1] + LONG);
        t0 = Math.min(t0, tmp[p + 2 * cols - 1] + LONG);
        t0 = Math.min(t0, tmp[p + cols + 2] + LONG);
        t0 = Math.min(t0, tmp[p + cols + 1] + DIAG);
        t0 = Math.min(t0, tmp[p + cols] + HV);
        t0 = Math.min(t0, tmp[p + cols - 1] + DIAG);
        t0 = Math.min(t0, tmp[p + cols - 2] + LONG);
        t0 = Math.min(t0, tmp[p + 1] + HV);
        tmp[p] = t0;
      }
      out[i * width + j] = Math.fround(Math.fround(t0) * SCALE);
    }
  }
  return out;
}
