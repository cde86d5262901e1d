/**
 * `denoise_latents` for SD1.5/SD2 and SDXL on an ONNX UNet, with InvokeAI's semantics where they differ from a
 * diffusers pipeline: the start latents are `scheduler.addNoise(latents ?? zeros, noise, t0)`, the step noise of
 * stochastic schedulers is seeded with `seed ^ 0xFFFFFFFF`, and uncond + cond always run as one batch of two.
 * SDXL UNets also get the pooled text embeddings and size/crop time ids, batched the same way. Inpainting follows
 * InvokeAI: a normal UNet has the preserved region re-noised from the original latents before every step and
 * restored after the last; an inpainting UNet (9 channels) takes the mask and masked latents as extra channels.
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
  torchRandn,
  UNetField,
  z,
  type ConditioningFieldValue,
  type InvocationContext,
  type Tensor,
} from "@atelier/core";
import { failField, type NodeRef } from "../logic/field-errors.js";
import { diffusionToolkit, type DenoiseScheduler } from "./diffusion-toolkit.js";
import { interpolate } from "../latents/interpolate.js";
import { GenerationModelError } from "./generation-errors.js";
import { loadWithLoras } from "./lora-patching.js";
import {
  asOnnxPart,
  firstOutputName,
  floatFeed,
  onnxInput,
  outputFloat32,
  scalarFeed,
  type OnnxPart,
  type OnnxTensorValue,
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

/** One side (uncond or cond) of the text conditioning, as the UNet takes it. */
export interface DenoiserConditioning {
  readonly kind: "basic" | "sdxl";
  /** [1, tokens, hidden] */
  readonly embeds: Tensor<"float32">;
  /** SDXL: the pooled text embedding [1, P] (the UNet's `text_embeds`). */
  readonly pooled: Tensor<"float32"> | null;
  /** SDXL: size/crop conditioning [1, 6] (refiner: [1, 5], the aesthetic score last) (the UNet's `time_ids`). */
  readonly timeIds: Tensor<"float32"> | null;
}

async function loadConditioning(
  context: InvocationContext,
  node: NodeRef,
  field: string,
  value: ConditioningFieldValue | readonly ConditioningFieldValue[] | null,
): Promise<DenoiserConditioning> {
  if (value === null) failField(node, field, "is required", null);
  const list = Array.isArray(value) ? value : [value as ConditioningFieldValue];
  if (list.length !== 1)
    failField(node, field, "more than one conditioning (regional prompts) is not supported yet", value);
  const entry = list[0] as ConditioningFieldValue;
  if (entry.mask !== null) failField(node, field, "conditioning masks (regional prompts) are not supported yet", value);
  const data = await context.conditioning.load(entry.conditioning_name);
  const first = data.conditionings[0];
  if (first?.kind === "basic") {
    return { kind: "basic", embeds: toFloat32(first.embeds), pooled: null, timeIds: null };
  }
  if (first?.kind === "sdxl") {
    return {
      kind: "sdxl",
      embeds: toFloat32(first.embeds),
      pooled: toFloat32(first.pooled_embeds),
      timeIds: toFloat32(first.add_time_ids),
    };
  }
  return failField(
    node,
    field,
    `holds ${first?.kind ?? "no"} conditioning; SD1.5/SD2 (basic) or SDXL conditioning is needed`,
    value,
  );
}

/** [uncond, cond] stacked along a new batch axis of 2, checking that both sides have the same shape. */
function stackPair(
  node: NodeRef,
  what: string,
  negative: Tensor<"float32">,
  positive: Tensor<"float32">,
): { dims: number[]; data: Float32Array } {
  if (positive.shape.join() !== negative.shape.join()) {
    failField(
      node,
      "negative_conditioning",
      `${what} has shape [${negative.shape.join(", ")}] but the positive's is [${positive.shape.join(", ")}]`,
      null,
    );
  }
  const data = new Float32Array(2 * positive.data.length);
  data.set(negative.data, 0);
  data.set(positive.data, positive.data.length);
  return { dims: [2, ...positive.shape.slice(1)], data };
}

/**
 * The batched text inputs of the UNet: hidden states, and for SDXL the pooled embeds and time ids. When the two
 * prompts have different token lengths (a long prompt in several 77-token chunks beside a short one), `hidden`
 * holds [uncond, cond] separately and the UNet runs once per side: what InvokeAI's attention mask over the padded
 * tokens amounts to, without padding.
 */
