/**
 * `denoise_latents` for SD1.5/SD2 on an ONNX UNet, with InvokeAI's semantics where they differ from a diffusers
 * pipeline: the start latents are `scheduler.addNoise(latents ?? zeros, noise, t0)`, the step noise of stochastic
 * schedulers is seeded with `seed ^ 0xFFFFFFFF`, and uncond + cond always run as one batch of two.
 */
import {
  CanceledError,
  ConditioningField,
  createTensor,
  defineInvocation,
  DenoiseMaskField,
  InputField,
  LatentsField,
  LatentsOutput,
  SCHEDULER_NAMES,
  toFloat32,
  TorchCpuGenerator,
  UNetField,
  z,
  type ConditioningFieldValue,
  type InvocationContext,
  type Tensor,
} from "@atelier/core";
import { failField, type NodeRef } from "../logic/field-errors.js";
import { diffusionToolkit, type DenoiseScheduler } from "./diffusion-toolkit.js";
import { GenerationModelError } from "./generation-errors.js";
import {
  asOnnxPart,
  firstOutputName,
  floatFeed,
  onnxInput,
  outputFloat32,
  scalarFeed,
  type OnnxPart,
} from "./onnx-parts.js";

/** The seed InvokeAI gives the scheduler's step-noise generator (Python's `seed ^ 0xFFFFFFFF` on a uint32). */
export function stepNoiseSeed(seed: number): number {
  return (seed ^ 0xffffffff) >>> 0;
}

/** `eps = u + g·(c − u)` over a batch of two stacked as [uncond, cond]. */
export function applyCfg(batched: Float32Array, guidance: number): Float32Array {
  const n = batched.length / 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = batched[i] ?? 0;
    out[i] = u + guidance * ((batched[n + i] ?? 0) - u);
  }
  return out;
}

function unbiasedStd(x: Float32Array, start: number, length: number): number {
  let mean = 0;
  for (let i = 0; i < length; i++) mean += x[start + i] ?? 0;
  mean /= length;
  let sum = 0;
  for (let i = 0; i < length; i++) sum += ((x[start + i] ?? 0) - mean) ** 2;
  return Math.sqrt(sum / Math.max(1, length - 1));
}

/**
 * InvokeAI's CFG rescale (zero-terminal-SNR models): the guided prediction rescaled to the std of the cond one,
 * mixed in by `multiplier`.
 */
export function rescaleCfg(guided: Float32Array, cond: Float32Array, multiplier: number): Float32Array {
  const ratio = unbiasedStd(cond, 0, cond.length) / unbiasedStd(guided, 0, guided.length);
  return guided.map((v) => multiplier * v * ratio + (1 - multiplier) * v);
}

async function basicEmbeds(
  context: InvocationContext,
  node: NodeRef,
  field: string,
  value: ConditioningFieldValue | readonly ConditioningFieldValue[] | null,
): Promise<Tensor<"float32">> {
  if (value === null) failField(node, field, "is required", null);
  const list = Array.isArray(value) ? value : [value as ConditioningFieldValue];
  if (list.length !== 1)
    failField(node, field, "more than one conditioning (regional prompts) is not supported yet", value);
  const entry = list[0] as ConditioningFieldValue;
  if (entry.mask !== null) failField(node, field, "conditioning masks (regional prompts) are not supported yet", value);
  const data = await context.conditioning.load(entry.conditioning_name);
  const first = data.conditionings[0];
  if (first === undefined || first.kind !== "basic") {
    failField(
      node,
      field,
      `holds ${first?.kind ?? "no"} conditioning; SD1.5/SD2 (basic) conditioning is needed`,
      value,
    );
  }
  return toFloat32(first.embeds);
}

async function schedulerConfigOf(
  context: InvocationContext,
  unet: z.output<typeof UNetField>,
): Promise<Record<string, unknown>> {
  const loaded = await context.models.load(unet.scheduler);
  return loaded.use((component) => {
    const config = (component as { config?: unknown } | null)?.config;
    if (typeof config !== "object" || config === null) {
      throw new GenerationModelError(`scheduler of model ${unet.scheduler.name}`, "has no scheduler_config.json");
    }
    return { ...(config as Record<string, unknown>) };
  });
}

/** What one denoising run needs besides the UNet. */
interface DenoiseRun {
  readonly scheduler: DenoiseScheduler;
  readonly start: Float32Array;
  readonly shape: readonly number[];
  /** [uncond, cond] text embeddings, stacked. */
  readonly context: Float32Array;
  readonly contextDims: readonly number[];
  readonly guidance: (stepIndex: number) => number;
  readonly rescale: number;
  readonly generator: TorchCpuGenerator;
}

