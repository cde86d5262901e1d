// A prompt longer than 77 tokens is encoded in chunks (Compel, as InvokeAI runs it); beside a short negative prompt
// the two sides have different token lengths, and denoise_latents runs the UNet once per side instead of failing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelIdentifierFieldValue, Tensor } from "@atelier/core";
import { toFloat32 } from "@atelier/core";
import {
  DIFFUSION_FIXTURES,
  edge,
  openDiffusionHarness,
  resultOf,
  runGraph,
  type DiffusionHarness,
} from "../support/diffusion-fixtures.js";

let harness: DiffusionHarness;
let model: ModelIdentifierFieldValue;
beforeAll(async () => {
  harness = await openDiffusionHarness("atelier-long-prompt-");
  model = await harness.install("tiny-sd15");
}, 120_000);
afterAll(async () => {
  await harness?.close();
});

function graph(positive: string, negative: string): Record<string, unknown> {
  return {
    id: "long",
    nodes: {
      loader: { id: "loader", type: "main_model_loader", model },
      pos: { id: "pos", type: "compel", prompt: positive },
      neg: { id: "neg", type: "compel", prompt: negative },
      noise: { id: "noise", type: "noise", seed: 3, width: 64, height: 64 },
      denoise: { id: "denoise", type: "denoise_latents", steps: 3, cfg_scale: 5, scheduler: "euler" },
    },
    edges: [
      edge("loader", "clip", "pos", "clip"),
      edge("loader", "clip", "neg", "clip"),
      edge("loader", "unet", "denoise", "unet"),
      edge("pos", "conditioning", "denoise", "positive_conditioning"),
      edge("neg", "conditioning", "denoise", "negative_conditioning"),
      edge("noise", "noise", "denoise", "noise"),
    ],
  };
}

async function embedsOf(item: Awaited<ReturnType<typeof runGraph>>, node: string): Promise<Tensor> {
  const name = (resultOf(item, node).conditioning as { conditioning_name: string }).conditioning_name;
  return (await harness.services.conditioning.load(name)).conditionings[0]!.embeds as Tensor;
}

async function latentsOf(item: Awaited<ReturnType<typeof runGraph>>): Promise<Float32Array> {
  const name = (resultOf(item, "denoise").latents as { latents_name: string }).latents_name;
  return toFloat32(await harness.services.tensors.load(name)).data;
}

describe("prompts of different token lengths", () => {
  it("denoises a positive prompt of several chunks against a one-chunk negative one", async () => {
    const long = Array.from({ length: 60 }, (_, i) => `word${i % 7} and`).join(" ");
    const item = await runGraph(harness.rt, graph(long, "blurry"));
    expect(item.error_message ?? null).toBeNull();
    expect(item.status).toBe("completed");
    const [, tokens] = (await embedsOf(item, "pos")).shape;
    expect(tokens! > 77 && tokens! % 77 === 0).toBe(true);
    expect((await embedsOf(item, "neg")).shape).toEqual([1, 77, 32]);
    const latents = await latentsOf(item);
    expect(latents.every(Number.isFinite)).toBe(true);

    // The negative side really takes part: another negative prompt gives other latents.
    const other = await latentsOf(await runGraph(harness.rt, graph(long, "sharp and bright")));
    expect(other).not.toEqual(latents);
  }, 120_000);

  it("one UNet run per side equals the batched run (what makes the split exact)", async () => {
    const ort = await import("onnxruntime-node");
    const session = await ort.InferenceSession.create(`${DIFFUSION_FIXTURES}/tiny-sd15/onnx/unet/model.onnx`);
    const random = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7919 + i));
    const sample = random(2 * 4 * 8 * 8, 1);
    const hidden = random(2 * 77 * 32, 2);
    const feeds = (batch: number, from: number) => ({
      sample: new ort.Tensor("float32", sample.subarray(from * 256, (from + batch) * 256), [batch, 4, 8, 8]),
      timestep: new ort.Tensor("float32", Float32Array.of(500), []),
      encoder_hidden_states: new ort.Tensor("float32", hidden.subarray(from * 2464, (from + batch) * 2464), [
        batch,
        77,
        32,
      ]),
    });
    const both = (await session.run(feeds(2, 0))).out_sample!.data as Float32Array;
    const first = (await session.run(feeds(1, 0))).out_sample!.data as Float32Array;
    const second = (await session.run(feeds(1, 1))).out_sample!.data as Float32Array;
    const split = new Float32Array(512);
    split.set(first, 0);
    split.set(second, 256);
    let worst = 0;
    for (let i = 0; i < 512; i++) worst = Math.max(worst, Math.abs(split[i]! - both[i]!));
    expect(worst).toBeLessThan(1e-4);
    await session.release();
  });
});
