/**
 * `flux_denoise`: text-to-image, image-to-image and inpainting with a FLUX transformer exported to ONNX, following
 * InvokeAI's FLUX denoise: half-precision seeded noise, 2×2 packing, the shifted schedule clipped to
 * [denoising_start, denoising_end], img2img start `t0·noise + (1 − t0)·x0`, optional CFG, Euler steps on the
 * velocity, and the rectified-flow inpaint merge after each step.
 */
import {
  CanceledError,
  createTensor,
  defineInvocation,
  DenoiseMaskField,
  FluxConditioningField,
  InputField,
  LatentsField,
  LatentsOutput,
  toFloat32,
  TransformerField,
  VAEField,
  z,
  type FluxConditioningFieldValue,
  type InvocationContext,
  type Tensor,
} from "@atelier/core";
import { failField, type NodeRef } from "../logic/field-errors.js";
import {
  ControlLoRAField,
  FluxControlNetField,
  FluxFillConditioningField,
  FluxKontextConditioningField,
  FluxReduxConditioningField,
  IPAdapterField,
} from "./flux-field-types.js";
import { fluxLatentShape, fluxNoise } from "./flux-noise.js";
import {
  clipFluxSchedule,
  fluxImageIds,
  fluxSchedule,
  fluxTextIds,
  packLatents,
  unpackLatents,
} from "./flux-sampling.js";
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

/** One prompt's FLUX conditioning: T5 embeddings `[1, seq, dim]` and CLIP's pooled embedding `[1, dim]`. */
export interface FluxTextConditioning {
  readonly t5: Tensor<"float32">;
  readonly clip: Tensor<"float32">;
}

/** What the FLUX transformer inputs of one call are made from. */
export interface FluxTransformerCall {
  /** Packed latents `[1, tokens, 64]`. */
  readonly latents: Float32Array;
  readonly tokens: number;
  readonly text: FluxTextConditioning;
  readonly imageIds: Float32Array;
  readonly timestep: number;
  readonly guidance: number;
}

const TRANSFORMER_INPUTS = [
  "hidden_states",
  "encoder_hidden_states",
  "pooled_projections",
  "timestep",
  "img_ids",
  "txt_ids",
  "guidance",
];

// Position ids are [seq, 3] in current exports and [1, seq, 3] in older ones.
function idsFeed(part: OnnxPart, name: string, ids: Float32Array): OnnxTensorValue {
  const input = onnxInput(part, name);
  const rows = ids.length / 3;
  return floatFeed(input, input.shape?.length === 3 ? [1, rows, 3] : [rows, 3], ids);
}

/** Runs the ONNX FLUX transformer once; returns the predicted velocity for the packed latents. */
export async function runFluxTransformer(part: OnnxPart, call: FluxTransformerCall): Promise<Float32Array> {
  const unknown = part.session.inputNames.filter((n) => !TRANSFORMER_INPUTS.includes(n));
  if (unknown.length > 0) {
    throw new GenerationModelError(part.what, `needs inputs flux_denoise does not give (${unknown.join(", ")})`);
  }
  const [, seq = 0, dim = 0] = call.text.t5.shape;
  const feeds: Record<string, OnnxTensorValue> = {
    hidden_states: floatFeed(onnxInput(part, "hidden_states"), [1, call.tokens, 64], call.latents),
    encoder_hidden_states: floatFeed(onnxInput(part, "encoder_hidden_states"), [1, seq, dim], call.text.t5.data),
    pooled_projections: floatFeed(onnxInput(part, "pooled_projections"), call.text.clip.shape, call.text.clip.data),
    timestep: scalarFeed(onnxInput(part, "timestep"), call.timestep, 1),
    img_ids: idsFeed(part, "img_ids", call.imageIds),
    txt_ids: idsFeed(part, "txt_ids", fluxTextIds(seq)),
  };
  // Schnell exports have no guidance embedding.
  if (part.session.inputNames.includes("guidance"))
    feeds.guidance = scalarFeed(onnxInput(part, "guidance"), call.guidance, 1);
  const outputs = await part.session.run(feeds);
  return outputFloat32(part, outputs, firstOutputName(part, ["out_hidden_states", "sample"])).data;
}

