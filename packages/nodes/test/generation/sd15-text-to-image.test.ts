// SD1.5 text-to-image end to end: the tiny ONNX pipeline installed through the model manager into a temp root, then
// main_model_loader → compel (pos, neg) → noise → denoise_latents → l2i run through the real queue, compared with
// the diffusers reference run `sd15_euler_4steps_cfg7.5`.
//
// InvokeAI differs from that diffusers run in three ways; for this case none changes the numbers:
// - start latents: InvokeAI starts from scheduler.add_noise(zeros, noise, t0). For Euler with linspace spacing,
//   t0 = 999 is the first schedule entry, so add_noise gives noise · sigmas[0] = noise · 14.6146, and diffusers'
//   init_noise_sigma is sigma_max = sigmas[0] too (no sqrt(σ²+1): that is only for leading/trailing spacing). The
//   test checks this rather than assuming it.
// - step noise seeded with seed ^ 0xFFFFFFFF: Euler (not ancestral) draws no step noise.
// - CFG always batched: at guidance 7.5 diffusers batches [uncond, cond] as well.
import { readFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toFloat32, type ModelIdentifierFieldValue, type RawImage, type Tensor } from "@atelier/core";
import { createScheduler, loadTokenizer } from "@atelier/engine";
import {
  DIFFUSION_FIXTURES,
  edge,
  openDiffusionHarness,
  planarToInterleaved255,
  readReferenceCase,
  resultOf,
  runGraph,
  worstExcess,
  type DiffusionHarness,
  type ReferenceCase,
} from "../support/diffusion-fixtures.js";

interface CaseJson {
  prompt: string;
  negative_prompt: string;
  seed: number;
  num_inference_steps: number;
  guidance_scale: number;
  height: number;
  width: number;
  scheduler: { invokeai_name: string; init_noise_sigma: number; sigmas: number[] };
}

let harness: DiffusionHarness;
let model: ModelIdentifierFieldValue;
let ref: ReferenceCase<CaseJson>;
let spec: CaseJson;

