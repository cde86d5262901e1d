/**
 * `compel`: SD1.5/SD2 prompt → text embeddings through the model's tokenizer and ONNX text encoder, stored as
 * basic conditioning. The prompt is parsed with Compel's syntax (compel-syntax.ts) and weighted by Compel's rules
 * (compel-embeddings.ts); CLIP skip and LoRAs as the CLIP field says.
 */
import {
  CLIPField,
  ConditioningOutput,
  createTensor,
  defineInvocation,
  InputField,
  TensorField,
  z,
  type InvocationContext,
  type ModelIdentifierFieldValue,
  type Tensor,
} from "@atelier/core";
import { failField, type NodeRef } from "../logic/field-errors.js";
import { clipRowEncoder } from "./clip-text-encoder.js";
import { asCompelTokenizer, encodeCompelConjunction } from "./compel-embeddings.js";
import { parseCompelPrompt, PromptSyntaxError, type PromptConjunction } from "./compel-syntax.js";
import { diffusionToolkit, type PromptTokenizer } from "./diffusion-toolkit.js";
import { GenerationModelError } from "./generation-errors.js";
import { loadWithLoras } from "./lora-patching.js";
import { asOnnxPart, firstInput, firstOutputName, intFeed, outputFloat32 } from "./onnx-parts.js";

// Parsed tokenizers live as long as the cached tokenizer component they came from.
const tokenizers = new WeakMap<object, Promise<PromptTokenizer>>();

/** The tokenizer of a model's tokenizer submodel (parsed once per cached component). */
export async function loadPromptTokenizer(
  context: InvocationContext,
  identifier: ModelIdentifierFieldValue,
  nodeType: string,
): Promise<PromptTokenizer> {
  const toolkit = diffusionToolkit(nodeType);
  const loaded = await context.models.load(identifier);
  return loaded.use((component) => {
    const path = (component as { path?: unknown } | null)?.path;
    if (typeof component !== "object" || component === null || typeof path !== "string") {
      throw new GenerationModelError(`tokenizer of model ${identifier.name}`, "is not a tokenizer folder");
    }
    let tokenizer = tokenizers.get(component);
    if (tokenizer === undefined) {
      tokenizer = toolkit.loadTokenizer(path);
      tokenizers.set(component, tokenizer);
    }
    return tokenizer;
  });
}

/**
 * Token-id chunks of a prompt: one 77-id row when it fits, else Compel's chunks of 75 content tokens
 * (InvokeAI runs Compel with `truncate_long_prompts=False`).
 */
export function promptTokenRows(tokenizer: PromptTokenizer, prompt: string): number[][] {
  const single = tokenizer.tokenize(prompt);
  if (single.untruncatedLength <= single.ids.length) return [[...single.ids]];
  return tokenizer.tokenizeChunks(prompt);
}

/** Runs a CLIP text encoder on rows of token ids; returns `last_hidden_state` rows concatenated: [1, 77·n, hidden]. */
export async function encodePromptRows(
  context: InvocationContext,
  identifier: ModelIdentifierFieldValue,
  rows: readonly (readonly number[])[],
): Promise<Tensor<"float32">> {
  const loaded = await context.models.load(identifier);
  return loaded.use(async (model) => {
    const part = asOnnxPart(model, `text encoder of model ${identifier.name}`);
    const ids = firstInput(part, ["input_ids"]);
    const outputName = firstOutputName(part, ["last_hidden_state"]);
    const pieces: Float32Array[] = [];
    let hidden = 0;
    let length = 0;
    for (const row of rows) {
      const outputs = await part.session.run({ [ids.name]: intFeed(ids, [1, row.length], row) });
      const out = outputFloat32(part, outputs, outputName);
      hidden = out.dims[2] ?? 0;
      length += out.dims[1] ?? 0;
      pieces.push(out.data);
    }
    const data = new Float32Array(length * hidden);
    let offset = 0;
    for (const piece of pieces) {
      data.set(piece, offset);
      offset += piece.length;
    }
    return createTensor("float32", [1, length, hidden], data);
  });
}

/** Parses a node's prompt field with Compel's syntax; a syntax error names the node and field. */
export function parsePromptField(node: NodeRef, prompt: string, field = "prompt"): PromptConjunction {
  try {
    return parseCompelPrompt(prompt);
  } catch (err) {
    if (err instanceof PromptSyntaxError) failField(node, field, err.message, prompt);
    throw err;
  }
}

/** `compel`: a prompt's text embeddings (`{conditionings: [{kind: "basic", embeds}]}`) for SD1.5/SD2. */
export const CompelInvocation = defineInvocation({
  type: "compel",
  title: "Prompt - SD1.5",
  tags: ["prompt", "compel"],
  category: "prompt",
  version: "1.2.1",
  bottleneck: "gpu",
  description: "Parse prompt using compel package to conditioning.",
  inputs: {
    prompt: InputField(z.string(), {
      default: "",
      description: "Prompt to be parsed by Compel to create a conditioning tensor",
      ui_component: "textarea",
    }),
    clip: InputField(CLIPField, {
      title: "CLIP",
      description: "CLIP (tokenizer, text encoder, LoRAs) and skipped layer count",
    }),
    mask: InputField(TensorField, {
      default: null,
      description: "A mask defining the region that this conditioning prompt applies to.",
    }),
  },
  output: ConditioningOutput,
  async invoke(context) {
    const clip = this.clip;
    const conjunction = parsePromptField(this, this.prompt);
    const tokenizer = asCompelTokenizer(
      await loadPromptTokenizer(context, clip.tokenizer, this.type),
      `tokenizer of model ${clip.tokenizer.name}`,
    );
    const loaded = await loadWithLoras(context, clip.text_encoder, clip.loras, "text_encoder");
    const embeddings = await loaded.use(async (model) => {
      const part = asOnnxPart(model, `text encoder of model ${clip.text_encoder.name}`);
      const encodeRow = clipRowEncoder(part, clip.skipped_layers, clip.text_encoder.name);
      return encodeCompelConjunction(conjunction, tokenizer, encodeRow);
    });
    const embeds = createTensor("float32", [1, embeddings.tokens, embeddings.hidden], embeddings.data);
    const name = await context.conditioning.save({ conditionings: [{ kind: "basic", embeds }] });
    return ConditioningOutput.build(name, this.mask?.tensor_name ?? null);
  },
});
