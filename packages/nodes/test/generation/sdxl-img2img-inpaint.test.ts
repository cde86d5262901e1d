// SDXL image-to-image and inpainting through denoise_latents, run directly on the real model manager (the tiny SDXL
// ONNX pipeline) with every UNet call recorded, against the diffusers reference run `sdxl_euler_10steps_cfg7.5`:
// - every step and every UNet input of the full run equals the reference (started where diffusers starts: see
//   sdxl-text-to-image.test.ts for the img2img trick);
// - image-to-image at denoising_start 0.5 from the reference's own latents after 5 steps (noise zero, so
//   add_noise leaves them as they are) reproduces the reference's last 5 steps; with real noise it starts from
//   latents + σ(t0)·noise;
// - inpainting keeps the preserved region: before every step it is the original re-noised to that step's
//   timestep (what the UNet receives), and at the end it is the original; gradient masks release a region once
//   mask < 1 − t/1000; an inpainting UNet (9 channels; no such fixture, so a wrapper around the real UNet stands in)
//   receives 1 − mask and the masked latents as extra channels.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTensor,
  NodeInputError,
  toFloat32,
  type InvocationContext,
  type ModelIdentifierFieldValue,
  type ModelsInterface,
  type PipelineIntermediateState,
  type Tensor,
} from "@atelier/core";
import { createContextModels, createScheduler } from "@atelier/engine";
import {
  CompelInvocation,
  DenoiseLatentsInvocation,
  MainModelLoaderInvocation,
  SDXLCompelPromptInvocation,
  SDXLModelLoaderInvocation,
  SDXLRefinerCompelPromptInvocation,
  type OnnxSessionLike,
  type OnnxTensorValue,
} from "../../src/index.js";
import {
  DIFFUSION_FIXTURES,
  openDiffusionHarness,
  readReferenceCase,
  worstExcess,
  type DiffusionHarness,
  type ReferenceCase,
} from "../support/diffusion-fixtures.js";
import { runNode } from "../support/run-node.js";
import { createTestContext } from "../support/test-context.js";

interface SdxlCase {
  prompt: string;
  seed: number;
  num_inference_steps: number;
  guidance_scale: number;
  scheduler: { invokeai_name: string; init_noise_sigma: number; sigmas: number[]; timesteps: number[] };
}

const PLANE = 64;
const SIZE = 4 * PLANE;

let harness: DiffusionHarness;
let model: ModelIdentifierFieldValue;
let ref: ReferenceCase<SdxlCase>;
let loaded: Record<string, unknown>;
let positive: unknown;
let negative: unknown;
let schedulerConfig: Record<string, never>;
/** The conditioning store the prompts of beforeAll were saved to (each test context reads from it). */
let sharedConditioning: InvocationContext["conditioning"];

/** One recorded UNet call: the batched sample and the timestep. */
interface UnetCall {
  readonly sample: Float32Array;
  readonly dims: readonly number[];
  readonly timestep: number;
}

/**
 * A session that records each call; with `inpaintChannels` it also claims 9 input channels and hands the first 4
 * of each batch row to the real UNet (standing in for an inpainting model, of which there is no fixture).
 */
function recordingSession(session: OnnxSessionLike, calls: UnetCall[], inpaintChannels: boolean): OnnxSessionLike {
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputMetadata: (session.inputMetadata ?? []).map((m) =>
      m.name === "sample" && inpaintChannels ? { ...m, shape: ["batch", 9, "height", "width"] } : m,
    ),
    async run(feeds: Record<string, OnnxTensorValue>) {
      const sample = feeds.sample!;
      const data = Float32Array.from(sample.data as Float32Array);
      calls.push({ sample: data, dims: sample.dims, timestep: Number((feeds.timestep!.data as Float32Array)[0]) });
      if (!inpaintChannels) return session.run(feeds);
      const [batch = 0, channels = 0, h = 0, w = 0] = sample.dims;
      const inner = new Float32Array(batch * 4 * h * w);
      for (let b = 0; b < batch; b++)
        inner.set(data.subarray(b * channels * h * w, (b * channels + 4) * h * w), b * 4 * h * w);
      return session.run({ ...feeds, sample: { ...sample, dims: [batch, 4, h, w], data: inner } });
    },
  };
}

