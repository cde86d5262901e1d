/**
 * LoRA nodes (InvokeAI's lora_loader, lora_selector, lora_collection_loader, sdxl_lora_loader, flux_lora_loader):
 * they only append `{lora, weight}` to the `loras` of the model fields passing through; the denoiser and text
 * encoder nodes merge them at load time (see lora-patching.ts).
 */
import {
  CLIPField,
  defineInvocation,
  defineOutput,
  InputField,
  LoRAField,
  ModelIdentifierField,
  OutputField,
  T5EncoderField,
  TransformerField,
  UNetField,
  type InvocationContext,
  type LoRAFieldValue,
  type ModelIdentifierFieldValue,
  z,
} from "@atelier/core";
import { failField, type NodeRef } from "../logic/field-errors.js";
import { LoRALoaderOutput, SDXLLoRALoaderOutput } from "./model-outputs.js";

const UNET_DESCRIPTION = "UNet (scheduler, LoRAs)";
const CLIP_DESCRIPTION = "CLIP (tokenizer, text encoder, LoRAs) and skipped layer count";
const LORA_DESCRIPTION = "LoRA model to load";
const WEIGHT_DESCRIPTION = "The weight at which the LoRA is applied to each model";

/** `lora_selector_output`: one LoRA and its weight. */
export const LoRASelectorOutput = defineOutput({
  type: "lora_selector_output",
  schemaName: "LoRASelectorOutput",
  description: "Model loader output",
  fields: { lora: OutputField(LoRAField, { title: "LoRA", description: "LoRA model and weight" }) },
});

/** `flux_lora_loader_output`: the transformer, CLIP and T5 encoder with the LoRA appended. */
export const FluxLoRALoaderOutput = defineOutput({
  type: "flux_lora_loader_output",
  schemaName: "FluxLoRALoaderOutput",
  description: "FLUX LoRA Loader Output",
  fields: {
    transformer: OutputField(TransformerField.nullable(), {
      default: null,
      title: "FLUX Transformer",
      description: "Transformer",
    }),
    clip: OutputField(CLIPField.nullable(), { default: null, title: "CLIP", description: CLIP_DESCRIPTION }),
    t5_encoder: OutputField(T5EncoderField.nullable(), {
      default: null,
      title: "T5 Encoder",
      description: "T5 tokenizer and text encoder",
    }),
  },
});

/** A model field that carries LoRAs. */
interface WithLoras {
  readonly loras: readonly LoRAFieldValue[];
}

/** The LoRA input, checked: given, and installed. */
async function requireLora(
  node: NodeRef,
  context: InvocationContext,
  lora: ModelIdentifierFieldValue | null | undefined,
): Promise<ModelIdentifierFieldValue> {
  if (lora === null || lora === undefined) failField(node, "lora", "is required", null);
  if (!(await context.models.exists(lora.key)))
    failField(node, "lora", `names no installed model (key ${lora.key})`, lora);
  return lora;
}

/** Refuses a LoRA already in a field's list (InvokeAI: `LoRA "<key>" already applied to <field>`). */
function refuseDuplicate(node: NodeRef, field: string, value: WithLoras | null, lora: ModelIdentifierFieldValue): void {
  if (value !== null && value.loras.some((l) => l.lora.key === lora.key))
    failField(node, "lora", `LoRA ${lora.name} (${lora.key}) is already applied to ${field}`, lora);
}

/** A copy of a model field with `lora` appended to its LoRAs (the input is never changed). */
function withLora<T extends WithLoras>(value: T | null, lora: LoRAFieldValue): T | null {
  return value === null ? null : { ...value, loras: [...value.loras, lora] };
}

// Required without a default, as InvokeAI's: the schema says `default: null`, `orig_required: true`.
const loraInput = (bases: readonly ("sd-1" | "sdxl" | "flux")[] | null) =>
  InputField(ModelIdentifierField, {
    title: "LoRA",
    description: LORA_DESCRIPTION,
    ...(bases === null ? {} : { ui_model_base: bases }),
    ui_model_type: ["lora"],
  });
const weightInput = () => InputField(z.number(), { default: 0.75, description: WEIGHT_DESCRIPTION });
const unetInput = () =>
  InputField(UNetField, { default: null, title: "UNet", description: UNET_DESCRIPTION, input: "connection" });
const clipInput = (title: string) =>
  InputField(CLIPField, { default: null, title, description: CLIP_DESCRIPTION, input: "connection" });

/** `lora_loader`: appends one LoRA to the UNet's and CLIP's LoRAs. */
export const LoRALoaderInvocation = defineInvocation({
  type: "lora_loader",
  schemaName: "LoRALoaderInvocation",
  title: "Apply LoRA - SD1.5",
  tags: ["model"],
  category: "model",
  version: "1.0.4",
  description: "Apply selected lora to unet and text_encoder.",
  inputs: { lora: loraInput(["sd-1"]), weight: weightInput(), unet: unetInput(), clip: clipInput("CLIP") },
  output: LoRALoaderOutput,
  async invoke(context) {
    const lora = await requireLora(this, context, this.lora);
    refuseDuplicate(this, "unet", this.unet, lora);
    refuseDuplicate(this, "clip", this.clip, lora);
    const field = { lora, weight: this.weight };
    return { unet: withLora(this.unet, field), clip: withLora(this.clip, field) };
  },
});

