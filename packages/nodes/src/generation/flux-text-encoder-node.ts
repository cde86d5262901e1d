/**
 * `flux_text_encoder`: a prompt → FLUX conditioning: CLIP's pooled embedding (77 tokens) and T5's per-token
 * embeddings (256 or 512 tokens), run on the ONNX text encoders and stored as `{kind: "flux"}` conditioning.
 */
import {
  CLIPField,
  createTensor,
  defineInvocation,
  defineOutput,
  FluxConditioningField,
  InputField,
  OutputField,
  T5EncoderField,
  TensorField,
  z,
  type InvocationContext,
  type LoadedModelWithoutConfig,
  type LoRAFieldValue,
  type ModelIdentifierFieldValue,
  type Tensor,
} from "@atelier/core";
import { failField } from "../logic/field-errors.js";
import { loadPromptTokenizer } from "./compel-node.js";
import { asOnnxPart, firstInput, firstOutputName, intFeed, outputFloat32 } from "./onnx-parts.js";
import { loadWithLoras } from "./lora-patching.js";

/** `flux_conditioning_output`: `{conditioning}`; `build(name, mask?)`. */
export const FluxConditioningOutput = Object.freeze({
  ...defineOutput({
    type: "flux_conditioning_output",
    description: "Base class for nodes that output a single conditioning tensor",
    fields: { conditioning: OutputField(FluxConditioningField, { description: "Conditioning tensor" }) },
  }),
  /** The output for stored FLUX conditioning (and its optional mask tensor name). */
  build(conditioningName: string, maskTensorName: string | null = null) {
    return {
      conditioning: {
        conditioning_name: conditioningName,
        mask: maskTensorName === null ? null : { tensor_name: maskTensorName },
      },
    };
  },
});

/** Runs a loaded ONNX text encoder on one row of token ids; returns the named output (the first of `names`). */
export async function encodeTokenRow(
  loaded: LoadedModelWithoutConfig,
  what: string,
  ids: readonly number[],
  names: readonly string[],
): Promise<Tensor<"float32">> {
  return loaded.use(async (model) => {
    const part = asOnnxPart(model, what);
    const input = firstInput(part, ["input_ids"]);
    const outputs = await part.session.run({ [input.name]: intFeed(input, [1, ids.length], ids) });
    const out = outputFloat32(part, outputs, firstOutputName(part, names));
    return createTensor("float32", out.dims, out.data);
  });
}

async function encodeWith(
  context: InvocationContext,
  nodeType: string,
  field: { readonly tokenizer: ModelIdentifierFieldValue; readonly text_encoder: ModelIdentifierFieldValue },
  loras: readonly LoRAFieldValue[],
  target: "text_encoder" | "text_encoder_2",
  prompt: string,
  maxLength: number | undefined,
  outputNames: readonly string[],
): Promise<Tensor<"float32">> {
  const tokenizer = await loadPromptTokenizer(context, field.tokenizer, nodeType);
  const { ids } = tokenizer.tokenize(prompt, maxLength === undefined ? {} : { maxLength });
  const loaded = await loadWithLoras(context, field.text_encoder, loras, target);
  return encodeTokenRow(loaded, `${target} of model ${field.text_encoder.name}`, ids, outputNames);
}

/** `flux_text_encoder`: CLIP pooled + T5 embeddings of a prompt, stored as FLUX conditioning. */
export const FluxTextEncoderInvocation = defineInvocation({
  type: "flux_text_encoder",
  title: "Prompt - FLUX",
  tags: ["prompt", "conditioning", "flux"],
  category: "prompt",
  version: "1.1.2",
  bottleneck: "gpu",
  description: "Encodes and preps a prompt for a flux image.",
  inputs: {
    clip: InputField(CLIPField, {
      title: "CLIP",
      input: "connection",
      description: "CLIP (tokenizer, text encoder, LoRAs) and skipped layer count",
    }),
    t5_encoder: InputField(T5EncoderField, {
      title: "T5Encoder",
      input: "connection",
      description: "T5 tokenizer and text encoder",
    }),
    t5_max_seq_len: InputField(z.literal([256, 512]), {
      title: "T5 Max Seq Len",
      description:
        "Max sequence length for the T5 encoder. Expected to be 256 for FLUX schnell models and 512 for FLUX dev models.",
    }),
    prompt: InputField(z.string(), {
      title: "Prompt",
      description: "Text prompt to encode.",
      ui_component: "textarea",
    }),
    mask: InputField(TensorField.nullable(), {
      default: null,
      description: "A mask defining the region that this conditioning prompt applies to.",
    }),
  },
  output: FluxConditioningOutput,
  async invoke(context) {
    if (this.clip.skipped_layers > 0)
      failField(this, "clip", "skipped_layers > 0 (CLIP skip) is not supported for FLUX", this.clip.skipped_layers);
    // InvokeAI's HFEncoder: T5's last_hidden_state at t5_max_seq_len tokens, CLIP's pooler_output at 77.
    const t5 = await encodeWith(
      context,
      this.type,
      this.t5_encoder,
      this.t5_encoder.loras,
      "text_encoder_2",
      this.prompt,
      this.t5_max_seq_len,
      ["last_hidden_state"],
    );
    const clip = await encodeWith(
      context,
      this.type,
      this.clip,
      this.clip.loras,
      "text_encoder",
      this.prompt,
      undefined,
      ["pooler_output", "text_embeds"],
    );
    const name = await context.conditioning.save({
      conditionings: [{ kind: "flux", clip_embeds: clip, t5_embeds: t5 }],
    });
    return FluxConditioningOutput.build(name, this.mask?.tensor_name ?? null);
  },
});