/** The model manager's context interface with the UNet wrapped by {@link recordingSession}. */
function recordingModels(calls: UnetCall[], inpaintChannels = false): ModelsInterface {
  const models = createContextModels(harness.services.models);
  return {
    ...models,
    async load(identifier, submodelType) {
      const result = await models.load(identifier, submodelType);
      const sub = submodelType ?? (typeof identifier === "string" ? null : identifier.submodel_type);
      if (sub !== "unet") return result;
      const wrap = (m: unknown) => {
        const part = m as { session: OnnxSessionLike; config: unknown };
        return { session: recordingSession(part.session, calls, inpaintChannels), config: part.config };
      };
      return { ...result, use: (fn) => result.use((m) => fn(wrap(m))) } as typeof result;
    },
  };
}

/** A test context on the real models, recording the UNet calls and every step's latents. */
function recordingContext(options: { inpaintChannels?: boolean } = {}) {
  const calls: UnetCall[] = [];
  const steps: { step: number; timestep: number; latents: Float32Array }[] = [];
  const base = createTestContext();
  const context: InvocationContext = Object.assign(base, {
    models: recordingModels(calls, options.inpaintChannels ?? false),
    util: {
      ...base.util,
      sdStepCallback: (state: PipelineIntermediateState) => {
        steps.push({
          step: state.step,
          timestep: state.timestep,
          latents: Float32Array.from(state.latents.data as Float32Array),
        });
      },
    },
  });
  return { context, calls, steps };
}

function scheduler(steps: number, denoisingStart = 0) {
  const s = createScheduler(ref.spec.scheduler.invokeai_name, schedulerConfig);
  s.setTimesteps(steps, { denoisingStart });
  return s;
}

async function saveLatents(context: InvocationContext, data: Float32Array, shape = [1, 4, 8, 8]) {
  return { latents_name: await context.tensors.save(createTensor("float32", shape, data)), seed: ref.spec.seed };
}

async function denoise(context: InvocationContext, inputs: Record<string, unknown>): Promise<Float32Array> {
  const out = await runNode(
    DenoiseLatentsInvocation,
    {
      unet: loaded.unet,
      positive_conditioning: positive,
      negative_conditioning: negative,
      steps: ref.spec.num_inference_steps,
      cfg_scale: ref.spec.guidance_scale,
      scheduler: ref.spec.scheduler.invokeai_name,
      ...inputs,
    },
    context,
  );
  return toFloat32(await context.tensors.load((out.latents as { latents_name: string }).latents_name)).data;
}

/** Row k of a [K, ...] reference tensor. */
function row(name: string, k: number, size: number): Float32Array {
  return ref.float(name).subarray(k * size, (k + 1) * size);
}

/** The latent pixels (of 8×8) in columns < 4: the left half. */
const leftHalf = (i: number) => i % 8 < 4;

