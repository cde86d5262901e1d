// flux_denoise's options beyond plain text-to-image, on the real tiny FLUX ONNX transformer (installed through the
// model manager) with an in-memory context that records each transformer call and step callback: inpainting with
// a denoise mask, CFG with a negative prompt and a step range, and the step reports. Plus the pure helpers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTensor,
  NodeInputError,
  toFloat32,
  type InvocationContext,
  type ModelIdentifierFieldValue,
  type ModelsInterface,
  type PipelineIntermediateState,
} from "@atelier/core";
import { createContextModels } from "@atelier/engine";
import {
  clipFluxSchedule,
  fluxCfgScales,
  FluxDenoiseInvocation,
  FluxModelLoaderInvocation,
  fluxNoise,
  fluxSchedule,
  FluxTextEncoderInvocation,
  packLatents,
  resizeBilinear,
  unpackLatents,
  type OnnxSessionLike,
  type OnnxTensorValue,
} from "../../src/index.js";
import {
  openDiffusionHarness,
  readReferenceCase,
  worstExcess,
  type DiffusionHarness,
  type ReferenceCase,
} from "../support/diffusion-fixtures.js";
import { runNode } from "../support/run-node.js";
import { createTestContext } from "../support/test-context.js";

const SHAPE = [1, 16, 8, 8] as const;
const SIZE = 16 * 64;

interface TransformerCall {
  readonly hidden: Float32Array;
  readonly timestep: number;
  readonly text: Float32Array;
  readonly out: Float32Array;
}

let h: DiffusionHarness;
let model: ModelIdentifierFieldValue;
let ref: ReferenceCase<{ prompt: string; seed: number }>;
let loaderOut: Record<string, unknown>;

function recordingModels(calls: TransformerCall[]): ModelsInterface {
  const models = createContextModels(h.services.models);
  return {
    ...models,
    async load(identifier, submodelType) {
      const result = await models.load(identifier, submodelType);
      const sub = submodelType ?? (typeof identifier === "string" ? null : identifier.submodel_type);
      if (sub !== "transformer") return result;
      const wrap = (m: unknown) => {
        const part = m as { session: OnnxSessionLike; config: unknown };
        const session: OnnxSessionLike = {
          inputNames: part.session.inputNames,
          outputNames: part.session.outputNames,
          inputMetadata: part.session.inputMetadata ?? [],
          async run(feeds: Record<string, OnnxTensorValue>) {
            const outputs = await part.session.run(feeds);
            calls.push({
              hidden: Float32Array.from(feeds.hidden_states!.data as Float32Array),
              timestep: (feeds.timestep!.data as Float32Array)[0]!,
              text: Float32Array.from(feeds.encoder_hidden_states!.data as Float32Array),
              out: Float32Array.from(Object.values(outputs)[0]!.data as Float32Array),
            });
            return outputs;
          },
        };
        return { session, config: part.config };
      };
      return { ...result, use: (fn) => result.use((m) => fn(wrap(m))) } as typeof result;
    },
  };
}

function recordingContext() {
  const calls: TransformerCall[] = [];
  const steps: PipelineIntermediateState[] = [];
  const base = createTestContext();
  const context: InvocationContext = Object.assign(base, {
    models: recordingModels(calls),
    util: { ...base.util, fluxStepCallback: (state: PipelineIntermediateState) => void steps.push(state) },
  });
  return { context, calls, steps };
}

async function encodePrompt(context: InvocationContext, prompt: string): Promise<unknown> {
  const out = await runNode(
    FluxTextEncoderInvocation,
    { clip: loaderOut.clip, t5_encoder: loaderOut.t5_encoder, t5_max_seq_len: 512, prompt },
    context,
  );
  return out.conditioning;
}

async function denoise(context: InvocationContext, inputs: Record<string, unknown>): Promise<Float32Array> {
  const out = await runNode(
    FluxDenoiseInvocation,
    {
      transformer: loaderOut.transformer,
      positive_text_conditioning: await encodePrompt(context, ref.spec.prompt),
      width: 64,
      height: 64,
      num_steps: 4,
      guidance: 3.5,
      seed: ref.spec.seed,
      ...inputs,
    },
    context,
  );
  return toFloat32(await context.tensors.load((out.latents as { latents_name: string }).latents_name)).data;
}

async function saveLatents(context: InvocationContext, data: Float32Array) {
  return { latents_name: await context.tensors.save(createTensor("float32", SHAPE, data)), seed: null };
}