async function runUnetLoop(
  context: InvocationContext,
  part: OnnxPart,
  run: DenoiseRun,
  base: Parameters<InvocationContext["util"]["sdStepCallback"]>[1],
): Promise<Float32Array> {
  const { scheduler, shape } = run;
  const extra = part.session.inputNames.filter((n) => !["sample", "timestep", "encoder_hidden_states"].includes(n));
  if (extra.length > 0) {
    throw new GenerationModelError(
      part.what,
      `needs inputs this SD1.5/SD2 denoiser does not give (${extra.join(", ")}); SDXL UNets are not supported yet`,
    );
  }
  const sampleInput = onnxInput(part, "sample");
  const timestepInput = onnxInput(part, "timestep");
  const hidden = floatFeed(onnxInput(part, "encoder_hidden_states"), run.contextDims, run.context);
  const output = firstOutputName(part, ["out_sample"]);
  const timesteps = scheduler.timesteps;
  const n = run.start.length;
  const batchedDims = [2, ...shape.slice(1)];
  let latents = run.start;
  const callback = (step: number, timestep: number, predicted?: Float32Array): void =>
    context.util.sdStepCallback(
      {
        step,
        order: scheduler.order,
        totalSteps: timesteps.length,
        timestep,
        latents: createTensor("float32", shape, latents),
        ...(predicted === undefined ? {} : { predictedOriginal: createTensor("float32", shape, predicted) }),
      },
      base,
    );
  callback(-1, 1000);
  // InvokeAI runs TCD with eta 1.0; every other scheduler keeps its default.
  const stepOptions =
    scheduler.className === "TCDScheduler" ? { generator: run.generator, eta: 1 } : { generator: run.generator };
  const batched = new Float32Array(2 * n);
  for (let i = 0; i < timesteps.length; i++) {
    if (context.util.isCanceled()) throw new CanceledError();
    const t = timesteps[i] as number;
    const scaled = scheduler.scaleModelInput(latents, t);
    batched.set(scaled, 0);
    batched.set(scaled, n);
    const outputs = await part.session.run({
      [sampleInput.name]: floatFeed(sampleInput, batchedDims, batched),
      [timestepInput.name]: scalarFeed(timestepInput, t, 2),
      encoder_hidden_states: hidden,
    });
    const prediction = outputFloat32(part, outputs, output).data;
    let guided = applyCfg(prediction, run.guidance(i));
    if (run.rescale > 0) guided = rescaleCfg(guided, prediction.subarray(n), run.rescale);
    const result = scheduler.step(guided, t, latents, stepOptions);
    latents = result.prevSample;
    callback(i, t, result.predOriginalSample);
  }
  return latents;
}

