// create_denoise_mask and create_gradient_mask through the queue on the tiny SD1.5 pipeline: the stored mask
// tensors (white = keep = 1), the masked latents against the VAE encoder run here directly on the masked image,
// and the gradient mask's band rules (minimum_denoise, Staged) and expanded-area image.
import path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toFloat32, type ModelIdentifierFieldValue, type RawImage } from "@atelier/core";
import {
  DIFFUSION_FIXTURES,
  edge,
  openDiffusionHarness,
  resultOf,
  runGraph,
  worstExcess,
  type DiffusionHarness,
  type FinishedItem,
} from "../support/diffusion-fixtures.js";

let harness: DiffusionHarness;
let model: ModelIdentifierFieldValue;

beforeAll(async () => {
  harness = await openDiffusionHarness("atelier-masks-");
  model = await harness.install("tiny-sd15");
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

function greyImage(width: number, height: number, value: (x: number, y: number) => number): RawImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = value(x, y);
  return { width, height, mode: "L", data };
}

function rgbPicture(): RawImage {
  const data = new Uint8Array(64 * 64 * 3);
  for (let i = 0; i < 64 * 64; i++) {
    data[i * 3] = (i * 7) % 256;
    data[i * 3 + 1] = (i % 64) * 4;
    data[i * 3 + 2] = 200 - (Math.floor(i / 64) % 50);
  }
  return { width: 64, height: 64, mode: "RGB", data };
}

const save = async (image: RawImage) => (await harness.services.images.create(image)).image_name;

async function maskOf(item: FinishedItem, node: string) {
  expect(item.error_message ?? null).toBeNull();
  const field = resultOf(item, node).denoise_mask as {
    mask_name: string;
    masked_latents_name: string | null;
    gradient: boolean;
  };
  const mask = toFloat32(await harness.services.tensors.load(field.mask_name));
  return { field, mask };
}

describe("create_denoise_mask", () => {
  it("stores the mask (white = 1 = keep) and the VAE latents of the image with the repaint area blacked out", async () => {
    // Left half kept, right half repainted; a mid-grey column (128 ≥ 0.5) counts as kept.
    const maskImage = greyImage(64, 64, (x) => (x < 32 ? 255 : x === 32 ? 128 : 0));
    const picture = rgbPicture();
    const graph = {
      id: "mask",
      nodes: {
        loader: { id: "loader", type: "main_model_loader", model },
        bare: { id: "bare", type: "create_denoise_mask", mask: { image_name: await save(maskImage) } },
        full: {
          id: "full",
          type: "create_denoise_mask",
          mask: { image_name: await save(maskImage) },
          image: { image_name: await save(picture) },
        },
      },
      edges: [edge("loader", "vae", "bare", "vae"), edge("loader", "vae", "full", "vae")],
    };
    const item = await runGraph(harness.rt, graph);
    const bare = await maskOf(item, "bare");
    expect(bare.field.masked_latents_name).toBeNull();
    expect(bare.field.gradient).toBe(false);
    expect(bare.mask.shape).toEqual([1, 1, 64, 64]);
    expect(Array.from(bare.mask.data)).toEqual(Array.from(maskImage.data, (v) => Math.fround(v / 255)));

    const full = await maskOf(item, "full");
    expect(full.field.masked_latents_name).not.toBeNull();
    const latents = toFloat32(await harness.services.tensors.load(full.field.masked_latents_name!));
    expect(latents.shape).toEqual([1, 4, 8, 8]);
    const plane = 64 * 64;
    const sample = new Float32Array(3 * plane);
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < plane; i++)
        sample[c * plane + i] = maskImage.data[i]! / 255 < 0.5 ? 0 : (picture.data[i * 3 + c]! / 255) * 2 - 1;
    const session = await ort.InferenceSession.create(
      path.join(DIFFUSION_FIXTURES, "tiny-sd15/onnx/vae_encoder/model.onnx"),
    );
    const params = (await session.run({ sample: new ort.Tensor("float32", sample, [1, 3, 64, 64]) })).latent_parameters!
      .data as Float32Array;
    expect(
      worstExcess(
        latents.data,
        params.subarray(0, 256).map((v) => v * 0.18215),
        1e-5,
        1e-5,
      ),
    ).toBeLessThanOrEqual(0);
  }, 60_000);

  it("trims a mask to a multiple of 8 per side", async () => {
    const item = await runGraph(harness.rt, {
      id: "odd",
      nodes: {
        loader: { id: "loader", type: "main_model_loader", model },
        m: { id: "m", type: "create_denoise_mask", mask: { image_name: await save(greyImage(70, 67, () => 255)) } },
      },
      edges: [edge("loader", "vae", "m", "vae")],
    });
    const { mask } = await maskOf(item, "m");
    expect(mask.shape).toEqual([1, 1, 64, 64]);
    expect(mask.data.every((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
  }, 60_000);
});

describe("create_gradient_mask", () => {
  // A black (repaint) square 24..39 in a white (keep) 64×64 mask.
  const square = () => greyImage(64, 64, (x, y) => (x >= 24 && x < 40 && y >= 24 && y < 40 ? 0 : 255));

  async function gradient(options: Record<string, unknown>) {
    const item = await runGraph(harness.rt, {
      id: "gradient",
      nodes: {
        g: { id: "g", type: "create_gradient_mask", mask: { image_name: await save(square()) }, ...options },
      },
      edges: [],
    });
    const { field, mask } = await maskOf(item, "g");
    const expanded = resultOf(item, "g").expanded_mask_area as { image_name: string };
    return { field, mask, area: await harness.services.images.getImage(expanded.image_name, "L") };
  }

  it("blurs the edge into a band: 0 in the repaint area, 1 far away, in between on the kept side", async () => {
    const { field, mask, area } = await gradient({ edge_radius: 8 });
    expect(field.gradient).toBe(true);
    expect(field.masked_latents_name).toBeNull();
    expect(mask.shape).toEqual([1, 1, 64, 64]);
    const at = (x: number, y: number) => mask.data[y * 64 + x]!;
    expect(at(32, 32)).toBe(0);
    expect(at(26, 32)).toBe(0); // just inside the original edge: below 0.5 before rescaling, clamped to 0
    expect(at(2, 2)).toBe(1);
    const band = at(21, 32);
    expect(band).toBeGreaterThan(0);
    expect(band).toBeLessThan(1);
    expect(mask.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    // Monotonic away from the square along a row through its middle.
    for (let x = 24; x > 10; x--) expect(at(x - 1, 32)).toBeGreaterThanOrEqual(at(x, 32));

    // The expanded area: 0 (denoised somewhere in the 8×8 block) or 255, constant per latent block.
    expect([area.width, area.height]).toEqual([64, 64]);
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++) {
        const v = area.data[y * 64 + x]!;
        expect(v === 0 || v === 255).toBe(true);
        expect(v).toBe(area.data[(y & ~7) * 64 + (x & ~7)]);
      }
    expect(area.data[32 * 64 + 32]).toBe(0);
    expect(area.data[0]).toBe(255);
  }, 60_000);

  it("minimum_denoise caps the band at 1 − minimum_denoise; Staged makes the whole band that level", async () => {
    const capped = await gradient({ edge_radius: 8, minimum_denoise: 0.3 });
    const level = Math.fround(0.7);
    expect(capped.mask.data.some((v) => v === level)).toBe(true);
    expect(capped.mask.data.every((v) => !(v > level && v < 1))).toBe(true);
    const staged = await gradient({ edge_radius: 8, minimum_denoise: 0.3, coherence_mode: "Staged" });
    expect(new Set(staged.mask.data)).toEqual(new Set([0, level, 1]));
  }, 60_000);

  it("edge_radius 0 keeps the mask as it is; Box Blur also makes a band", async () => {
    const plain = await gradient({ edge_radius: 0 });
    expect(Array.from(plain.mask.data)).toEqual(Array.from(square().data, (v) => v / 255));
    const box = await gradient({ edge_radius: 4, coherence_mode: "Box Blur" });
    const partial = box.mask.data.filter((v) => v > 0 && v < 1);
    expect(partial.length).toBeGreaterThan(0);
  }, 60_000);
});