beforeAll(async () => {
  harness = await openDiffusionHarness("atelier-sdxl-i2i-");
  model = await harness.install("tiny-sdxl");
  ref = await readReferenceCase<SdxlCase>("sdxl_euler_10steps_cfg7.5");
  const { readFile } = await import("node:fs/promises");
  schedulerConfig = JSON.parse(
    await readFile(path.join(DIFFUSION_FIXTURES, "tiny-sdxl/onnx/scheduler/scheduler_config.json"), "utf8"),
  ) as Record<string, never>;
  const { context } = recordingContext();
  loaded = (await runNode(SDXLModelLoaderInvocation, { model }, context)) as Record<string, unknown>;
  const prompt = (text: string) =>
    runNode(
      SDXLCompelPromptInvocation,
      {
        prompt: text,
        clip: loaded.clip,
        clip2: loaded.clip2,
        original_width: 64,
        original_height: 64,
        target_width: 64,
        target_height: 64,
      },
      context,
    );
  const pos = await prompt(ref.spec.prompt);
  const neg = await prompt(" ");
  positive = pos.conditioning;
  negative = neg.conditioning;
  sharedConditioning = context.conditioning;
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

/** A recording context that sees the conditioning made in beforeAll. */
function run(options: { inpaintChannels?: boolean } = {}) {
  const r = recordingContext(options);
  Object.assign(r.context, { conditioning: sharedConditioning });
  return r;
}

describe("SDXL denoise_latents, step by step", () => {
  it("feeds the SDXL UNet what diffusers fed it and matches every step", async () => {
    const { context, calls, steps } = run();
    const noise = ref.float("noise");
    const s = scheduler(10);
    const sigma0 = s.addNoise(new Float32Array([0]), new Float32Array([1]), s.initTimestep!)[0]!;
    const init = noise.map((v) => (ref.spec.scheduler.init_noise_sigma - sigma0) * v);
    const final = await denoise(context, {
      noise: await saveLatents(context, noise),
      latents: await saveLatents(context, init),
    });
    expect(calls).toHaveLength(10);
    calls.forEach((call, k) => {
      expect(call.dims).toEqual([2, 4, 8, 8]);
      expect(call.timestep).toBe(ref.spec.scheduler.timesteps[k]);
      expect(
        worstExcess(call.sample, row("unet_sample", k, 2 * SIZE), 1e-3, 1e-4),
        `unet_sample ${k}`,
      ).toBeLessThanOrEqual(0);
    });
    const after = steps.filter((x) => x.step >= 0);
    expect(after).toHaveLength(10);
    after.forEach((x, k) =>
      expect(worstExcess(x.latents, row("step_latents", k, SIZE), 1e-3, 1e-4), `step ${k}`).toBeLessThanOrEqual(0),
    );
    expect(worstExcess(final, ref.float("final_latents"), 1e-3, 1e-4)).toBeLessThanOrEqual(0);
  }, 60_000);
});

describe("SDXL image-to-image (denoising_start 0.5)", () => {
  it("continues the reference run from its latents after 5 steps: the last 5 steps equal the reference's", async () => {
    const { context, calls, steps } = run();
    const final = await denoise(context, {
      noise: await saveLatents(context, new Float32Array(SIZE)),
      latents: await saveLatents(context, row("step_latents", 4, SIZE)),
      denoising_start: 0.5,
    });
    // InvokeAI keeps the timesteps below 1000·(1 − 0.5): 401 … 1.
    expect(calls.map((c) => c.timestep)).toEqual(ref.spec.scheduler.timesteps.slice(5));
    const after = steps.filter((x) => x.step >= 0);
    after.forEach((x, k) =>
      expect(worstExcess(x.latents, row("step_latents", 5 + k, SIZE), 1e-3, 1e-4), `step ${5 + k}`).toBeLessThanOrEqual(
        0,
      ),
    );
    expect(worstExcess(final, ref.float("final_latents"), 1e-3, 1e-4)).toBeLessThanOrEqual(0);
  }, 60_000);

  it("starts from latents + σ(t0)·noise and feeds the UNet that, scaled by 1/√(σ²+1)", async () => {
    const { context, calls, steps } = run();
    const latents = ref.float("final_latents").map((v) => v / 10);
    const noise = ref.float("noise");
    const final = await denoise(context, {
      noise: await saveLatents(context, noise),
      latents: await saveLatents(context, latents),
      denoising_start: 0.5,
    });
    const s = scheduler(10, 0.5);
    expect(s.initTimestep).toBe(401);
    const sigma = s.sigmas![5]!;
    const start = latents.map((v, i) => v + sigma * noise[i]!);
    expect(worstExcess(steps[0]!.latents, start, 1e-5, 1e-6)).toBeLessThanOrEqual(0);
    const scaled = start.map((v) => v / Math.sqrt(sigma * sigma + 1));
    expect(worstExcess(calls[0]!.sample.subarray(0, SIZE), scaled, 1e-5, 1e-6)).toBeLessThanOrEqual(0);
    expect(worstExcess(calls[0]!.sample.subarray(SIZE), scaled, 1e-5, 1e-6)).toBeLessThanOrEqual(0);
    expect(calls).toHaveLength(5);
    expect(final.every(Number.isFinite)).toBe(true);
    expect(worstExcess(final, latents, 1e-3, 1e-4)).toBeGreaterThan(0);
  }, 60_000);
});

/** A [1, 1, 64, 64] image-resolution mask: 1 (preserve) on the left half, `right` on the right half. */
function halfMask(right: number): Float32Array {
  const mask = new Float32Array(64 * 64);
  for (let i = 0; i < mask.length; i++) mask[i] = i % 64 < 32 ? 1 : right;
  return mask;
}

/** The unscaled latents of batch row 0 of a call (the sample times √(σ²+1)). */
function unscaled(call: UnetCall, sigma: number): Float32Array {
  const f = Math.sqrt(sigma * sigma + 1);
  return call.sample.subarray(0, SIZE).map((v) => v * f);
}

function region(data: Float32Array, keep: (pixel: number) => boolean): Float32Array {
  return data.filter((_, i) => keep(i % PLANE));
}

describe("SDXL inpainting with denoise_mask", () => {
  it("re-noises the preserved region to each step's timestep and restores it at the end", async () => {
    const { context, calls } = run();
    const original = ref.float("final_latents").map((v) => v / 10);
    const noise = ref.float("noise");
    const maskName = await context.tensors.save(createTensor("float32", [1, 1, 64, 64], halfMask(0)));
    const final = await denoise(context, {
      noise: await saveLatents(context, noise),
      latents: await saveLatents(context, original),
      denoise_mask: { mask_name: maskName, masked_latents_name: null, gradient: false },
    });
    const s = scheduler(10);
    expect(calls).toHaveLength(10);
    calls.forEach((call, k) => {
      const sigma = s.sigmas![k]!;
      const renoised = original.map((v, i) => v + sigma * noise[i]!);
      const x = unscaled(call, sigma);
      expect(worstExcess(region(x, leftHalf), region(renoised, leftHalf), 1e-4, 1e-5), `call ${k}`).toBeLessThanOrEqual(
        0,
      );
      // The repainted half follows the denoiser, not the original (after the first step).
      if (k > 0)
        expect(
          worstExcess(
            region(x, (p) => !leftHalf(p)),
            region(renoised, (p) => !leftHalf(p)),
            1e-3,
            1e-3,
          ),
        ).toBeGreaterThan(0);
    });
    expect(worstExcess(region(final, leftHalf), region(original, leftHalf), 1e-6, 0)).toBeLessThanOrEqual(0);
    expect(
      worstExcess(
        region(final, (p) => !leftHalf(p)),
        region(original, (p) => !leftHalf(p)),
        1e-3,
        1e-3,
      ),
    ).toBeGreaterThan(0);
  }, 60_000);

  it("a mask of zeros changes nothing; a mask of ones returns the original", async () => {
    const original = ref.float("final_latents").map((v) => v / 10);
    const noise = ref.float("noise");
    const once = async (mask: Float32Array | null) => {
      const { context } = run();
      const denoiseMask =
        mask === null
          ? null
          : {
              mask_name: await context.tensors.save(createTensor("float32", [1, 1, 8, 8], mask)),
              masked_latents_name: null,
              gradient: false,
            };
      return denoise(context, {
        noise: await saveLatents(context, noise),
        latents: await saveLatents(context, original),
        denoising_start: 0.3,
        denoise_mask: denoiseMask,
      });
    };
    const plain = await once(null);
    expect(worstExcess(await once(new Float32Array(PLANE)), plain, 1e-6, 1e-6)).toBeLessThanOrEqual(0);
    expect(worstExcess(await once(new Float32Array(PLANE).fill(1)), original, 1e-6, 0)).toBeLessThanOrEqual(0);
  }, 60_000);

  it("a gradient mask holds a region at 0.5 while t > 500 and releases it after; 1 stays the original", async () => {
    const { context, calls } = run();
    const original = ref.float("final_latents").map((v) => v / 10);
    const noise = ref.float("noise");
    const maskName = await context.tensors.save(createTensor("float32", [1, 1, 64, 64], halfMask(0.5)));
    const final = await denoise(context, {
      noise: await saveLatents(context, noise),
      latents: await saveLatents(context, original),
      denoise_mask: { mask_name: maskName, masked_latents_name: null, gradient: true },
    });
    const s = scheduler(10);
    const right = (p: number) => !leftHalf(p);
    calls.forEach((call, k) => {
      const sigma = s.sigmas![k]!;
      const renoised = original.map((v, i) => v + sigma * noise[i]!);
      const x = unscaled(call, sigma);
      expect(worstExcess(region(x, leftHalf), region(renoised, leftHalf), 1e-4, 1e-5), `left ${k}`).toBeLessThanOrEqual(
        0,
      );
      const held = worstExcess(region(x, right), region(renoised, right), 1e-4, 1e-5) <= 0;
      // 0.5 < 1 − t/1000 only once t < 500.
      expect(held, `right ${k} at t ${call.timestep}`).toBe(call.timestep >= 500 || k === 0);
    });
    expect(worstExcess(region(final, leftHalf), region(original, leftHalf), 1e-6, 0)).toBeLessThanOrEqual(0);
    expect(worstExcess(region(final, right), region(original, right), 1e-3, 1e-3)).toBeGreaterThan(0);
  }, 60_000);

  it("an inpainting UNet (9 channels) gets [latents, 1 − mask, masked latents] and no re-noising", async () => {
    const { context, calls } = run({ inpaintChannels: true });
    const original = ref.float("final_latents").map((v) => v / 10);
    const noise = ref.float("noise");
    const maskName = await context.tensors.save(createTensor("float32", [1, 1, 64, 64], halfMask(0)));
    const final = await denoise(context, {
      noise: await saveLatents(context, noise),
      latents: await saveLatents(context, original),
      denoise_mask: { mask_name: maskName, masked_latents_name: null, gradient: false },
    });
    const s = scheduler(10);
    const perRow = 9 * PLANE;
    calls.forEach((call, k) => {
      expect(call.dims).toEqual([2, 9, 8, 8]);
      for (let b = 0; b < 2; b++) {
        const maskChannel = call.sample.subarray(b * perRow + SIZE, b * perRow + SIZE + PLANE);
        expect(Array.from(maskChannel)).toEqual(Array.from({ length: PLANE }, (_, p) => (leftHalf(p) ? 0 : 1)));
        // No masked_latents_name: InvokeAI masks the input latents itself (kept where mask ≥ 0.5).
        const masked = call.sample.subarray(b * perRow + SIZE + PLANE, (b + 1) * perRow);
        expect(Array.from(masked)).toEqual(Array.from(original, (v, i) => (leftHalf(i % PLANE) ? v : 0)));
      }
      if (k > 0) {
        const sigma = s.sigmas![k]!;
        const renoised = original.map((v, i) => v + sigma * noise[i]!);
        const x = new Float32Array(call.sample.subarray(0, SIZE)).map((v) => v * Math.sqrt(sigma * sigma + 1));
        expect(worstExcess(region(x, leftHalf), region(renoised, leftHalf), 1e-4, 1e-5)).toBeGreaterThan(0);
      }
    });
    expect(worstExcess(region(final, leftHalf), region(original, leftHalf), 1e-6, 0)).toBeLessThanOrEqual(0);
  }, 60_000);
});

describe("SDXL prompt nodes and conditioning checks", () => {
  it("an empty prompt gives zeros (InvokeAI's zero_on_empty); a style prompt feeds the second encoder", async () => {
    const { context } = run();
    const base = {
      clip: loaded.clip,
      clip2: loaded.clip2,
      original_width: 64,
      original_height: 64,
      target_width: 64,
      target_height: 64,
    };
    const load = async (out: Record<string, unknown>) =>
      (await context.conditioning.load((out.conditioning as { conditioning_name: string }).conditioning_name))
        .conditionings[0] as { embeds: Tensor; pooled_embeds: Tensor; add_time_ids: Tensor };
    const empty = await load(await runNode(SDXLCompelPromptInvocation, { ...base, prompt: "" }, context));
    expect(empty.embeds.shape).toEqual([1, 77, 64]);
    expect(toFloat32(empty.embeds).data.every((v) => v === 0)).toBe(true);
    expect(empty.pooled_embeds.shape).toEqual([1, 32]);
    expect(toFloat32(empty.pooled_embeds).data.every((v) => v === 0)).toBe(true);

    const styled = await load(
      await runNode(SDXLCompelPromptInvocation, { ...base, prompt: ref.spec.prompt, style: "oil painting" }, context),
    );
    const embeds = toFloat32(styled.embeds).data;
    const refEmbeds = ref.float("prompt_embeds");
    const half = (data: Float32Array, second: boolean) => data.filter((_, i) => i % 64 >= 32 === second);
    expect(worstExcess(half(embeds, false), half(refEmbeds, false), 1e-5, 0)).toBeLessThanOrEqual(0);
    expect(worstExcess(half(embeds, true), half(refEmbeds, true), 1e-3, 0)).toBeGreaterThan(0);
  }, 60_000);

  it("parses Compel's syntax on both encoders: a weighted word moves both halves; a syntax error names the field", async () => {
    const { context } = run();
    const base = { clip: loaded.clip, clip2: loaded.clip2 };
    const embeds = async (prompt: string) => {
      const out = await runNode(SDXLCompelPromptInvocation, { ...base, prompt }, context);
      const data = await context.conditioning.load(
        (out.conditioning as { conditioning_name: string }).conditioning_name,
      );
      return toFloat32((data.conditionings[0] as { embeds: Tensor }).embeds).data;
    };
    const plain = await embeds("a red horse");
    const weighted = await embeds("a red (horse)1.5");
    const half = (data: Float32Array, second: boolean) => data.filter((_, i) => i % 64 >= 32 === second);
    for (const second of [false, true]) {
      expect(worstExcess(half(weighted, second), half(plain, second), 1e-4, 0)).toBeGreaterThan(0);
    }
    // Weight 1 is the plain prompt.
    expect(worstExcess(await embeds("a red (horse)1.0"), plain, 1e-5, 0)).toBeLessThanOrEqual(0);
    await expect(
      runNode(SDXLCompelPromptInvocation, { ...base, prompt: "a horse", style: '("a", "b").blend(1)' }, context),
    ).rejects.toThrow(/field style/);
  }, 60_000);

  it("sdxl_refiner_compel_prompt: TE2 only, pooled, and [h, w, top, left, aesthetic score] time ids", async () => {
    const { context } = run();
    const out = await runNode(
      SDXLRefinerCompelPromptInvocation,
      {
        style: ref.spec.prompt,
        clip2: loaded.clip2,
        original_width: 48,
        original_height: 64,
        crop_top: 2,
        crop_left: 3,
        aesthetic_score: 2.5,
      },
      context,
    );
    const data = (
      await context.conditioning.load((out.conditioning as { conditioning_name: string }).conditioning_name)
    ).conditionings[0] as { kind: string; embeds: Tensor; pooled_embeds: Tensor; add_time_ids: Tensor };
    expect(data.kind).toBe("sdxl");
    expect(data.embeds.shape).toEqual([1, 77, 32]);
    const te2 = ref.float("prompt_embeds").filter((_, i) => i % 64 >= 32);
    expect(worstExcess(toFloat32(data.embeds).data, te2, 1e-5, 0)).toBeLessThanOrEqual(0);
    expect(
      worstExcess(toFloat32(data.pooled_embeds).data, ref.float("pooled_prompt_embeds"), 1e-5, 0),
    ).toBeLessThanOrEqual(0);
    expect(Array.from(toFloat32(data.add_time_ids).data)).toEqual([64, 48, 2, 3, 2.5]);
  }, 60_000);

  it("CLIP skip reads a lower hidden layer of the first encoder; the second (pooled) refuses it", async () => {
    const { context } = run();
    const clip = loaded.clip as { text_encoder: ModelIdentifierFieldValue; skipped_layers: number };
    const out = await runNode(
      SDXLCompelPromptInvocation,
      { prompt: ref.spec.prompt, clip: { ...clip, skipped_layers: 1 }, clip2: loaded.clip2 },
      context,
    );
    const data = (
      await context.conditioning.load((out.conditioning as { conditioning_name: string }).conditioning_name)
    ).conditionings[0] as { embeds: Tensor };
    // With 2 layers, the penultimate of the model cut by one layer is hidden_states.0 (the embeddings).
    const encoder = await context.models.load(clip.text_encoder);
    const expected = await encoder.use(async (m) => {
      const session = (m as { session: OnnxSessionLike }).session;
      const ids = ref.ids("input_ids");
      const outputs = await session.run({
        input_ids: { type: "int64", location: "cpu", dims: [1, 77], data: BigInt64Array.from(ids, BigInt) },
      });
      return Float32Array.from(outputs["hidden_states.0"]!.data as Float32Array);
    });
    const te1 = toFloat32(data.embeds).data.filter((_, i) => i % 64 < 32);
    expect(worstExcess(te1, expected, 1e-6, 0)).toBeLessThanOrEqual(0);
    const refTe1 = ref.float("prompt_embeds").filter((_, i) => i % 64 < 32);
    expect(worstExcess(te1, refTe1, 1e-3, 0)).toBeGreaterThan(0);
    const clip2 = loaded.clip2 as { skipped_layers: number };
    await expect(
      runNode(
        SDXLCompelPromptInvocation,
        { prompt: "x", clip: loaded.clip, clip2: { ...clip2, skipped_layers: 1 } },
        context,
      ),
    ).rejects.toThrow(/pooled embedding with skipped_layers 1/);
  }, 60_000);

  it("refuses SD1.5 conditioning on an SDXL UNet, and mixed conditioning kinds, naming the field", async () => {
    const { context } = run();
    const sd = await harness.install("tiny-sd15");
    const sdLoaded = (await runNode(MainModelLoaderInvocation, { model: sd }, context)) as Record<string, unknown>;
    const basic = (await runNode(CompelInvocation, { prompt: "a cat", clip: sdLoaded.clip }, context)).conditioning;
    const noise = await saveLatents(context, ref.float("noise"));
    const attempt = (pos: unknown, neg: unknown) =>
      runNode(
        DenoiseLatentsInvocation,
        { unet: loaded.unet, positive_conditioning: pos, negative_conditioning: neg, noise, steps: 2 },
        context,
      );
    await expect(attempt(basic, basic)).rejects.toThrow(/positive_conditioning.*SDXL UNet.*sdxl_compel_prompt/);
    await expect(attempt(positive, basic)).rejects.toBeInstanceOf(NodeInputError);
    await expect(attempt(positive, basic)).rejects.toThrow(/negative_conditioning.*basic.*sdxl/);
  }, 60_000);
});