/**
 * InvokeAI's `prep_cfg_scale`: one CFG scale per step, 1.0 outside [start, end] (negative indices count from the
 * last step). Throws a message naming the bad setting.
 */
export function fluxCfgScales(
  cfgScale: number | readonly number[],
  numSteps: number,
  startStep: number,
  endStep: number,
): number[] | string {
  const scales = typeof cfgScale === "number" ? Array<number>(numSteps).fill(cfgScale) : [...cfgScale];
  if (scales.length !== numSteps) return `lists ${scales.length} values for ${numSteps} steps`;
  const start = startStep < 0 ? numSteps + startStep : startStep;
  const end = endStep < 0 ? numSteps + endStep : endStep;
  if (!(start >= 0 && start < numSteps))
    return `cfg_scale_start_step ${startStep} is out of range for ${numSteps} steps`;
  if (!(end >= 0 && end < numSteps)) return `cfg_scale_end_step ${endStep} is out of range for ${numSteps} steps`;
  if (start > end) return `cfg_scale_start_step ${startStep} comes after cfg_scale_end_step ${endStep}`;
  return scales.map((s, i) => (i >= start && i <= end ? s : 1));
}

/** The rectified-flow inpaint merge: keeps the preserved region on the noised init latents' path. */
export interface FluxInpaint {
  /** Packed init latents. */
  readonly init: Float32Array;
  /** Packed noise. */
  readonly noise: Float32Array;
  /** Packed mask: 1 where the image is denoised, 0 where it is preserved. */
  readonly mask: Float32Array;
}

/** InvokeAI's `merge_intermediate_latents_with_init_latents` at time `t` (gradient mask promoted below t = 0.5). */
export function mergeInpaint(inpaint: FluxInpaint, latents: Float32Array, t: number): Float32Array {
  const f = Math.fround;
  const promote = t <= 0.5;
  const out = new Float32Array(latents.length);
  for (let i = 0; i < latents.length; i++) {
    const raw = inpaint.mask[i] as number;
    const m = promote && raw > 1e-4 ? 1 : raw;
    const noised = f(f((inpaint.noise[i] as number) * t) + f((1 - t) * (inpaint.init[i] as number)));
    out[i] = f(f((latents[i] as number) * m) + f(noised * (1 - m)));
  }
  return out;
}

/** Everything one FLUX denoising loop needs besides the transformer. */
export interface FluxDenoiseLoop {
  /** Packed start latents. */
  readonly start: Float32Array;
  /** Unpacked latent shape `[1, 16, h, w]`. */
  readonly shape: readonly number[];
  /** The clipped schedule: `steps + 1` values from t0 down to t_end. */
  readonly timesteps: readonly number[];
  readonly positive: FluxTextConditioning;
  readonly negative: FluxTextConditioning | null;
  readonly cfgScales: readonly number[];
  readonly guidance: number;
  readonly inpaint: FluxInpaint | null;
}

