// SD1.5 image-to-image through the queue on the tiny ONNX pipeline: main_model_loader → compel ×2, noise, i2l →
// denoise_latents (denoising_start 0.5) → l2i. The denoised latents are checked against a step-by-step
// recomputation here: the engine's Euler scheduler trimmed to the second half, InvokeAI's start
// `add_noise(i2l latents, noise, t0)`, and the UNet run directly with onnxruntime on [negative, positive].
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toFloat32, type ModelIdentifierFieldValue, type RawImage, type Tensor } from "@atelier/core";
import { createScheduler } from "@atelier/engine";
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
  harness = await openDiffusionHarness("atelier-img2img-");
  model = await harness.install("tiny-sd15");
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

function picture(): RawImage {
  const data = new Uint8Array(64 * 64 * 3);
  for (let i = 0; i < 64 * 64; i++) {
    const x = i % 64;
    const y = Math.floor(i / 64);
    data[i * 3] = x * 4;
    data[i * 3 + 1] = y * 4;
    data[i * 3 + 2] = (x ^ y) * 4;
  }
  return { width: 64, height: 64, mode: "RGB", data };
}

async function tensorOf(item: FinishedItem, node: string, field: string): Promise<Float32Array> {
  const ref = resultOf(item, node)[field] as { latents_name: string };
  return toFloat32(await harness.services.tensors.load(ref.latents_name)).data;
}

async function embedsOf(item: FinishedItem, node: string): Promise<Float32Array> {
  const ref = resultOf(item, node).conditioning as { conditioning_name: string };
  const data = await harness.services.conditioning.load(ref.conditioning_name);
  return toFloat32((data.conditionings[0] as { embeds: Tensor }).embeds).data;
}

describe("SD1.5 image-to-image", () => {
  it("i2l → denoise_latents (denoising_start 0.5) → l2i matches a step-by-step recomputation", async () => {
    const image = await harness.services.images.create(picture());
    const steps = 4;
    const cfg = 7.5;
    const graph = {
      id: "img2img",
      nodes: {
        loader: { id: "loader", type: "main_model_loader", model },
        pos: { id: "pos", type: "compel", prompt: "a red (cat)1.2 on a mat" },
        neg: { id: "neg", type: "compel", prompt: "blurry" },
        noise: { id: "noise", type: "noise", seed: 123, width: 64, height: 64 },
        encode: { id: "encode", type: "i2l", image: { image_name: image.image_name } },
        denoise: {
          id: "denoise",
          type: "denoise_latents",
          steps,
          cfg_scale: cfg,
          scheduler: "euler",
          denoising_start: 0.5,
        },
        decode: { id: "decode", type: "l2i" },
      },
      edges: [
        edge("loader", "clip", "pos", "clip"),
        edge("loader", "clip", "neg", "clip"),
        edge("loader", "vae", "encode", "vae"),
        edge("loader", "unet", "denoise", "unet"),
        edge("loader", "vae", "decode", "vae"),
        edge("pos", "conditioning", "denoise", "positive_conditioning"),
        edge("neg", "conditioning", "denoise", "negative_conditioning"),
        edge("noise", "noise", "denoise", "noise"),
        edge("encode", "latents", "denoise", "latents"),
        edge("denoise", "latents", "decode", "latents"),
      ],
    };
    const item = await runGraph(harness.rt, graph);
    expect(item.error_message ?? null).toBeNull();
    expect(item.status).toBe("completed");

    const init = await tensorOf(item, "encode", "latents");
    const noise = await tensorOf(item, "noise", "noise");
    const result = await tensorOf(item, "denoise", "latents");
    const positive = await embedsOf(item, "pos");
    const negative = await embedsOf(item, "neg");

    const config = JSON.parse(
      await readFile(path.join(DIFFUSION_FIXTURES, "tiny-sd15/onnx/scheduler/scheduler_config.json"), "utf8"),
    ) as Record<string, never>;
    const scheduler = createScheduler("euler", config);
    scheduler.setTimesteps(steps, { denoisingStart: 0.5 });
    expect(scheduler.timesteps.length).toBe(2);
    let latents = scheduler.addNoise(init, noise, scheduler.initTimestep!);
    const unet = await ort.InferenceSession.create(path.join(DIFFUSION_FIXTURES, "tiny-sd15/onnx/unet/model.onnx"));
    const context = new Float32Array(positive.length * 2);
    context.set(negative, 0);
    context.set(positive, positive.length);
    const n = latents.length;
    for (const t of scheduler.timesteps) {
      const scaled = scheduler.scaleModelInput(latents, t);
      const batch = new Float32Array(2 * n);
      batch.set(scaled, 0);
      batch.set(scaled, n);
      const out = await unet.run({
        sample: new ort.Tensor("float32", batch, [2, 4, 8, 8]),
        timestep: new ort.Tensor("float32", new Float32Array([t]), []),
        encoder_hidden_states: new ort.Tensor("float32", context, [2, positive.length / 32, 32]),
      });
      const pred = out.out_sample!.data as Float32Array;
      const guided = new Float32Array(n).map((_, i) => pred[i]! + cfg * (pred[n + i]! - pred[i]!));
      latents = scheduler.step(guided, t, latents).prevSample;
    }
    expect(worstExcess(result, latents, 1e-3, 1e-4)).toBeLessThanOrEqual(0);
    // The run really started from the image: the result is neither the image latents nor pure denoised noise.
    expect(worstExcess(result, init, 1e-2, 0)).toBeGreaterThan(0);

    const decoded = resultOf(item, "decode").image as { image_name: string };
    const out = await harness.services.images.getImage(decoded.image_name, "RGB");
    expect([out.width, out.height]).toEqual([64, 64]);
  }, 90_000);
});
