/**
 * Tiled VAE decode and encode, as diffusers' AutoencoderKL does when InvokeAI enables tiling: the input is cut
 * into square tiles that overlap by a quarter, each tile runs through the model on its own, and each output tile is
 * blended linearly into its upper and left neighbours over a quarter of the output tile before the tiles are cropped
 * and joined. Only images larger than one tile are tiled.
 */
import { GenerationModelError } from "./generation-errors.js";

/** A planar float tensor `[1, C, H, W]`. */
export interface PlanarTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/** Runs the model on one tile. */
export type RunTile = (tile: PlanarTensor) => Promise<PlanarTensor>;

/** diffusers' `tile_overlap_factor`, which InvokeAI keeps at 0.25. */
export const TILE_OVERLAP_FACTOR = 0.25;

/**
 * Tile sizes in pixels and latents: `tileSize` (pixels) when > 0, else the VAE config's `sample_size` and that
 * divided by its downscale factor, as diffusers' defaults.
 */
export function vaeTileSizes(
  config: Readonly<Record<string, unknown>> | null,
  tileSize: number,
): { readonly sampleTile: number; readonly latentTile: number } {
  if (tileSize > 0) return { sampleTile: tileSize, latentTile: Math.floor(tileSize / 8) };
  const raw = config?.sample_size;
  const sample = typeof raw === "number" ? raw : Array.isArray(raw) && typeof raw[0] === "number" ? raw[0] : 512;
  const blocks = Array.isArray(config?.block_out_channels) ? config.block_out_channels.length : 4;
  return { sampleTile: sample, latentTile: Math.floor(sample / 2 ** (blocks - 1)) };
}

function crop(t: PlanarTensor, top: number, left: number, height: number, width: number): PlanarTensor {
  const [, c = 0, h = 0, w = 0] = t.dims;
  const bottom = Math.min(h, top + height);
  const right = Math.min(w, left + width);
  const oh = bottom - top;
  const ow = right - left;
  const out = new Float32Array(c * oh * ow);
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < oh; y++) {
      const from = (ch * h + top + y) * w + left;
      out.set(t.data.subarray(from, from + ow), (ch * oh + y) * ow);
    }
  return { dims: [1, c, oh, ow], data: out };
}

// diffusers' blend_v: the first rows of `b` fade in from the last rows of `a` (b is changed in place).
function blendVertical(a: PlanarTensor, b: PlanarTensor, extent: number): void {
  const [, c = 0, ah = 0] = a.dims;
  const [, , bh = 0, w = 0] = b.dims;
  const e = Math.min(ah, bh, extent);
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < e; y++)
      for (let x = 0; x < w; x++) {
        const bi = (ch * bh + y) * w + x;
        const ai = (ch * ah + ah - e + y) * w + x;
        b.data[bi] = (a.data[ai] as number) * (1 - y / e) + (b.data[bi] as number) * (y / e);
      }
}

// diffusers' blend_h: the same across columns.
function blendHorizontal(a: PlanarTensor, b: PlanarTensor, extent: number): void {
  const [, c = 0, h = 0, aw = 0] = a.dims;
  const bw = b.dims[3] ?? 0;
  const e = Math.min(aw, bw, extent);
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < e; x++) {
        const bi = (ch * h + y) * bw + x;
        const ai = (ch * h + y) * aw + aw - e + x;
        b.data[bi] = (a.data[ai] as number) * (1 - x / e) + (b.data[bi] as number) * (x / e);
      }
}

/**
 * Runs `run` over overlapping tiles of `input` (`tileIn` input pixels each, giving `tileOut` output pixels) and
 * joins the blended tiles; `scale` is output size / input size (8 to decode, 1/8 to encode).
 */
export async function runTiled(
  input: PlanarTensor,
  tileIn: number,
  tileOut: number,
  scale: number,
  run: RunTile,
  what: string,
): Promise<PlanarTensor> {
  const [, , height = 0, width = 0] = input.dims;
  const overlap = Math.floor(tileIn * (1 - TILE_OVERLAP_FACTOR));
  const blend = Math.floor(tileOut * TILE_OVERLAP_FACTOR);
  const limit = tileOut - blend;
  if (overlap < 1 || limit < 1) throw new GenerationModelError(what, `tile size ${tileIn} is too small to tile`);
  const rows: PlanarTensor[][] = [];
  for (let i = 0; i < height; i += overlap) {
    const row: PlanarTensor[] = [];
    for (let j = 0; j < width; j += overlap) {
      const out = await run(crop(input, i, j, tileIn, tileIn));
      row.push({ dims: out.dims, data: Float32Array.from(out.data) });
    }
    rows.push(row);
  }
  const cropped = rows.map((row, r) =>
    row.map((tile, c) => {
      if (r > 0) blendVertical(rows[r - 1]?.[c] as PlanarTensor, tile, blend);
      if (c > 0) blendHorizontal(row[c - 1] as PlanarTensor, tile, blend);
      return crop(tile, 0, 0, limit, limit);
    }),
  );
  const channels = cropped[0]?.[0]?.dims[1] ?? 0;
  const outH = Math.round(height * scale);
  const outW = Math.round(width * scale);
  const data = new Float32Array(channels * outH * outW);
  let top = 0;
  for (const row of cropped) {
    let left = 0;
    const rowH = row[0]?.dims[2] ?? 0;
    for (const tile of row) {
      const [, , th = 0, tw = 0] = tile.dims;
      for (let ch = 0; ch < channels; ch++)
        for (let y = 0; y < th && top + y < outH; y++)
          for (let x = 0; x < tw && left + x < outW; x++)
            data[(ch * outH + top + y) * outW + left + x] = tile.data[(ch * th + y) * tw + x] as number;
      left += tw;
    }
    top += rowH;
  }
  return { dims: [1, channels, outH, outW], data };
}
