/**
 * `sdxl_compel_prompt` and `sdxl_refiner_compel_prompt`: SDXL conditioning (kind "sdxl") from the two CLIP text
 * encoders, as InvokeAI builds it: embeds = concat(TE1, TE2) of the penultimate hidden layer without the final
 * LayerNorm (Compel's PENULTIMATE_HIDDEN_STATES_NON_NORMALIZED), pooled = TE2's projected `text_embeds`, and the
 * size/crop conditioning `add_time_ids`. An empty prompt gives zeros, not its encoding (InvokeAI's zero_on_empty;
 * diffusers encodes "" instead).
 */
import {
  CLIPField,
  ConditioningOutput,
  createTensor,
  defineInvocation,
  InputField,
  TensorField,
  z,
  type CLIPFieldValue,
  type InvocationContext,
  type Tensor,
} from "@atelier/core";
import { failField, type NodeRef } from "../logic/field-errors.js";
import { asCompelTokenizer, encodeCompelConjunction } from "./compel-embeddings.js";
import { loadPromptTokenizer, parsePromptField } from "./compel-node.js";
import { GenerationModelError } from "./generation-errors.js";
import { loadWithLoras, type LoraTarget } from "./lora-patching.js";
import { asOnnxPart, firstInput, intFeed, outputFloat32, type OnnxPart } from "./onnx-parts.js";

/** One text encoder's contribution: per-token embeddings and, when asked for, the pooled embedding. */
export interface ClipEncoding {
  /** [1, 77·chunks, hidden] */
  readonly embeds: Tensor<"float32">;
  /** [1, projection] (TE2's `text_embeds`), or null when not requested. */
  readonly pooled: Tensor<"float32"> | null;
}

/** Options of {@link encodeSdxlClip}. */
export interface SdxlClipOptions {
  /** The node field the prompt came from, for syntax errors. */
  readonly field: string;
  /** Also return the pooled (projected) embedding. */
  readonly pooled: boolean;
  /** An empty prompt gives zeros of the encoder's shape instead of its encoding. */
  readonly zeroOnEmpty: boolean;
  /** Which LoRA keys apply (`lora_te1_*` or `lora_te2_*`). */
  readonly target: LoraTarget;
}

/**
 * The `hidden_states.N` output to read: the penultimate layer, N = layers − 1, and `skipped_layers` further down
 * (InvokeAI's CLIP skip drops the last layers, then Compel reads the new penultimate one).
 */
export function penultimateHiddenOutput(part: OnnxPart, skippedLayers: number): string {
  const layers = part.session.outputNames
    .map((n) => /^hidden_states\.(\d+)$/.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number);
  if (layers.length === 0) {
    throw new GenerationModelError(
      part.what,
      "exports no hidden_states.N outputs, which SDXL prompts need (re-export it with output_hidden_states)",
    );
  }
  const index = Math.max(...layers) - 1 - skippedLayers;
  if (index < 0 || !layers.includes(index)) {
    throw new GenerationModelError(
      part.what,
      `has no hidden_states.${index} (skipped_layers ${skippedLayers} of ${Math.max(...layers)} layers)`,
    );
  }
  return `hidden_states.${index}`;
}