beforeAll(async () => {
  harness = await openDiffusionHarness("atelier-sd15-");
  model = await harness.install("tiny-sd15");
  expect(model).toMatchObject({ type: "main", base: "sd-1" });
  expect(await harness.services.models.records.get(model.key)).toMatchObject({ format: "onnx" });
  ref = await readReferenceCase<CaseJson>("sd15_euler_4steps_cfg7.5");
  spec = ref.spec;
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

function text2imageGraph(): Record<string, unknown> {
  return {
    id: "sd15-t2i",
    nodes: {
      loader: { id: "loader", type: "main_model_loader", model },
      pos: { id: "pos", type: "compel", prompt: spec.prompt },
      neg: { id: "neg", type: "compel", prompt: spec.negative_prompt },
      noise: { id: "noise", type: "noise", seed: spec.seed, width: spec.width, height: spec.height },
      denoise: {
        id: "denoise",
        type: "denoise_latents",
        steps: spec.num_inference_steps,
        cfg_scale: spec.guidance_scale,
        scheduler: spec.scheduler.invokeai_name,
      },
      decode: { id: "decode", type: "l2i" },
    },
    edges: [
      edge("loader", "clip", "pos", "clip"),
      edge("loader", "clip", "neg", "clip"),
      edge("loader", "unet", "denoise", "unet"),
      edge("loader", "vae", "decode", "vae"),
      edge("pos", "conditioning", "denoise", "positive_conditioning"),
      edge("neg", "conditioning", "denoise", "negative_conditioning"),
      edge("noise", "noise", "denoise", "noise"),
      edge("denoise", "latents", "decode", "latents"),
    ],
  };
}

describe("SD1.5 text-to-image on the tiny ONNX pipeline", () => {
  it("tokenizes the prompts exactly as the reference", async () => {
    const config = await harness.services.models.records.get(model.key);
    const folder = path.join(harness.services.config.paths.models, config.path, "tokenizer");
    const tokenizer = await loadTokenizer(path.isAbsolute(config.path) ? path.join(config.path, "tokenizer") : folder);
    expect(tokenizer.tokenize(spec.prompt).ids).toEqual(ref.ids("input_ids"));
    expect(tokenizer.tokenize(spec.negative_prompt).ids).toEqual(ref.ids("negative_input_ids"));
  });

  it("InvokeAI's start latents equal diffusers' here: add_noise(0, noise, 999) = noise · init_noise_sigma", async () => {
    const file = path.join(DIFFUSION_FIXTURES, "tiny-sd15/onnx/scheduler/scheduler_config.json");
    const scheduler = createScheduler(
      spec.scheduler.invokeai_name,
      JSON.parse(await readFile(file, "utf8")) as Record<string, never>,
    );
    scheduler.setTimesteps(spec.num_inference_steps);
    const noise = ref.float("noise");
    const invoke = scheduler.addNoise(new Float32Array(noise.length), noise, scheduler.initTimestep!);
    expect(spec.scheduler.init_noise_sigma).toBeCloseTo(spec.scheduler.sigmas[0]!, 5);
    expect(worstExcess(invoke, ref.float("start_latents"), 1e-5, 1e-6)).toBeLessThanOrEqual(0);
  });

  it("runs loader → compel ×2 → noise → denoise_latents → l2i through the queue and matches the reference", async () => {
    const progress: { source: string; message: string; percentage: number | null; preview: boolean }[] = [];
    harness.services.events.onAny((e) => {
      if (e.name !== "invocation_progress") return;
      const p = e.payload as {
        invocation_source_id: string;
        message: string;
        percentage: number | null;
        image: unknown;
      };
      progress.push({
        source: p.invocation_source_id,
        message: p.message,
        percentage: p.percentage,
        preview: p.image !== null,
      });
    });
    const item = await runGraph(harness.rt, text2imageGraph());
    expect(item.error_message ?? null).toBeNull();
    expect(item.status).toBe("completed");
    const results = item.session.results;
    const byType = (type: string) => Object.values(results).filter((r) => r.type === type);

    // Progress with a preview before the loop and after each of the 4 steps.
    const denoising = progress.filter((p) => p.source === "denoise" && p.message === "Denoising");
    expect(denoising).toHaveLength(spec.num_inference_steps + 1);
    expect(denoising.every((p) => p.preview)).toBe(true);
    // InvokeAI numbers the steps -1 (before the loop), 0 … n−1, so the last report is (n−1)/n.
    const percentages = denoising.map((p) => p.percentage!);
    expect(percentages.slice(1)).toEqual([0, 1, 2, 3].map((i) => i / spec.num_inference_steps));

    // Conditioning: the stored embeddings are the text encoder's output for the exact ids.
    const [posOut, negOut] = ["pos", "neg"].map(
      (id) => resultOf(item, id).conditioning as { conditioning_name: string },
    );
    const pos = await harness.services.conditioning.load(posOut!.conditioning_name);
    const neg = await harness.services.conditioning.load(negOut!.conditioning_name);
    expect(pos.conditionings[0]!.kind).toBe("basic");
    const posEmbeds = (pos.conditionings[0] as { embeds: Tensor }).embeds;
    expect(posEmbeds.shape).toEqual([1, 77, 32]);
    expect(worstExcess(toFloat32(posEmbeds).data, ref.float("prompt_embeds"), 1e-5, 0)).toBeLessThanOrEqual(0);
    const negEmbeds = (neg.conditionings[0] as { embeds: Tensor }).embeds;
    expect(worstExcess(toFloat32(negEmbeds).data, ref.float("negative_prompt_embeds"), 1e-5, 0)).toBeLessThanOrEqual(0);

    // Final latents (they grow to |x| ~ 100 with random weights: the README's relative tolerance).
    const [latentsOut] = byType("latents_output");
    const latents = await harness.services.tensors.load((latentsOut!.latents as { latents_name: string }).latents_name);
    expect(latents.shape).toEqual([1, 4, 8, 8]);
    expect(worstExcess(toFloat32(latents).data, ref.float("final_latents"), 1e-3, 1e-4)).toBeLessThanOrEqual(0);

    // Decoded image, against the reference tensor and the reference PNG (within 2 levels).
    const [imageOut] = byType("image_output");
    const image: RawImage = await harness.services.images.getImage(
      (imageOut!.image as { image_name: string }).image_name,
      "RGB",
    );
    expect([image.width, image.height]).toEqual([64, 64]);
    const expected = planarToInterleaved255(ref.float("image"), 64, 64);
    expect(worstExcess(image.data, expected, 0.5 + 1e-3, 0)).toBeLessThanOrEqual(0);
    const png = await sharp(path.join(ref.dir, "image.png")).removeAlpha().raw().toBuffer();
    expect(worstExcess(image.data, png, 2, 0)).toBeLessThanOrEqual(0);
  }, 60_000);
});