/** `lora_selector`: a LoRA and its weight, for collections. */
export const LoRASelectorInvocation = defineInvocation({
  type: "lora_selector",
  schemaName: "LoRASelectorInvocation",
  title: "Select LoRA",
  tags: ["model"],
  category: "model",
  version: "1.0.3",
  description: "Selects a LoRA model and weight.",
  inputs: { lora: loraInput(null), weight: weightInput() },
  output: LoRASelectorOutput,
  async invoke(context) {
    const lora = await requireLora(this, context, this.lora);
    return { lora: { lora, weight: this.weight } };
  },
});

/** `lora_collection_loader`: appends several LoRAs (one or a list; repeats after the first are skipped). */
export const LoRACollectionLoader = defineInvocation({
  type: "lora_collection_loader",
  schemaName: "LoRACollectionLoader",
  title: "Apply LoRA Collection - SD1.5",
  tags: ["model"],
  category: "model",
  version: "1.1.3",
  description: "Applies a collection of LoRAs to the provided UNet and CLIP models.",
  inputs: {
    loras: InputField(z.union([LoRAField, z.array(LoRAField)]), {
      default: null,
      title: "LoRAs",
      description: "LoRA models and weights. May be a single LoRA or collection.",
      ui_model_base: ["sd-1", "sd-2"],
      ui_model_type: ["lora"],
    }),
    unet: unetInput(),
    clip: clipInput("CLIP"),
  },
  output: LoRALoaderOutput,
  async invoke(context) {
    const given = this.loras === null ? [] : Array.isArray(this.loras) ? this.loras : [this.loras];
    let unet = this.unet;
    let clip = this.clip;
    const added = new Set<string>();
    for (const lora of given) {
      // InvokeAI skips a LoRA the collection already applied rather than failing.
      if (added.has(lora.lora.key)) continue;
      if (!(await context.models.exists(lora.lora.key)))
        failField(this, "loras", `names no installed model (key ${lora.lora.key})`, lora);
      if (lora.lora.base !== "sd-1" && lora.lora.base !== "sd-2")
        failField(this, "loras", `LoRA ${lora.lora.name} is for ${lora.lora.base}, not SD1.5/SD2`, lora);
      refuseDuplicate(this, "unet", unet, lora.lora);
      refuseDuplicate(this, "clip", clip, lora.lora);
      added.add(lora.lora.key);
      unet = withLora(unet, lora);
      clip = withLora(clip, lora);
    }
    return { unet, clip };
  },
});

/** `sdxl_lora_loader`: appends one LoRA to the UNet's and both CLIPs' LoRAs. */
export const SDXLLoRALoaderInvocation = defineInvocation({
  type: "sdxl_lora_loader",
  schemaName: "SDXLLoRALoaderInvocation",
  title: "Apply LoRA - SDXL",
  tags: ["lora", "model"],
  category: "model",
  version: "1.0.5",
  description: "Apply selected lora to unet and text_encoder.",
  inputs: {
    lora: loraInput(["sdxl"]),
    weight: weightInput(),
    unet: unetInput(),
    clip: clipInput("CLIP 1"),
    clip2: clipInput("CLIP 2"),
  },
  output: SDXLLoRALoaderOutput,
  async invoke(context) {
    const lora = await requireLora(this, context, this.lora);
    refuseDuplicate(this, "unet", this.unet, lora);
    refuseDuplicate(this, "clip", this.clip, lora);
    refuseDuplicate(this, "clip2", this.clip2, lora);
    const field = { lora, weight: this.weight };
    return { unet: withLora(this.unet, field), clip: withLora(this.clip, field), clip2: withLora(this.clip2, field) };
  },
});

/** `flux_lora_loader`: appends one LoRA to the transformer's, CLIP's and T5 encoder's LoRAs. */
export const FluxLoRALoaderInvocation = defineInvocation({
  type: "flux_lora_loader",
  schemaName: "FluxLoRALoaderInvocation",
  title: "Apply LoRA - FLUX",
  tags: ["lora", "model", "flux"],
  category: "model",
  version: "1.2.1",
  description: "Apply a LoRA model to a FLUX transformer and/or text encoder.",
  inputs: {
    lora: loraInput(["flux"]),
    weight: weightInput(),
    transformer: InputField(TransformerField, {
      default: null,
      title: "FLUX Transformer",
      description: "Transformer",
      input: "connection",
    }),
    clip: clipInput("CLIP"),
    t5_encoder: InputField(T5EncoderField, {
      default: null,
      title: "T5 Encoder",
      description: "T5 tokenizer and text encoder",
      input: "connection",
    }),
  },
  output: FluxLoRALoaderOutput,
  async invoke(context) {
    const lora = await requireLora(this, context, this.lora);
    refuseDuplicate(this, "transformer", this.transformer, lora);
    refuseDuplicate(this, "clip", this.clip, lora);
    refuseDuplicate(this, "t5_encoder", this.t5_encoder, lora);
    const field = { lora, weight: this.weight };
    return {
      transformer: withLora(this.transformer, field),
      clip: withLora(this.clip, field),
      t5_encoder: withLora(this.t5_encoder, field),
    };
  },
});

/** The LoRA nodes, ready to register. */
export const LORA_NODES = [
  LoRALoaderInvocation,
  LoRASelectorInvocation,
  LoRACollectionLoader,
  SDXLLoRALoaderInvocation,
  FluxLoRALoaderInvocation,
] as const;