interface UnetTextFeeds {
  readonly hidden: { dims: number[]; data: Float32Array } | readonly [Tensor<"float32">, Tensor<"float32">];
  readonly sdxl: {
    textEmbeds: { dims: number[]; data: Float32Array };
    timeIds: { dims: number[]; data: Float32Array };
  } | null;
}

function textFeeds(node: NodeRef, negative: DenoiserConditioning, positive: DenoiserConditioning): UnetTextFeeds {
  if (negative.kind !== positive.kind) {
    failField(
      node,
      "negative_conditioning",
      `is ${negative.kind} conditioning but the positive is ${positive.kind}; both must come from the same model family`,
      null,
    );
  }
  const [neg, pos] = [negative.embeds.shape, positive.embeds.shape];
  const lengthsOnly =
    neg.length === 3 && pos.length === 3 && neg[0] === 1 && pos[0] === 1 && neg[2] === pos[2] && neg[1] !== pos[1];
  const hidden = lengthsOnly
    ? ([negative.embeds, positive.embeds] as const)
    : stackPair(node, "embeds", negative.embeds, positive.embeds);
  if (positive.pooled === null || negative.pooled === null || positive.timeIds === null || negative.timeIds === null)
    return { hidden, sdxl: null };
  return {
    hidden,
    sdxl: {
      textEmbeds: stackPair(node, "pooled_embeds", negative.pooled, positive.pooled),
      timeIds: stackPair(node, "add_time_ids", negative.timeIds, positive.timeIds),
    },
  };
}

/**
 * Pre-step inpaint blend (InvokeAI's AddsMaskGuidance / InpaintExt): where the mask preserves, the latents are
 * replaced by the original latents noised to the current timestep. `mask` is per latent pixel, 1 = preserve;
 * binary masks lerp by the mask value, gradient masks switch per pixel once `mask < 1 − t/T` lets the region denoise.
 */
export function blendPreserved(
  latents: Float32Array,
  noisedOriginal: Float32Array,
  mask: Float32Array,
  gradientThreshold: number | null,
): Float32Array {
  const plane = mask.length;
  const out = new Float32Array(latents.length);
  for (let i = 0; i < latents.length; i++) {
    const m = mask[i % plane] as number;
    const x = latents[i] as number;
    const y = noisedOriginal[i] as number;
    if (gradientThreshold === null) out[i] = x + m * (y - x);
    else out[i] = m < 1 - gradientThreshold ? x : y;
  }
  return out;
}

/**
 * Post-loop restore of the preserved region from the original latents: binary masks lerp by the mask value,
 * gradient masks keep the denoised latents wherever the mask is below 1.
 */
export function restorePreserved(
  latents: Float32Array,
  original: Float32Array,
  mask: Float32Array,
  gradient: boolean,
): Float32Array {
  return blendPreserved(latents, original, mask, gradient ? 0 : null);
}

/** What inpainting needs inside the loop. */
interface InpaintRun {
  /** Per latent pixel [h·w], 1 = preserve (the stored mask, resized to the latents). */
  readonly mask: Float32Array;
  readonly gradient: boolean;
  /** The latents the run started from (input latents, else zeros). */
  readonly original: Float32Array;
  /** Noise used to re-noise the preserved region (normal UNets only). */
  readonly noise: Float32Array;
  readonly numTrainTimesteps: number;
}

/** The extra UNet input channels of an inpainting model: 1 − mask and the masked image latents. */
interface InpaintChannels {
  readonly inverseMask: Float32Array;
  readonly maskedLatents: Float32Array;
}

/** The number of latent channels the UNet's `sample` takes (9 = inpainting model), from the session or config. */
function sampleChannels(part: OnnxPart): number | undefined {
  const dim = onnxInput(part, "sample").shape?.[1];
  if (typeof dim === "number" && dim > 0) return dim;
  const configured = part.config?.in_channels;
  return typeof configured === "number" ? configured : undefined;
}

/** A stored mask ([1, 1, H, W], [1, H, W] or [H, W]) resized bilinearly to the latents' h×w, as InvokeAI does. */
async function loadLatentMask(
  context: InvocationContext,
  node: NodeRef,
  maskName: string,
  height: number,
  width: number,
): Promise<Float32Array> {
  const stored = toFloat32(await context.tensors.load(maskName));
  const dims = stored.shape;
  const h = dims[dims.length - 2];
  const w = dims[dims.length - 1];
  if (dims.length < 2 || dims.length > 4 || h === undefined || w === undefined || stored.data.length !== h * w) {
    failField(node, "denoise_mask", `mask must be one [H, W] plane, got shape [${dims.join(", ")}]`, maskName);
  }
  if (h === height && w === width) return stored.data;
  const resized = interpolate(
    createTensor("float32", [1, 1, h, w], stored.data),
    { size: [height, width] },
    { mode: "bilinear" },
  );
  return toFloat32(resized).data;
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
  readonly node: NodeRef;
  readonly scheduler: DenoiseScheduler;
  readonly start: Float32Array;
  readonly shape: readonly number[];
  readonly text: UnetTextFeeds;
  readonly guidance: (stepIndex: number) => number;
  readonly rescale: number;
  readonly generator: TorchCpuGenerator;
  readonly inpaint: InpaintRun | null;
  /** Masked image latents for inpainting models (from the denoise mask, else computed from the mask). */
  readonly maskedLatents: Float32Array | null;
}

