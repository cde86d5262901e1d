// i2l on the tiny SD1.5 ONNX pipeline through the queue, against the VAE encoder run here directly; tiled VAE encode
// and decode against untiled at a size larger than one tile (the tiny VAE's sample_size is 64 px = 8 latents); and
// an image-to-image graph i2l → denoise_latents (denoising_start 0.5) → l2i.
import path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTensor, toFloat32, type ModelIdentifierFieldValue, type RawImage } from "@atelier/core";
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
import { createContextModels } from "@atelier/engine";
import { LatentsToImageInvocation } from "../../src/generation/latents-to-image-node.js";
import { runNode } from "../support/run-node.js";
import { createTestContext } from "../support/test-context.js";

let harness: DiffusionHarness;
let model: ModelIdentifierFieldValue;

beforeAll(async () => {
  harness = await openDiffusionHarness("atelier-i2l-");
  model = await harness.install("tiny-sd15");
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

/** A deterministic RGB test picture: gradients plus a checker pattern. */
function testPicture(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const checker = ((x >> 3) + (y >> 3)) % 2 === 0 ? 60 : 0;
      data[i] = (x * 255) / (width - 1);
      data[i + 1] = (y * 255) / (height - 1);
      data[i + 2] = 128 + checker - ((x * y) % 50);
    }
  return { width, height, mode: "RGB", data };
}

async function saveImage(image: RawImage): Promise<string> {
  return (await harness.services.images.create(image)).image_name;
}

async function latentsOf(item: FinishedItem, node: string): Promise<{ shape: readonly number[]; data: Float32Array }> {
  expect(item.error_message ?? null).toBeNull();
  const out = resultOf(item, node).latents as { latents_name: string };
  const t = toFloat32(await harness.services.tensors.load(out.latents_name));
  return { shape: t.shape, data: t.data };
}

function encodeGraph(imageName: string, tiled: boolean): Record<string, unknown> {
  return {
    id: "i2l",
    nodes: {
      loader: { id: "loader", type: "main_model_loader", model },
      encode: { id: "encode", type: "i2l", image: { image_name: imageName }, tiled },
    },
    edges: [edge("loader", "vae", "encode", "vae")],
  };
}

describe("i2l", () => {
  it("equals the VAE encoder's mean times the scaling factor, computed independently", async () => {
    const picture = testPicture(64, 64);
    const item = await runGraph(harness.rt, encodeGraph(await saveImage(picture), false));
    const latents = await latentsOf(item, "encode");
    expect(latents.shape).toEqual([1, 4, 8, 8]);
    expect(resultOf(item, "encode")).toMatchObject({ width: 64, height: 64 });

    const session = await ort.InferenceSession.create(
      path.join(DIFFUSION_FIXTURES, "tiny-sd15/onnx/vae_encoder/model.onnx"),
    );
    const plane = 64 * 64;
    const sample = new Float32Array(3 * plane);
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < plane; i++) sample[c * plane + i] = (picture.data[i * 3 + c]! / 255) * 2 - 1;
    const out = await session.run({ sample: new ort.Tensor("float32", sample, [1, 3, 64, 64]) });
    const params = out.latent_parameters!.data as Float32Array;
    const expected = params.subarray(0, 4 * 64).map((v) => v * 0.18215);
    expect(worstExcess(latents.data, expected, 1e-5, 1e-5)).toBeLessThanOrEqual(0);
  }, 60_000);

  // Tiled and untiled VAE runs differ on any real VAE (GroupNorm statistics and the mid-block attention see one
  // tile, not the image; InvokeAI's tiling has the same property), and by a lot on these random weights. So the
  // tiling itself is checked exactly in tiled-vae.test.ts with a local model, and here on the real VAE: the corner
  // outside every blend band equals the corner tile run on its own, and a tile as large as the image is untiled.
  it("tiled encode: the corner equals the corner tile encoded alone; one big tile equals untiled", async () => {
    const picture = testPicture(128, 128);
    const name = await saveImage(picture);
    const tiled = await latentsOf(await runGraph(harness.rt, encodeGraph(name, true)), "encode");
    expect(tiled.shape).toEqual([1, 4, 16, 16]);
    const session = await ort.InferenceSession.create(
      path.join(DIFFUSION_FIXTURES, "tiny-sd15/onnx/vae_encoder/model.onnx"),
    );
    const corner = new Float32Array(3 * 64 * 64);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 64; y++)
        for (let x = 0; x < 64; x++)
          corner[(c * 64 + y) * 64 + x] = (picture.data[(y * 128 + x) * 3 + c]! / 255) * 2 - 1;
    const out = await session.run({ sample: new ort.Tensor("float32", corner, [1, 3, 64, 64]) });
    const params = out.latent_parameters!.data as Float32Array;
    // Tiles of 8 latents blend over 2 rows/columns; rows and columns 0..5 of the corner tile are kept as they are.
    for (let c = 0; c < 4; c++)
      for (let y = 0; y < 6; y++)
        for (let x = 0; x < 6; x++)
          expect(tiled.data[(c * 16 + y) * 16 + x]).toBeCloseTo(params[(c * 8 + y) * 8 + x]! * 0.18215, 4);
    // The blended area differs from the untiled run, the joined result is still the image's latents.
    const whole = await latentsOf(await runGraph(harness.rt, encodeGraph(name, false)), "encode");
    const big = await latentsOf(
      await runGraph(harness.rt, {
        ...encodeGraph(name, true),
        nodes: {
          loader: { id: "loader", type: "main_model_loader", model },
          encode: { id: "encode", type: "i2l", image: { image_name: name }, tiled: true, tile_size: 128 },
        },
      }),
      "encode",
    );
    expect(worstExcess(big.data, whole.data, 1e-6, 0)).toBeLessThanOrEqual(0);
  }, 60_000);

  it("tiled decode: the corner equals the corner tile decoded alone; one big tile equals untiled", async () => {
    const data = new Float32Array(4 * 16 * 16).map((_, i) => Math.sin(i * 0.37) * 0.8);
    const name = await harness.services.tensors.save(createTensor("float32", [1, 4, 16, 16], data));
    const graph = (tiled: boolean, tileSize = 0) => ({
      id: "l2i",
      nodes: {
        loader: { id: "loader", type: "main_model_loader", model },
        decode: {
          id: "decode",
          type: "l2i",
          latents: { latents_name: name, seed: null },
          tiled,
          tile_size: tileSize,
        },
      },
      edges: [edge("loader", "vae", "decode", "vae")],
    });
    const image = async (item: FinishedItem) => {
      expect(item.error_message ?? null).toBeNull();
      const out = resultOf(item, "decode").image as { image_name: string };
      return harness.services.images.getImage(out.image_name, "RGB");
    };
    const tiled = await image(await runGraph(harness.rt, graph(true)));
    expect([tiled.width, tiled.height]).toEqual([128, 128]);
    const session = await ort.InferenceSession.create(
      path.join(DIFFUSION_FIXTURES, "tiny-sd15/onnx/vae_decoder/model.onnx"),
    );
    const corner = new Float32Array(4 * 8 * 8);
    for (let c = 0; c < 4; c++)
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) corner[(c * 8 + y) * 8 + x] = data[(c * 16 + y) * 16 + x]! / 0.18215;
    const out = (await session.run({ latent_sample: new ort.Tensor("float32", corner, [1, 4, 8, 8]) })).sample!
      .data as Float32Array;
    // 64 px tiles blend over 16 px: pixels 0..47 of the corner tile are kept as they are.
    let worst = 0;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 48; y++)
        for (let x = 0; x < 48; x++) {
          const expected = Math.min(1, Math.max(0, out[(c * 64 + y) * 64 + x]! / 2 + 0.5)) * 255;
          worst = Math.max(worst, Math.abs(tiled.data[(y * 128 + x) * 3 + c]! - expected));
        }
    expect(worst).toBeLessThanOrEqual(0.51);
    const whole = await image(await runGraph(harness.rt, graph(false)));
    const big = await image(await runGraph(harness.rt, graph(true, 128)));
    expect(Array.from(big.data)).toEqual(Array.from(whole.data));
  }, 60_000);

  it("l2i decodes in tiles when the config says force_tiled_decode, as if tiled were set", async () => {
    const decode = async (force: boolean, tiled: boolean) => {
      const context = createTestContext();
      Object.assign(context, {
        models: createContextModels(harness.services.models),
        config: { get: () => ({ force_tiled_decode: force }) },
      });
      const data = new Float32Array(4 * 16 * 16).map((_, i) => Math.sin(i * 0.37) * 0.8);
      const name = await context.tensors.save(createTensor("float32", [1, 4, 16, 16], data));
      const out = await runNode(
        LatentsToImageInvocation,
        { latents: { latents_name: name, seed: null }, vae: { vae: model, seamless_axes: [] }, tiled },
        context,
      );
      return context.store.images.get((out.image as { image_name: string }).image_name)!.image.data;
    };
    const forced = Array.from(await decode(true, false));
    expect(forced).toEqual(Array.from(await decode(false, true)));
    expect(forced).not.toEqual(Array.from(await decode(false, false)));
  }, 60_000);
});