/** Runs the Euler loop of InvokeAI's FLUX `denoise`, reporting each step through `fluxStepCallback`. */
export async function runFluxDenoiseLoop(
  context: InvocationContext,
  part: OnnxPart,
  loop: FluxDenoiseLoop,
): Promise<Float32Array> {
  const f = Math.fround;
  const { shape, timesteps } = loop;
  const tokens = ((shape[2] ?? 0) / 2) * ((shape[3] ?? 0) / 2);
  const imageIds = fluxImageIds(shape[2] ?? 0, shape[3] ?? 0);
  const totalSteps = timesteps.length - 1;
  const report = (step: number, timestep: number, latents: Float32Array): void => {
    const preview = createTensor("float32", shape, unpackLatents(latents, shape));
    context.util.fluxStepCallback({
      step,
      order: 1,
      totalSteps,
      timestep: Math.trunc(timestep),
      latents: preview,
      predictedOriginal: preview,
    });
  };
  let x: Float32Array = loop.start;
  report(0, timesteps[0] ?? 0, x);
  const call = (text: FluxTextConditioning, t: number): Promise<Float32Array> => {
    // Cancel between model calls too, so a CFG step stops after its first half.
    if (context.util.isCanceled()) throw new CanceledError();
    return runFluxTransformer(part, { latents: x, tokens, text, imageIds, timestep: t, guidance: loop.guidance });
  };
  for (let i = 0; i < totalSteps; i++) {
    const tCurr = timesteps[i] as number;
    const tPrev = timesteps[i + 1] as number;
    let pred = await call(loop.positive, tCurr);
    const scale = loop.cfgScales[i] ?? 1;
    if (Math.abs(scale - 1) > 1e-9 && loop.negative !== null) {
      const neg = await call(loop.negative, tCurr);
      pred = pred.map((p, k) => f((neg[k] as number) + f(scale * f(p - (neg[k] as number)))));
    }
    const dt = f(tPrev - tCurr);
    let preview: Float32Array = x.map((v, k) => f(v - f(tCurr * (pred[k] as number))));
    let next: Float32Array = x.map((v, k) => f(v + f(dt * (pred[k] as number))));
    if (loop.inpaint !== null) {
      next = mergeInpaint(loop.inpaint, next, tPrev);
      preview = mergeInpaint(loop.inpaint, preview, 0);
    }
    x = next;
    report(i + 1, tCurr, preview);
  }
  return x;
}

async function loadTextConditioning(
  context: InvocationContext,
  node: NodeRef,
  field: string,
  value: FluxConditioningFieldValue | readonly FluxConditioningFieldValue[] | null,
): Promise<FluxTextConditioning | null> {
  if (value === null) return null;
  const list: readonly FluxConditioningFieldValue[] = Array.isArray(value)
    ? value
    : [value as FluxConditioningFieldValue];
  if (list.length !== 1)
    failField(node, field, "more than one conditioning (regional prompts) is not supported yet", value);
  const entry = list[0] as FluxConditioningFieldValue;
  if (entry.mask !== null) failField(node, field, "conditioning masks (regional prompts) are not supported yet", value);
  const data = await context.conditioning.load(entry.conditioning_name);
  const first = data.conditionings[0];
  if (first === undefined || first.kind !== "flux")
    failField(node, field, `holds ${first?.kind ?? "no"} conditioning; FLUX conditioning is needed`, value);
  return { t5: toFloat32(first.t5_embeds), clip: toFloat32(first.clip_embeds) };
}

/**
 * Bilinear resize of a `[h, w]` plane (torch's `interpolate(mode="bilinear", align_corners=False)` without
 * antialiasing, which InvokeAI's `tv_resize(…, antialias=False)` runs).
 */