const BASE_INPUTS = ["sample", "timestep", "encoder_hidden_states"];
const SDXL_INPUTS = ["text_embeds", "time_ids"];

/** Checks that the UNet's inputs are the ones the conditioning can feed. */
function checkUnetInputs(part: OnnxPart, run: DenoiseRun): void {
  const names = part.session.inputNames;
  const sdxlUnet = SDXL_INPUTS.some((n) => names.includes(n));
  if (sdxlUnet && run.text.sdxl === null) {
    failField(
      run.node,
      "positive_conditioning",
      `is SD1.5/SD2 conditioning but ${part.what} is an SDXL UNet (inputs text_embeds, time_ids): use sdxl_compel_prompt`,
      null,
    );
  }
  if (!sdxlUnet && run.text.sdxl !== null) {
    failField(
      run.node,
      "positive_conditioning",
      `is SDXL conditioning but ${part.what} takes no text_embeds/time_ids (not an SDXL UNet): use compel`,
      null,
    );
  }
  const extra = names.filter((n) => !BASE_INPUTS.includes(n) && !SDXL_INPUTS.includes(n));
  if (extra.length > 0) {
    throw new GenerationModelError(part.what, `needs inputs denoise_latents does not give (${extra.join(", ")})`);
  }
}

async function runUnetLoop(
  context: InvocationContext,
  part: OnnxPart,
  run: DenoiseRun,
  base: Parameters<InvocationContext["util"]["sdStepCallback"]>[1],
): Promise<Float32Array> {
  const { scheduler, shape, inpaint } = run;
  checkUnetInputs(part, run);
  const channels = shape[1] ?? 4;
  const plane = (shape[2] ?? 0) * (shape[3] ?? 0);
  const modelChannels = sampleChannels(part) ?? channels;
  let inpaintChannels: InpaintChannels | null = null;
  if (modelChannels === 2 * channels + 1) {
    // An inpainting UNet takes [latents, 1 − mask, masked latents]; with no mask, everything is to be painted.
    inpaintChannels = {
      inverseMask: inpaint === null ? new Float32Array(plane).fill(1) : inpaint.mask.map((m) => 1 - m),
      maskedLatents: run.maskedLatents ?? new Float32Array(run.start.length),
    };
  } else if (modelChannels !== channels) {
    throw new GenerationModelError(
      part.what,
      `takes ${modelChannels} latent channels; the latents have ${channels} (inpainting models take ${2 * channels + 1})`,
    );
  }
  const sampleInput = onnxInput(part, "sample");
  const timestepInput = onnxInput(part, "timestep");
  const hiddenInput = onnxInput(part, "encoder_hidden_states");
  // One run with [uncond, cond] as a batch of two, or one run per side when the prompts' lengths differ.
  const separate = Array.isArray(run.text.hidden);
  const feedSets: Record<string, OnnxTensorValue>[] = [];
  for (let side = 0; side < (separate ? 2 : 1); side++) {
    const hidden = separate
      ? (run.text.hidden as readonly [Tensor<"float32">, Tensor<"float32">])[side]!
      : (run.text.hidden as { dims: number[]; data: Float32Array });
    const feeds: Record<string, OnnxTensorValue> = {
      encoder_hidden_states: separate
        ? floatFeed(hiddenInput, (hidden as Tensor<"float32">).shape, (hidden as Tensor<"float32">).data)
        : floatFeed(hiddenInput, (hidden as { dims: number[] }).dims, hidden.data),
    };
    if (run.text.sdxl !== null) {
      const { textEmbeds, timeIds } = run.text.sdxl;
      const pick = (pair: { dims: number[]; data: Float32Array }) => {
        if (!separate) return pair;
        const size = pair.data.length / 2;
        return { dims: [1, ...pair.dims.slice(1)], data: pair.data.subarray(side * size, (side + 1) * size) };
      };
      const embeds = pick(textEmbeds);
      const ids = pick(timeIds);
      feeds.text_embeds = floatFeed(onnxInput(part, "text_embeds"), embeds.dims, embeds.data);
      feeds.time_ids = floatFeed(onnxInput(part, "time_ids"), ids.dims, ids.data);
    }
    feedSets.push(feeds);
  }
  const output = firstOutputName(part, ["out_sample"]);
  const timesteps = scheduler.timesteps;
  const n = run.start.length;
  const batch = separate ? 1 : 2;
  const batchedDims = [batch, modelChannels, ...shape.slice(2)];
  // Normal UNets get the preserved region re-noised before each step; inpainting UNets see the mask instead.
  const renoise = inpaint !== null && inpaintChannels === null ? inpaint : null;
  const blendAt = (latents: Float32Array, t: number): Float32Array =>
    renoise === null
      ? latents
      : blendPreserved(
          latents,
          scheduler.addNoise(renoise.original, renoise.noise, t),
          renoise.mask,
          renoise.gradient ? t / renoise.numTrainTimesteps : null,
        );
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
  const perSample = modelChannels * plane;
  const batched = new Float32Array(2 * perSample);
  if (inpaintChannels !== null) {
    for (let b = 0; b < 2; b++) {
      batched.set(inpaintChannels.inverseMask, b * perSample + n);
      batched.set(inpaintChannels.maskedLatents, b * perSample + n + plane);
    }
  }
  const lastTimestep = timesteps[timesteps.length - 1] ?? 0;
  for (let i = 0; i < timesteps.length; i++) {
    if (context.util.isCanceled()) throw new CanceledError();
    const t = timesteps[i] as number;
    latents = blendAt(latents, t);
    const scaled = scheduler.scaleModelInput(latents, t);
    batched.set(scaled, 0);
    batched.set(scaled, perSample);
    let prediction: Float32Array;
    if (feedSets.length === 1) {
      const outputs = await part.session.run({
        ...feedSets[0],
        [sampleInput.name]: floatFeed(sampleInput, batchedDims, batched),
        [timestepInput.name]: scalarFeed(timestepInput, t, batch),
      });
      prediction = outputFloat32(part, outputs, output).data;
    } else {
      prediction = new Float32Array(2 * n);
      for (let side = 0; side < 2; side++) {
        const sample = batched.subarray(side * perSample, (side + 1) * perSample);
        const outputs = await part.session.run({
          ...feedSets[side],
          [sampleInput.name]: floatFeed(sampleInput, batchedDims, sample),
          [timestepInput.name]: scalarFeed(timestepInput, t, batch),
        });
        prediction.set(outputFloat32(part, outputs, output).data, side * n);
      }
    }
    let guided = applyCfg(prediction, run.guidance(i));
    if (run.rescale > 0) guided = rescaleCfg(guided, prediction.subarray(n), run.rescale);
    const result = scheduler.step(guided, t, latents, stepOptions);
    latents = result.prevSample;
    // The preview's denoised estimate shows the preserved region as it will end up (InvokeAI masks it the same way).
    const predicted =
      result.predOriginalSample === undefined ? undefined : blendAt(result.predOriginalSample, lastTimestep);
    callback(i, t, predicted);
  }
  if (inpaint !== null) latents = restorePreserved(latents, inpaint.original, inpaint.mask, inpaint.gradient);
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
      input: "connection",
      description: "Positive conditioning tensor",
      ui_order: 0,
    }),
    negative_conditioning: InputField(z.union([ConditioningField, z.array(ConditioningField)]), {
      input: "connection",
      description: "Negative conditioning tensor",
      ui_order: 1,
    }),
    noise: InputField(LatentsField, { default: null, input: "connection", description: "Noise tensor", ui_order: 3 }),
    steps: InputField(z.number().int().gt(0), { default: 10, description: "Number of steps to run" }),
    cfg_scale: InputField(z.union([z.number(), z.array(z.number())]), {
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
    // HiDiffusion patches torch attention modules; the fields are accepted so InvokeAI graphs load, and refused on.
    hidiffusion: InputField(z.boolean(), {
      default: false,
      title: "HiDiffusion",
      description: "Apply HiDiffusion (RAU-Net + MSW-MSA) for higher-resolution denoising",
    }),
    hidiffusion_raunet: InputField(z.boolean(), {
      default: true,
      title: "HiDiffusion: RAU-Net",
      description: "Apply HiDiffusion RAU-Net blocks",
    }),
    hidiffusion_window_attn: InputField(z.boolean(), {
      default: true,
      title: "HiDiffusion: Window Attention",
      description: "Apply HiDiffusion window attention blocks",
    }),
    hidiffusion_t1_ratio: InputField(z.number().gte(0).lte(1), {
      default: 0.4,
      title: "HiDiffusion: T1 Ratio",
      description: "Override HiDiffusion early switch threshold (T1 ratio)",
    }),
    hidiffusion_t2_ratio: InputField(z.number().gte(0).lte(1), {
      default: 0,
      title: "HiDiffusion: T2 Ratio",
      description: "Override HiDiffusion late switch threshold (T2 ratio)",
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
      ui_order: 8,
    }),
  },
  output: LatentsOutput,
  async invoke(context) {
    const unet = this.unet;
    if (unet === null) failField(this, "unet", "is required", null);
    if (this.noise === null && this.latents === null)
      failField(this, "noise", "is required when no latents are given", null);
    if (this.hidiffusion) failField(this, "hidiffusion", "is not supported on ONNX UNets", true);
    const cfgValues = Array.isArray(this.cfg_scale) ? this.cfg_scale : [this.cfg_scale];
    if (cfgValues.some((v) => !(v >= 1))) failField(this, "cfg_scale", "must be at least 1", this.cfg_scale);
    const positive = await loadConditioning(context, this, "positive_conditioning", this.positive_conditioning);
    const negative = await loadConditioning(context, this, "negative_conditioning", this.negative_conditioning);
    const text = textFeeds(this, negative, positive);
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
    const schedulerConfig = await schedulerConfigOf(context, unet);
    const overrides = this.scheduler.startsWith("dpmpp_sde") ? { noise_sampler_seed: seed } : {};
    const scheduler = toolkit.createScheduler(this.scheduler, schedulerConfig, overrides);
    scheduler.setTimesteps(this.steps, { denoisingStart: this.denoising_start, denoisingEnd: this.denoising_end });
    const cfg = this.cfg_scale;
    if (Array.isArray(cfg) && cfg.length !== scheduler.timesteps.length) {
      failField(this, "cfg_scale", `lists ${cfg.length} values for ${scheduler.timesteps.length} steps`, cfg);
    }

    const size = shape.reduce((a, b) => a * b, 1);
    const original = init?.data ?? new Float32Array(size);
    const t0 = scheduler.initTimestep;
    const start =
      noise === null || t0 === undefined ? Float32Array.from(original) : scheduler.addNoise(original, noise.data, t0);

    let inpaint: InpaintRun | null = null;
    let maskedLatents: Float32Array | null = null;
    const denoiseMask = this.denoise_mask;
    if (denoiseMask !== null) {
      const [, , height = 0, width = 0] = shape;
      const mask = await loadLatentMask(context, this, denoiseMask.mask_name, height, width);
      if (denoiseMask.masked_latents_name !== null) {
        const stored = toFloat32(await context.tensors.load(denoiseMask.masked_latents_name));
        if (stored.data.length !== size) {
          failField(
            this,
            "denoise_mask",
            `masked latents have shape [${stored.shape.join(", ")}]; the latents have [${shape.join(", ")}]`,
            denoiseMask,
          );
        }
        maskedLatents = stored.data;
      } else {
        // InvokeAI: the input latents where the mask preserves (≥ 0.5), zeros where it repaints.
        const plane = height * width;
        maskedLatents = original.map((x, i) => ((mask[i % plane] as number) < 0.5 ? 0 : x));
      }
      const numTrain = schedulerConfig.num_train_timesteps;
      inpaint = {
        mask,
        gradient: denoiseMask.gradient,
        original,
        // Latents that were noised already (refiner) come without noise: InvokeAI draws it from the seed then.
        noise: noise?.data ?? torchRandn(shape, seed).data,
        numTrainTimesteps: typeof numTrain === "number" && numTrain > 0 ? numTrain : 1000,
      };
    }

    const loaded = await loadWithLoras(context, unet.unet, unet.loras, "unet");
    const final = await loaded.use((model) =>
      runUnetLoop(
        context,
        asOnnxPart(model, `unet of model ${unet.unet.name}`),
        {
          node: this,
          scheduler,
          start,
          shape,
          text,
          guidance: (i) => (Array.isArray(cfg) ? (cfg[i] as number) : (cfg as number)),
          rescale: this.cfg_rescale_multiplier,
          generator: new TorchCpuGenerator(stepNoiseSeed(seed)),
          inpaint,
          maskedLatents,
        },
        unet.unet.base,
      ),
    );
    const tensor = createTensor("float32", shape, final);
    const name = await context.tensors.save(tensor);
    return LatentsOutput.build(name, tensor, seed);
  },
});