/** `denoise_latents`: text-to-image and image-to-image denoising of SD1.5/SD2 latents on an ONNX UNet. */
export const DenoiseLatentsInvocation = defineInvocation({
  type: "denoise_latents",
  title: "Denoise - SD1.5, SDXL",
  tags: ["latents", "denoise", "txt2img", "t2i", "t2l", "img2img", "i2i", "l2l"],
  category: "latents",
  version: "1.6.0",
  bottleneck: "gpu",
  description: "Denoises noisy latents to decodable images",
  inputs: {
    positive_conditioning: InputField(z.union([ConditioningField, z.array(ConditioningField)]), {
      default: null,
      input: "connection",
      description: "Positive conditioning tensor",
      ui_order: 0,
    }),
    negative_conditioning: InputField(z.union([ConditioningField, z.array(ConditioningField)]), {
      default: null,
      input: "connection",
      description: "Negative conditioning tensor",
      ui_order: 1,
    }),
    noise: InputField(LatentsField, { default: null, input: "connection", description: "Noise tensor", ui_order: 3 }),
    steps: InputField(z.number().int().gt(0), { default: 10, description: "Number of steps to run" }),
    cfg_scale: InputField(z.union([z.number().gte(1), z.array(z.number())]), {
      default: 7.5,
      title: "CFG Scale",
      description: "Classifier-Free Guidance scale",
    }),
    denoising_start: InputField(z.number().gte(0).lte(1), {
      default: 0,
      description: "When to start denoising, expressed a percentage of total steps",
    }),
    denoising_end: InputField(z.number().gte(0).lte(1), {
      default: 1,
      description: "When to stop denoising, expressed a percentage of total steps",
    }),
    scheduler: InputField(z.enum(SCHEDULER_NAMES), {
      default: "euler",
      description: "Scheduler to use during inference",
      ui_type: "SchedulerField",
    }),
    unet: InputField(UNetField, {
      default: null,
      input: "connection",
      title: "UNet",
      description: "UNet (scheduler, LoRAs)",
      ui_order: 2,
    }),
    cfg_rescale_multiplier: InputField(z.number().gte(0).lt(1), {
      default: 0,
      title: "CFG Rescale Multiplier",
      description: "Rescale multiplier for CFG guidance, used for models trained with zero-terminal SNR",
    }),
    latents: InputField(LatentsField, {
      default: null,
      input: "connection",
      description: "Latents tensor",
      ui_order: 4,
    }),
    denoise_mask: InputField(DenoiseMaskField, {
      default: null,
      input: "connection",
      description:
        "A mask of the region to apply the denoising process to. Values of 0.0 represent the regions to be fully denoised, and 1.0 represent the regions to be preserved.",
      ui_order: 5,
    }),
  },
  output: LatentsOutput,
  async invoke(context) {
    const unet = this.unet;
    if (unet === null) failField(this, "unet", "is required", null);
    if (unet.loras.length > 0) failField(this, "unet", "LoRAs are not supported on ONNX UNets yet", unet.loras);
    if (this.denoise_mask !== null)
      failField(this, "denoise_mask", "inpainting is not supported yet", this.denoise_mask);
    if (this.noise === null && this.latents === null)
      failField(this, "noise", "is required when no latents are given", null);
    const positive = await basicEmbeds(context, this, "positive_conditioning", this.positive_conditioning);
    const negative = await basicEmbeds(context, this, "negative_conditioning", this.negative_conditioning);
    if (positive.shape.join() !== negative.shape.join()) {
      failField(
        this,
        "negative_conditioning",
        `has shape [${negative.shape.join(", ")}] but the positive has [${positive.shape.join(", ")}]; prompts of different chunk counts are not supported yet`,
        this.negative_conditioning,
      );
    }
    const noise = this.noise === null ? null : toFloat32(await context.tensors.load(this.noise.latents_name));
    const init = this.latents === null ? null : toFloat32(await context.tensors.load(this.latents.latents_name));
    const shape = (noise ?? init)?.shape ?? [];
    if (shape.length !== 4 || shape[0] !== 1)
      failField(this, "noise", `must have shape [1, C, H, W], got [${shape.join(", ")}]`, this.noise);
    if (noise !== null && init !== null && noise.shape.join() !== init.shape.join()) {
      failField(
        this,
        "latents",
        `shape [${init.shape.join(", ")}] differs from the noise's [${noise.shape.join(", ")}]`,
        this.latents,
      );
    }
    const seed = this.noise?.seed ?? this.latents?.seed ?? 0;

    const toolkit = diffusionToolkit(this.type);
    const overrides = this.scheduler.startsWith("dpmpp_sde") ? { noise_sampler_seed: seed } : {};
    const scheduler = toolkit.createScheduler(this.scheduler, await schedulerConfigOf(context, unet), overrides);
    scheduler.setTimesteps(this.steps, { denoisingStart: this.denoising_start, denoisingEnd: this.denoising_end });
    const cfg = this.cfg_scale;
    if (Array.isArray(cfg) && cfg.length !== scheduler.timesteps.length) {
      failField(this, "cfg_scale", `lists ${cfg.length} values for ${scheduler.timesteps.length} steps`, cfg);
    }

    const size = shape.reduce((a, b) => a * b, 1);
    const base = init?.data ?? new Float32Array(size);
    const t0 = scheduler.initTimestep;
    const start =
      noise === null || t0 === undefined ? Float32Array.from(base) : scheduler.addNoise(base, noise.data, t0);
    const [, seqLen = 0, hiddenSize = 0] = positive.shape;
    const stacked = new Float32Array(2 * positive.data.length);
    stacked.set(negative.data, 0);
    stacked.set(positive.data, positive.data.length);

    const loaded = await context.models.load(unet.unet);
    const final = await loaded.use((model) =>
      runUnetLoop(
        context,
        asOnnxPart(model, `unet of model ${unet.unet.name}`),
        {
          scheduler,
          start,
          shape,
          context: stacked,
          contextDims: [2, seqLen, hiddenSize],
          guidance: (i) => (Array.isArray(cfg) ? (cfg[i] as number) : (cfg as number)),
          rescale: this.cfg_rescale_multiplier,
          generator: new TorchCpuGenerator(stepNoiseSeed(seed)),
        },
        unet.unet.base,
      ),
    );
    const tensor = createTensor("float32", shape, final);
    const name = await context.tensors.save(tensor);
    return LatentsOutput.build(name, tensor, seed);
  },
});