export function resizeBilinear(plane: Float32Array, h: number, w: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW);
  const source = (o: number, inSize: number, outSize: number): [number, number, number] => {
    const s = Math.max(0, ((o + 0.5) * inSize) / outSize - 0.5);
    const i0 = Math.min(Math.floor(s), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    return [i0, i1, s - i0];
  };
  for (let y = 0; y < outH; y++) {
    const [y0, y1, fy] = source(y, h, outH);
    for (let x = 0; x < outW; x++) {
      const [x0, x1, fx] = source(x, w, outW);
      const top = (plane[y0 * w + x0] as number) * (1 - fx) + (plane[y0 * w + x1] as number) * fx;
      const bottom = (plane[y1 * w + x0] as number) * (1 - fx) + (plane[y1 * w + x1] as number) * fx;
      out[y * outW + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

// InvokeAI inverts the denoise mask (1 = denoise), resizes it to the latents and broadcasts it over the channels.
function inpaintMask(mask: Tensor<"float32">, shape: readonly number[]): Float32Array {
  const [, c = 16, h = 0, w = 0] = shape;
  const mh = mask.shape[mask.shape.length - 2] ?? 0;
  const mw = mask.shape[mask.shape.length - 1] ?? 0;
  const inverted = mask.data.subarray(0, mh * mw).map((v) => 1 - v);
  const resized = mh === h && mw === w ? inverted : resizeBilinear(inverted, mh, mw, h, w);
  const out = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) out.set(resized, ch * h * w);
  return out;
}

const conditioningUnion = (schema: typeof FluxConditioningField) => z.union([schema, z.array(schema)]);

/** `flux_denoise`: denoises FLUX latents (text-to-image, image-to-image, inpainting) on an ONNX transformer. */
export const FluxDenoiseInvocation = defineInvocation({
  type: "flux_denoise",
  title: "FLUX Denoise",
  tags: ["image", "flux"],
  category: "latents",
  version: "4.6.0",
  bottleneck: "gpu",
  description: "Run denoising process with a FLUX transformer model.",
  inputs: {
    latents: InputField(LatentsField.nullable(), { default: null, input: "connection", description: "Latents tensor" }),
    noise: InputField(LatentsField.nullable(), { default: null, input: "connection", description: "Noise tensor" }),
    denoise_mask: InputField(DenoiseMaskField.nullable(), {
      default: null,
      input: "connection",
      description:
        "A mask of the region to apply the denoising process to. Values of 0.0 represent the regions to be fully denoised, and 1.0 represent the regions to be preserved.",
    }),
    denoising_start: InputField(z.number().gte(0).lte(1), {
      default: 0,
      description: "When to start denoising, expressed a percentage of total steps",
    }),
    denoising_end: InputField(z.number().gte(0).lte(1), {
      default: 1,
      description: "When to stop denoising, expressed a percentage of total steps",
    }),
    add_noise: InputField(z.boolean(), { default: true, description: "Add noise based on denoising start." }),
    transformer: InputField(TransformerField, {
      input: "connection",
      title: "Transformer",
      description: "Flux model (Transformer) to load",
    }),
    control_lora: InputField(ControlLoRAField.nullable(), {
      default: null,
      input: "connection",
      title: "Control LoRA",
      description: "Control LoRA model to load",
    }),
    positive_text_conditioning: InputField(conditioningUnion(FluxConditioningField), {
      input: "connection",
      title: "Positive Text Conditioning",
      description: "Positive conditioning tensor",
    }),
    negative_text_conditioning: InputField(conditioningUnion(FluxConditioningField).nullable(), {
      default: null,
      input: "connection",
      title: "Negative Text Conditioning",
      description: "Negative conditioning tensor. Can be None if cfg_scale is 1.0.",
    }),
    redux_conditioning: InputField(
      z.union([FluxReduxConditioningField, z.array(FluxReduxConditioningField)]).nullable(),
      {
        default: null,
        input: "connection",
        title: "Redux Conditioning",
        description: "FLUX Redux conditioning tensor.",
      },
    ),
    fill_conditioning: InputField(FluxFillConditioningField.nullable(), {
      default: null,
      input: "connection",
      description: "FLUX Fill conditioning.",
    }),
    cfg_scale: InputField(z.union([z.number(), z.array(z.number())]), {
      default: 1,
      title: "CFG Scale",
      description: "Classifier-Free Guidance scale",
    }),
    cfg_scale_start_step: InputField(z.number().int(), {
      default: 0,
      title: "CFG Scale Start Step",
      description:
        "Index of the first step to apply cfg_scale. Negative indices count backwards from the the last step (e.g. a value of -1 refers to the final step).",
    }),
    cfg_scale_end_step: InputField(z.number().int(), {
      default: -1,
      title: "CFG Scale End Step",
      description:
        "Index of the last step to apply cfg_scale. Negative indices count backwards from the last step (e.g. a value of -1 refers to the final step).",
    }),
    width: InputField(z.number().int().multipleOf(16), { default: 1024, description: "Width of the generated image." }),
    height: InputField(z.number().int().multipleOf(16), {
      default: 1024,
      description: "Height of the generated image.",
    }),
    num_steps: InputField(z.number().int(), {
      default: 4,
      description: "Number of diffusion steps. Recommended values are schnell: 4, dev: 50.",
    }),
    scheduler: InputField(z.enum(["euler", "heun", "lcm"]), {
      default: "euler",
      description:
        "Scheduler (sampler) for the denoising process. 'euler' is fast and standard. 'heun' is 2nd-order (better quality, 2x slower). 'lcm' is optimized for few steps.",
      ui_choice_labels: { euler: "Euler", heun: "Heun (2nd order)", lcm: "LCM" },
    }),
    guidance: InputField(z.number(), {
      default: 4,
      description:
        "The guidance strength. Higher values adhere more strictly to the prompt, and will produce less diverse images. FLUX dev only, ignored for schnell.",
    }),
    seed: InputField(z.number().int(), { default: 0, description: "Randomness seed for reproducibility." }),
    control: InputField(z.union([FluxControlNetField, z.array(FluxControlNetField)]).nullable(), {
      default: null,
      input: "connection",
      title: "Control",
      description: "ControlNet models.",
    }),
    controlnet_vae: InputField(VAEField.nullable(), { default: null, input: "connection", description: "VAE" }),
    ip_adapter: InputField(z.union([IPAdapterField, z.array(IPAdapterField)]).nullable(), {
      default: null,
      input: "connection",
      title: "IP-Adapter",
      description: "IP-Adapter to apply",
    }),
    kontext_conditioning: InputField(
      z.union([FluxKontextConditioningField, z.array(FluxKontextConditioningField)]).nullable(),
      {
        default: null,
        input: "connection",
        title: "Kontext Conditioning",
        description: "FLUX Kontext conditioning (reference image).",
      },
    ),
    dype_preset: InputField(z.enum(["off", "manual", "auto", "area", "4k"]), {
      default: "off",
      description:
        "DyPE preset for high-resolution generation. 'auto' enables automatically for resolutions > 1536px. 'area' enables automatically based on image area. '4k' uses optimized settings for 4K output.",
      ui_choice_labels: {
        "4k": "4K Optimized",
        area: "Area (auto)",
        auto: "Auto (>1536px)",
        manual: "Manual",
        off: "Off",
      },
      ui_order: 100,
    }),
    dype_scale: InputField(z.number().gte(0).lte(8).nullable(), {
      default: null,
      description:
        "DyPE magnitude (λs). Higher values = stronger extrapolation. Only used when dype_preset is not 'off'.",
      ui_order: 101,
    }),
    dype_exponent: InputField(z.number().gte(0).lte(1000).nullable(), {
      default: null,
      description:
        "DyPE decay speed (λt). Controls transition from low to high frequency detail. Only used when dype_preset is not 'off'.",
      ui_order: 102,
    }),
  },
  output: LatentsOutput,
  async invoke(context) {
    const unsupported: [string, unknown][] = [
      ["control_lora", this.control_lora],
      ["redux_conditioning", this.redux_conditioning],
      ["fill_conditioning", this.fill_conditioning],
      ["control", this.control],
      ["ip_adapter", this.ip_adapter],
      ["kontext_conditioning", this.kontext_conditioning],
    ];
    for (const [field, value] of unsupported) {
      if (value !== null && !(Array.isArray(value) && value.length === 0))
        failField(this, field, "is not supported on ONNX FLUX transformers yet", value);
    }
    if (this.scheduler !== "euler")
      failField(this, "scheduler", "only euler is supported on ONNX FLUX transformers so far", this.scheduler);
    if (this.dype_preset !== "off")
      failField(this, "dype_preset", "DyPE is not supported on ONNX FLUX transformers", this.dype_preset);
    if (this.num_steps < 1) failField(this, "num_steps", "must be at least 1", this.num_steps);
    if (this.denoising_start > this.denoising_end)
      failField(this, "denoising_start", `is after denoising_end (${this.denoising_end})`, this.denoising_start);
    if (this.latents === null && this.denoising_start > 1e-5)
      failField(this, "denoising_start", "must be 0 when no latents are given", this.denoising_start);

    const shape = fluxLatentShape(this.width, this.height);
    const sameShape = (t: Tensor, field: string, value: unknown): Tensor<"float32"> => {
      if (t.shape.join() !== shape.join()) {
        failField(
          this,
          field,
          `has shape [${t.shape.join(", ")}] but width ${this.width} × height ${this.height} needs [${shape.join(", ")}]`,
          value,
        );
      }
      return toFloat32(t);
    };
    const noise =
      this.noise === null
        ? fluxNoise(this.seed, this.width, this.height)
        : sameShape(await context.tensors.load(this.noise.latents_name), "noise", this.noise);
    const init =
      this.latents === null
        ? null
        : sameShape(await context.tensors.load(this.latents.latents_name), "latents", this.latents);

    const positive = await loadTextConditioning(
      context,
      this,
      "positive_text_conditioning",
      this.positive_text_conditioning,
    );
    if (positive === null) failField(this, "positive_text_conditioning", "is required", null);
    const negative = await loadTextConditioning(
      context,
      this,
      "negative_text_conditioning",
      this.negative_text_conditioning,
    );

    const transformerConfig = await context.models.getConfig(this.transformer.transformer);
    const schnell = transformerConfig.variant === "schnell";
    const tokens = (shape[2] / 2) * (shape[3] / 2);
    const timesteps = clipFluxSchedule(
      fluxSchedule(this.num_steps, tokens, !schnell),
      this.denoising_start,
      this.denoising_end,
    );
    const t0 = timesteps[0] ?? 1;
    const f = Math.fround;
    const startUnpacked =
      init === null
        ? noise.data
        : this.add_noise
          ? init.data.map((v, i) => f(f(t0 * (noise.data[i] as number)) + f((1 - t0) * v)))
          : init.data;

    let final: Float32Array;
    if (timesteps.length <= 1) {
      // Nothing to denoise: the (noised) input latents are the result, as in InvokeAI.
      final = startUnpacked;
    } else {
      const cfgScales = fluxCfgScales(
        this.cfg_scale,
        timesteps.length - 1,
        this.cfg_scale_start_step,
        this.cfg_scale_end_step,
      );
      if (typeof cfgScales === "string") failField(this, "cfg_scale", cfgScales, this.cfg_scale);
      if (negative === null && cfgScales.some((s) => Math.abs(s - 1) > 1e-9))
        failField(this, "negative_text_conditioning", "is required when cfg_scale is not 1.0", null);
      let inpaint: FluxInpaint | null = null;
      if (this.denoise_mask !== null) {
        if (init === null)
          failField(this, "latents", "are required for inpainting (denoise_mask is set)", this.denoise_mask);
        const mask = toFloat32(await context.tensors.load(this.denoise_mask.mask_name));
        inpaint = {
          init: packLatents(init.data, shape),
          noise: packLatents(noise.data, shape),
          mask: packLatents(inpaintMask(mask, shape), shape),
        };
      }
      const loaded = await loadWithLoras(context, this.transformer.transformer, this.transformer.loras, "transformer");
      const packed = await loaded.use((model) =>
        runFluxDenoiseLoop(context, asOnnxPart(model, `transformer of model ${this.transformer.transformer.name}`), {
          start: packLatents(startUnpacked, shape),
          shape,
          timesteps,
          positive,
          negative,
          cfgScales,
          guidance: this.guidance,
          inpaint,
        }),
      );
      final = unpackLatents(packed, shape);
    }
    const tensor = createTensor("float32", shape, final);
    const name = await context.tensors.save(tensor);
    return LatentsOutput.build(name, tensor, null);
  },
});