function configNumber(part: OnnxPart, key: string): number | undefined {
  const value = part.config?.[key];
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * Runs one SDXL CLIP text encoder on a prompt with Compel's syntax, weighting and chunking (shared with `compel`),
 * and returns its encoding; the pooled embedding is of the raw prompt text truncated to one chunk, as InvokeAI asks
 * Compel's `get_pooled_embeddings([prompt])` for it.
 */
export async function encodeSdxlClip(
  context: InvocationContext,
  node: NodeRef,
  clip: CLIPFieldValue,
  prompt: string,
  options: SdxlClipOptions,
): Promise<ClipEncoding> {
  const conjunction = parsePromptField(node, prompt, options.field);
  const tokenizer = await loadPromptTokenizer(context, clip.tokenizer, node.type);
  const loaded = await loadWithLoras(context, clip.text_encoder, clip.loras, options.target);
  return loaded.use(async (model) => {
    const part = asOnnxPart(model, `${options.target} of model ${clip.text_encoder.name}`);
    if (options.pooled && clip.skipped_layers > 0) {
      // A truncated CLIP's pooled embedding is LayerNorm + text projection of an inner layer; exports give it only
      // for the last layer.
      throw new GenerationModelError(
        part.what,
        `cannot give the pooled embedding with skipped_layers ${clip.skipped_layers} (CLIP skip on the second encoder)`,
      );
    }
    const hiddenName = penultimateHiddenOutput(part, clip.skipped_layers);
    if (prompt === "" && options.zeroOnEmpty) {
      const positions = configNumber(part, "max_position_embeddings");
      const hidden = configNumber(part, "hidden_size");
      if (positions !== undefined && hidden !== undefined) {
        return {
          embeds: createTensor("float32", [1, positions, hidden]),
          pooled: options.pooled ? createTensor("float32", [1, hidden]) : null,
        };
      }
    }
    const ids = firstInput(part, ["input_ids"]);
    const run = async (row: readonly number[]) => part.session.run({ [ids.name]: intFeed(ids, [1, row.length], row) });
    const compelTokenizer = asCompelTokenizer(tokenizer, `tokenizer of model ${clip.tokenizer.name}`);
    const encoded = await encodeCompelConjunction(conjunction, compelTokenizer, async (row) =>
      Float32Array.from(outputFloat32(part, await run(row), hiddenName).data),
    );
    let embeds = createTensor("float32", [1, encoded.tokens, encoded.hidden], encoded.data);
    let pooled: Tensor<"float32"> | null = null;
    if (options.pooled) {
      const out = outputFloat32(part, await run(tokenizer.tokenize(prompt).ids), "text_embeds");
      pooled = createTensor("float32", [1, out.dims[1] ?? out.data.length], Float32Array.from(out.data));
    }
    if (prompt === "" && options.zeroOnEmpty) {
      embeds = createTensor("float32", embeds.shape);
      if (pooled !== null) pooled = createTensor("float32", pooled.shape);
    }
    return { embeds, pooled };
  });
}

/** Pads [1, n, h] embeddings with zero rows to [1, length, h] (InvokeAI evens out the two encoders' chunk counts). */
function padRows(t: Tensor<"float32">, length: number): Tensor<"float32"> {
  const [, rows = 0, hidden = 0] = t.shape;
  if (rows >= length) return t;
  const data = new Float32Array(length * hidden);
  data.set(t.data, 0);
  return createTensor("float32", [1, length, hidden], data);
}

/** concat(a, b) along the last axis of two [1, n, *] tensors. */
export function concatHidden(a: Tensor<"float32">, b: Tensor<"float32">): Tensor<"float32"> {
  const length = Math.max(a.shape[1] ?? 0, b.shape[1] ?? 0);
  const pa = padRows(a, length);
  const pb = padRows(b, length);
  const ha = pa.shape[2] ?? 0;
  const hb = pb.shape[2] ?? 0;
  const data = new Float32Array(length * (ha + hb));
  for (let r = 0; r < length; r++) {
    data.set(pa.data.subarray(r * ha, (r + 1) * ha), r * (ha + hb));
    data.set(pb.data.subarray(r * hb, (r + 1) * hb), r * (ha + hb) + ha);
  }
  return createTensor("float32", [1, length, ha + hb], data);
}

const sizeField = (title: string) =>
  InputField(z.number().int(), {
    default: title.endsWith("Top") || title.endsWith("Left") ? 0 : 1024,
    title,
    description: "",
  });
const STYLE_DESCRIPTION = "Prompt to be parsed by Compel to create a conditioning tensor";
const CLIP_DESCRIPTION = "CLIP (tokenizer, text encoder, LoRAs) and skipped layer count";

function requireClip(node: NodeRef, field: string, clip: CLIPFieldValue | null): CLIPFieldValue {
  if (clip === null) failField(node, field, "is required", null);
  return clip;
}

/** `sdxl_compel_prompt`: SDXL base conditioning from a prompt (TE1) and a style prompt (TE2; the prompt if empty). */
export const SDXLCompelPromptInvocation = defineInvocation({
  type: "sdxl_compel_prompt",
  schemaName: "SDXLCompelPromptInvocation",
  title: "Prompt - SDXL",
  tags: ["sdxl", "compel", "prompt"],
  category: "prompt",
  version: "1.2.1",
  bottleneck: "gpu",
  description: "Parse prompt using compel package to conditioning.",
  inputs: {
    prompt: InputField(z.string(), { default: "", description: STYLE_DESCRIPTION, ui_component: "textarea" }),
    style: InputField(z.string(), { default: "", description: STYLE_DESCRIPTION, ui_component: "textarea" }),
    original_width: sizeField("Original Width"),
    original_height: sizeField("Original Height"),
    crop_top: sizeField("Crop Top"),
    crop_left: sizeField("Crop Left"),
    target_width: sizeField("Target Width"),
    target_height: sizeField("Target Height"),
    clip: InputField(CLIPField, { input: "connection", title: "CLIP 1", description: CLIP_DESCRIPTION }),
    clip2: InputField(CLIPField, {
      input: "connection",
      title: "CLIP 2",
      description: CLIP_DESCRIPTION,
    }),
    mask: InputField(TensorField, {
      default: null,
      description: "A mask defining the region that this conditioning prompt applies to.",
    }),
  },
  output: ConditioningOutput,
  async invoke(context) {
    const clip = requireClip(this, "clip", this.clip);
    const clip2 = requireClip(this, "clip2", this.clip2);
    const te1 = await encodeSdxlClip(context, this, clip, this.prompt, {
      field: "prompt",
      pooled: false,
      zeroOnEmpty: true,
      target: "text_encoder",
    });
    const stylePrompt = this.style.trim() === "" ? this.prompt : this.style;
    const te2 = await encodeSdxlClip(context, this, clip2, stylePrompt, {
      field: this.style.trim() === "" ? "prompt" : "style",
      pooled: true,
      zeroOnEmpty: true,
      target: "text_encoder_2",
    });
    const addTimeIds = createTensor(
      "float32",
      [1, 6],
      Float32Array.of(
        this.original_height,
        this.original_width,
        this.crop_top,
        this.crop_left,
        this.target_height,
        this.target_width,
      ),
    );
    const name = await context.conditioning.save({
      conditionings: [
        {
          kind: "sdxl",
          embeds: concatHidden(te1.embeds, te2.embeds),
          pooled_embeds: te2.pooled as Tensor<"float32">,
          add_time_ids: addTimeIds,
        },
      ],
    });
    return ConditioningOutput.build(name, this.mask?.tensor_name ?? null);
  },
});

/** `sdxl_refiner_compel_prompt`: SDXL refiner conditioning from a style prompt on TE2, with the aesthetic score. */
export const SDXLRefinerCompelPromptInvocation = defineInvocation({
  type: "sdxl_refiner_compel_prompt",
  schemaName: "SDXLRefinerCompelPromptInvocation",
  title: "Prompt - SDXL Refiner",
  tags: ["sdxl", "compel", "prompt"],
  category: "prompt",
  version: "1.1.2",
  bottleneck: "gpu",
  description: "Parse prompt using compel package to conditioning.",
  inputs: {
    style: InputField(z.string(), { default: "", description: STYLE_DESCRIPTION, ui_component: "textarea" }),
    original_width: sizeField("Original Width"),
    original_height: sizeField("Original Height"),
    crop_top: sizeField("Crop Top"),
    crop_left: sizeField("Crop Left"),
    aesthetic_score: InputField(z.number(), {
      default: 6.0,
      description: "The aesthetic score to apply to the conditioning tensor",
    }),
    clip2: InputField(CLIPField, { input: "connection", description: CLIP_DESCRIPTION }),
  },
  output: ConditioningOutput,
  async invoke(context) {
    const clip2 = requireClip(this, "clip2", this.clip2);
    const te2 = await encodeSdxlClip(context, this, clip2, this.style, {
      field: "style",
      pooled: true,
      zeroOnEmpty: false,
      target: "text_encoder_2",
    });
    const addTimeIds = createTensor(
      "float32",
      [1, 5],
      Float32Array.of(this.original_height, this.original_width, this.crop_top, this.crop_left, this.aesthetic_score),
    );
    const name = await context.conditioning.save({
      conditionings: [
        {
          kind: "sdxl",
          embeds: te2.embeds,
          pooled_embeds: te2.pooled as Tensor<"float32">,
          add_time_ids: addTimeIds,
        },
      ],
    });
    return ConditioningOutput.build(name);
  },
});