/** Packed tokens whose 2×2 patch lies in latent columns < 4 (the left half of the 8×8 latents). */
const leftTokens = (data: Float32Array) => data.filter((_, i) => Math.floor(i / 64) % 4 < 2);
const rightTokens = (data: Float32Array) => data.filter((_, i) => Math.floor(i / 64) % 4 >= 2);

beforeAll(async () => {
  h = await openDiffusionHarness("atelier-flux-options-");
  model = await h.install("tiny-flux");
  ref = await readReferenceCase("flux_4steps_guidance3.5");
  loaderOut = await runNode(FluxModelLoaderInvocation, { model }, recordingContext().context);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe("FLUX sampling helpers", () => {
  it("packs and unpacks latents as inverse permutations, token-major", () => {
    const data = Float32Array.from({ length: SIZE }, (_, i) => i);
    const packed = packLatents(data, SHAPE);
    // Token 0 holds channel 0's 2×2 patch first: (0,0), (0,1), (1,0), (1,1) → 0, 1, 8, 9.
    expect(Array.from(packed.subarray(0, 8))).toEqual([0, 1, 8, 9, 64, 65, 72, 73]);
    expect(Array.from(unpackLatents(packed, SHAPE))).toEqual(Array.from(data));
  });

  it("expands and validates per-step CFG scales as InvokeAI's prep_cfg_scale does", () => {
    expect(fluxCfgScales(3, 4, 0, -1)).toEqual([3, 3, 3, 3]);
    expect(fluxCfgScales(3, 4, 1, -2)).toEqual([1, 3, 3, 1]);
    expect(fluxCfgScales([2, 3, 4, 5], 4, -2, -1)).toEqual([1, 1, 4, 5]);
    expect(fluxCfgScales([2, 3], 4, 0, -1)).toMatch(/2 values for 4 steps/);
    expect(fluxCfgScales(3, 4, 4, -1)).toMatch(/cfg_scale_start_step 4/);
    expect(fluxCfgScales(3, 4, 2, 1)).toMatch(/comes after/);
  });

  it("resizes masks bilinearly without antialiasing (align_corners=False)", () => {
    // 2×2 → 4×4: source positions −0.25, 0.25, 0.75, 1.25 clamp to the edges.
    const out = resizeBilinear(Float32Array.from([0, 1, 2, 3]), 2, 2, 4, 4);
    expect(Array.from(out.subarray(0, 4))).toEqual([0, 0.25, 0.75, 1]);
    expect(Array.from(out.subarray(12, 16))).toEqual([2, 2.25, 2.75, 3]);
  });
});

describe("flux_denoise inpainting", () => {
  it("keeps the preserved half on the noised init path at every step and restores it at the end", async () => {
    const { context, calls } = recordingContext();
    const init = ref.float("final_latents_unpacked");
    // An image-size mask (as create_denoise_mask makes): 1 = preserve on the left half, 0 = repaint.
    const mask = Float32Array.from({ length: 64 * 64 }, (_, i) => (i % 64 < 32 ? 1 : 0));
    const final = await denoise(context, {
      latents: await saveLatents(context, init),
      denoise_mask: {
        mask_name: await context.tensors.save(createTensor("float32", [1, 1, 64, 64], mask)),
        masked_latents_name: null,
        gradient: false,
      },
    });
    const schedule = fluxSchedule(4, 16);
    const noise = fluxNoise(ref.spec.seed, 64, 64).data;
    expect(calls).toHaveLength(4);
    calls.forEach((call, k) => {
      const t = schedule[k]!;
      const noised = packLatents(
        init.map((v, i) => t * noise[i]! + (1 - t) * v),
        SHAPE,
      );
      expect(worstExcess(leftTokens(call.hidden), leftTokens(noised), 1e-6, 1e-6), `call ${k}`).toBeLessThanOrEqual(0);
      if (k > 0)
        expect(worstExcess(rightTokens(call.hidden), rightTokens(noised), 1e-3, 0), `call ${k}`).toBeGreaterThan(0);
    });
    const packedFinal = packLatents(final, SHAPE);
    const packedInit = packLatents(init, SHAPE);
    expect(worstExcess(leftTokens(packedFinal), leftTokens(packedInit), 1e-6, 0)).toBeLessThanOrEqual(0);
    expect(worstExcess(rightTokens(packedFinal), rightTokens(packedInit), 1e-3, 0)).toBeGreaterThan(0);
  }, 60_000);

  it("a mask of zeros changes nothing; a mask of ones returns the init latents", async () => {
    const init = ref.float("final_latents_unpacked");
    const once = async (value: number | null) => {
      const { context } = recordingContext();
      const denoiseMask =
        value === null
          ? null
          : {
              mask_name: await context.tensors.save(
                createTensor("float32", [1, 1, 8, 8], new Float32Array(64).fill(value)),
              ),
              masked_latents_name: null,
              gradient: false,
            };
      return denoise(context, {
        latents: await saveLatents(context, init),
        denoising_start: 0.3,
        denoise_mask: denoiseMask,
      });
    };
    const plain = await once(null);
    expect(worstExcess(await once(0), plain, 1e-6, 1e-6)).toBeLessThanOrEqual(0);
    expect(worstExcess(await once(1), init, 1e-6, 0)).toBeLessThanOrEqual(0);
    const { context } = recordingContext();
    await expect(
      denoise(context, {
        denoise_mask: { mask_name: "none", masked_latents_name: null, gradient: false },
      }),
    ).rejects.toThrow(/latents/);
  }, 60_000);
});

describe("flux_denoise CFG and step reports", () => {
  it("runs the negative prompt where cfg_scale applies and mixes n + s·(p − n)", async () => {
    const { context, calls, steps } = recordingContext();
    const negative = await encodePrompt(context, "blurry, low quality");
    const final = await denoise(context, {
      negative_text_conditioning: negative,
      cfg_scale: 2.5,
      cfg_scale_start_step: 1,
    });
    const schedule = fluxSchedule(4, 16);
    // Step 0 runs the positive prompt only; steps 1–3 run positive then negative.
    expect(calls.map((c) => c.timestep)).toEqual([0, 1, 1, 2, 2, 3, 3].map((i) => Math.fround(schedule[i]!)));
    expect(worstExcess(calls[2]!.text, calls[1]!.text, 1e-3, 0)).toBeGreaterThan(0);
    expect(Array.from(calls[3]!.text)).toEqual(Array.from(calls[1]!.text));
    // Latents after each step: x + dt·v with v the (guided) velocity.
    const velocity = [
      calls[0]!.out,
      ...[1, 3, 5].map((j) => calls[j + 1]!.out.map((n, i) => n + 2.5 * (calls[j]!.out[i]! - n))),
    ];
    let x = calls[0]!.hidden;
    for (let k = 0; k < 4; k++) {
      const dt = schedule[k + 1]! - schedule[k]!;
      const v = velocity[k]!;
      const previewed = x.map((xi, i) => xi - schedule[k]! * v[i]!);
      x = x.map((xi, i) => xi + dt * v[i]!);
      // Step reports: k + 1 with InvokeAI's preview x − t·v, unpacked.
      const state = steps[k + 1]!;
      expect(state.step).toBe(k + 1);
      expect(state.totalSteps).toBe(4);
      expect(state.latents.shape).toEqual([...SHAPE]);
      expect(
        worstExcess(packLatents(state.latents.data as Float32Array, SHAPE), previewed, 1e-5, 1e-5),
      ).toBeLessThanOrEqual(0);
    }
    expect(steps[0]!.step).toBe(0);
    expect(worstExcess(packLatents(final, SHAPE), x, 1e-5, 1e-5)).toBeLessThanOrEqual(0);
  }, 60_000);

  it("refuses a cfg_scale other than 1 without a negative prompt, and options it cannot run", async () => {
    const { context } = recordingContext();
    await expect(denoise(context, { cfg_scale: 3 })).rejects.toThrow(NodeInputError);
    await expect(denoise(context, { cfg_scale: 3 })).rejects.toThrow(/negative_text_conditioning/);
    await expect(denoise(context, { scheduler: "heun" })).rejects.toThrow(/scheduler/);
    await expect(denoise(context, { cfg_scale: [1, 2] })).rejects.toThrow(/2 values for 4 steps/);
  }, 60_000);

  it("clips the schedule with denoising_end and takes no step when the range is empty", async () => {
    const { context, calls } = recordingContext();
    const init = ref.float("final_latents_unpacked");
    const schedule = fluxSchedule(4, 16);
    await denoise(context, { denoising_end: 0.5 });
    expect(calls.map((c) => c.timestep)).toEqual(clipFluxSchedule(schedule, 0, 0.5).slice(0, -1).map(Math.fround));
    calls.length = 0;
    const same = await denoise(context, {
      latents: await saveLatents(context, init),
      denoising_start: 1,
      add_noise: false,
    });
    expect(calls).toHaveLength(0);
    expect(Array.from(same)).toEqual(Array.from(init));
  }, 60_000);
});
