// The tiling of tiled-vae.ts checked exactly: with a model that is local (each output pixel depends only on the
// input pixels under it), tiling must not change the result at all, so the tiles' offsets, blending, cropping and
// joining are all exercised at sizes that need several tiles, including a partial last tile.
import { describe, expect, it } from "vitest";
import { runTiled, vaeTileSizes, type PlanarTensor } from "../../src/generation/tiled-vae.js";

/** A local "decoder": every latent becomes an 8×8 block of 3 channels derived from its 4 values. */
async function blockDecoder(t: PlanarTensor): Promise<PlanarTensor> {
  const [, c = 0, h = 0, w = 0] = t.dims;
  const out = new Float32Array(3 * h * 8 * w * 8);
  for (let ch = 0; ch < 3; ch++)
    for (let y = 0; y < h * 8; y++)
      for (let x = 0; x < w * 8; x++) {
        let v = 0;
        for (let k = 0; k < c; k++) v += (k + ch + 1) * t.data[(k * h + (y >> 3)) * w + (x >> 3)]!;
        out[(ch * h * 8 + y) * w * 8 + x] = v;
      }
  return { dims: [1, 3, h * 8, w * 8], data: out };
}

/** A local "encoder": 8×8 average pooling to 2 channels. */
async function poolEncoder(t: PlanarTensor): Promise<PlanarTensor> {
  const [, c = 0, h = 0, w = 0] = t.dims;
  const oh = h / 8;
  const ow = w / 8;
  const out = new Float32Array(2 * oh * ow);
  for (let k = 0; k < 2; k++)
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++) {
        let sum = 0;
        for (let ch = 0; ch < c; ch++)
          for (let dy = 0; dy < 8; dy++)
            for (let dx = 0; dx < 8; dx++) sum += (ch + k + 1) * t.data[(ch * h + y * 8 + dy) * w + x * 8 + dx]!;
        out[(k * oh + y) * ow + x] = sum / 64;
      }
  return { dims: [1, 2, oh, ow], data: out };
}

const ramp = (dims: number[]): PlanarTensor => ({
  dims,
  data: new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i * 0.13) + i * 1e-3),
});

describe("runTiled", () => {
  it("decoding in tiles equals decoding whole for a local model (20×12 latents, 8-latent tiles)", async () => {
    const latents = ramp([1, 4, 20, 12]);
    const whole = await blockDecoder(latents);
    let calls = 0;
    const tiled = await runTiled(latents, 8, 64, 8, (t) => (calls++, blockDecoder(t)), "test decoder");
    expect(tiled.dims).toEqual([1, 3, 160, 96]);
    expect(calls).toBe(4 * 2);
    let worst = 0;
    for (let i = 0; i < whole.data.length; i++) worst = Math.max(worst, Math.abs(tiled.data[i]! - whole.data[i]!));
    expect(worst).toBeLessThan(1e-4);
  });

  it("encoding in tiles equals encoding whole for a local model (192×128 px, 64 px tiles)", async () => {
    const image = ramp([1, 3, 192, 128]);
    const whole = await poolEncoder(image);
    const tiled = await runTiled(image, 64, 8, 1 / 8, poolEncoder, "test encoder");
    expect(tiled.dims).toEqual([1, 2, 24, 16]);
    let worst = 0;
    for (let i = 0; i < whole.data.length; i++) worst = Math.max(worst, Math.abs(tiled.data[i]! - whole.data[i]!));
    expect(worst).toBeLessThan(1e-4);
  });

  it("blends seams linearly: tiles that disagree meet in a ramp, not a step", async () => {
    // A "model" that adds its tile's origin-dependent offset: neighbouring tiles disagree by a constant.
    let tile = 0;
    const offset = async (t: PlanarTensor): Promise<PlanarTensor> => {
      const out = await blockDecoder(t);
      const k = tile++;
      return { dims: out.dims, data: out.data.map((v) => v + 100 * k) };
    };
    const latents = { dims: [1, 4, 8, 14], data: new Float32Array(4 * 8 * 14) };
    const out = await runTiled(latents, 8, 64, 8, offset, "test decoder");
    const row = Array.from(out.data.subarray(0, 112));
    // Columns 48..63 of the first tile are replaced by the ramp from tile 0 (0) into tile 1 (100).
    expect(row[47]).toBeCloseTo(0, 5);
    expect(row[48]).toBeCloseTo(0, 5);
    expect(row[56]).toBeCloseTo(50, 5);
    expect(row[63]).toBeCloseTo(100 * (15 / 16), 5);
    expect(row[64]).toBeCloseTo(100, 5);
  });

  it("takes tile sizes from tile_size, else from the VAE config", () => {
    expect(vaeTileSizes({ sample_size: 64, block_out_channels: [32, 32, 32, 32] }, 0)).toEqual({
      sampleTile: 64,
      latentTile: 8,
    });
    expect(vaeTileSizes(null, 256)).toEqual({ sampleTile: 256, latentTile: 32 });
    expect(vaeTileSizes({ sample_size: [768, 768], block_out_channels: [1, 2, 3, 4] }, 0).latentTile).toBe(96);
  });
});
