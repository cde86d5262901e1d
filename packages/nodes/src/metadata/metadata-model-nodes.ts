/**
 * InvokeAI's `metadata_to_*` extractors that turn recorded models back into loader outputs (`metadata_linked.py`):
 * main and SDXL models, the VAE, LoRAs, ControlNets, IP-Adapters and T2I-Adapters. A model recorded in metadata is
 * found by its key when installed, else by its name; the node's default (or input list) is used when the label is
 * missing.
 */
import {
  AtelierError,
  CLIPField,
  defineInvocation,
  defineOutput,
  InputField,
  LoRAField,
  ModelIdentifierField,
  modelIdentifierOf,
  OutputField,
  UNetField,
  VAEField,
  WithMetadata,
  z,
  type AnyInvocationDefinition,
  type InvocationContext,
  type LoRAFieldValue,
  type ModelIdentifierFieldValue,
  type ModelType,
} from "@atelier/core";
import { failField, type NodeRef } from "../logic/field-errors.js";
import {
  ControlField,
  IPAdapterField,
  T2IAdapterField,
  type ControlFieldValue,
  type IPAdapterFieldValue,
  type T2IAdapterFieldValue,
} from "./adapter-fields.js";
import { CUSTOM_LABEL } from "./metadata-values.js";
// The loader outputs these extractors share with the loader nodes: one definition per output type.
import { mainModelFields, submodelOf } from "../generation/model-loader-nodes.js";
import { LoRALoaderOutput, SDXLLoRALoaderOutput, VAEModelOutput } from "../generation/model-outputs.js";

/** A model named in metadata that is not installed, or an adapter whose companion model is missing. */
export class MetadataModelError extends AtelierError {
  constructor(message: string, details: Record<string, unknown>) {
    super("metadata_model_not_found", message, { status: 404, details });
  }
}

type Dict = Readonly<Record<string, unknown>>;
const isDict = (v: unknown): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The key of the model recorded under `label` of `item`: its `key` when that model is installed, else the first
 * installed model of `type` with its `name` (or `model_name`); `fallback` when none matches.
 */
export async function extractModelKey(
  context: InvocationContext,
  item: Dict,
  label: string,
  fallback: string,
  type: ModelType,
): Promise<string> {
  const entry = item[label];
  if (!isDict(entry)) return fallback;
  if (typeof entry.key === "string" && (await context.models.exists(entry.key))) return entry.key;
  for (const nameField of ["name", "model_name"]) {
    const name = entry[nameField];
    if (typeof name !== "string") continue;
    const found = await context.models.searchByAttrs({ name, type });
    if (found.length > 0) return found[0].key;
  }
  return fallback;
}

/** The identifier of an installed model; a typed error naming the node and `field` when it is not installed. */
async function modelIdentifier(
  context: InvocationContext,
  node: NodeRef,
  field: string,
  key: string,
): Promise<ModelIdentifierFieldValue> {
  if (!key || !(await context.models.exists(key))) {
    throw new MetadataModelError(`Node ${node.type} (id "${node.id}"): unknown model ${JSON.stringify(key)}`, {
      node_type: node.type,
      node_id: node.id,
      field,
      key,
    });
  }
  return modelIdentifierOf(await context.models.getConfig(key));
}

/** The metadata key a label/custom_label pair names; a blank custom label is refused like InvokeAI's validator. */
function labelKey(node: NodeRef & { label: string; custom_label: string | null }): string {
  if (node.label !== CUSTOM_LABEL) return node.label;
  if (node.custom_label === null || node.custom_label.trim() === "") {
    return failField(node, "custom_label", "You must enter a Custom Label", node.custom_label);
  }
  return node.custom_label;
}

const labelInput = <L extends readonly [string, ...string[]]>(labels: L, d: L[number]) =>
  InputField(z.enum(labels), { default: d, input: "direct", description: "Label for this metadata item" });
const customLabelInput = () =>
  InputField(z.string(), { default: null, input: "direct", description: "Label for this metadata item" });

const mainModelField = (title: string) =>
  OutputField(ModelIdentifierField, { description: "Main model (UNet, VAE, CLIP) to load", title });
const unetOut = () => OutputField(UNetField, { description: "UNet (scheduler, LoRAs)", title: "UNet" });
const clipOut = (title: string) =>
  OutputField(CLIPField, { description: "CLIP (tokenizer, text encoder, LoRAs) and skipped layer count", title });
const vaeOut = () => OutputField(VAEField, { description: "VAE", title: "VAE" });

/** `metadata_to_model_output`. */
export const MetadataToModelOutput = defineOutput({
  type: "metadata_to_model_output",
  schemaName: "MetadataToModelOutput",
  description: "String to main model output",
  fields: {
    model: mainModelField("Model"),
    name: OutputField(z.string(), { description: "Model Name", title: "Name" }),
    unet: unetOut(),
    vae: vaeOut(),
    clip: clipOut("CLIP"),
  },
});

/** `metadata_to_sdxl_model_output`. */
export const MetadataToSDXLModelOutput = defineOutput({
  type: "metadata_to_sdxl_model_output",
  schemaName: "MetadataToSDXLModelOutput",
  description: "String to SDXL main model output",
  fields: {
    model: mainModelField("Model"),
    name: OutputField(z.string(), { description: "Model Name", title: "Name" }),
    unet: unetOut(),
    clip: clipOut("CLIP 1"),
    clip2: clipOut("CLIP 2"),
    vae: vaeOut(),
  },
});

/** `metadata_to_lora_collection_output`: `{lora}`. */
export const MetadataToLorasCollectionOutput = defineOutput({
  type: "metadata_to_lora_collection_output",
  schemaName: "MetadataToLorasCollectionOutput",
  description: "Model loader output",
  fields: {
    lora: OutputField(z.array(LoRAField), { description: "Collection of LoRA model and weights", title: "LoRAs" }),
  },
});

const oneOrMany = <S extends z.ZodType>(schema: S) => z.union([schema, z.array(schema)]).nullable();

/** `md_control_list_output`. */
export const MDControlListOutput = defineOutput({
  type: "md_control_list_output",
  schemaName: "MDControlListOutput",
  fields: {
    control_list: OutputField(oneOrMany(ControlField), {
      description: "ControlNet(s) to apply",
      title: "ControlNet-List",
    }),
  },
});

/** `md_ip_adapter_list_output`. */
export const MDIPAdapterListOutput = defineOutput({
  type: "md_ip_adapter_list_output",
  schemaName: "MDIPAdapterListOutput",
  fields: {
    ip_adapter_list: OutputField(oneOrMany(IPAdapterField), {
      description: "IP-Adapter to apply",
      title: "IP-Adapter-List",
    }),
  },
});

/** `md_ip_adapters_output` (InvokeAI's type id for the T2I-Adapter list). */
export const MDT2IAdapterListOutput = defineOutput({
  type: "md_ip_adapters_output",
  schemaName: "MDT2IAdapterListOutput",
  fields: {
    t2i_adapter_list: OutputField(oneOrMany(T2IAdapterField), {
      description: "T2I-Adapter(s) to apply",
      title: "T2I Adapter-List",
    }),
  },
});

const metadataOf = (node: { metadata: Record<string, unknown> | null }): Dict => node.metadata ?? {};

/** `metadata_to_model`: the main model recorded in metadata (else the default), split into loader outputs. */
export const MetadataToModelInvocation = defineInvocation({
  type: "metadata_to_model",
  schemaName: "MetadataToModelInvocation",
  title: "Metadata To Model",
  tags: ["metadata"],
  category: "metadata",
  version: "1.3.0",
  classification: "beta",
  mixins: [WithMetadata],
  description: "Extracts a Model value of a label from metadata",
  inputs: {
    label: labelInput([CUSTOM_LABEL, "model"] as const, "model"),
    custom_label: customLabelInput(),
    default_value: InputField(ModelIdentifierField, {
      description: "The default model to use if not found in the metadata",
      ui_model_type: ["main"],
    }),
  },
  output: MetadataToModelOutput,
  async invoke(context) {
    const label = labelKey(this);
    const key = await extractModelKey(context, metadataOf(this), label, this.default_value.key, "main");
    const model = await modelIdentifier(context, this, "default_value", key);
    const { unet, clip, vae } = mainModelFields(model);
    return { model, name: `${model.base}: ${model.name}`, unet, clip, vae };
  },
});

/** `metadata_to_sdxl_model`: like metadata_to_model, with the second text encoder of SDXL. */
export const MetadataToSDXLModelInvocation = defineInvocation({
  type: "metadata_to_sdxl_model",
  schemaName: "MetadataToSDXLModelInvocation",
  title: "Metadata To SDXL Model",
  tags: ["metadata"],
  category: "metadata",
  version: "1.3.0",
  classification: "beta",
  mixins: [WithMetadata],
  description: "Extracts a SDXL Model value of a label from metadata",
  inputs: {
    label: labelInput([CUSTOM_LABEL, "model"] as const, "model"),
    custom_label: customLabelInput(),
    default_value: InputField(ModelIdentifierField, {
      description: "The default SDXL Model to use if not found in the metadata",
      ui_model_type: ["main"],
      ui_model_base: ["sdxl"],
    }),
  },
  output: MetadataToSDXLModelOutput,
  async invoke(context) {
    const label = labelKey(this);
    const key = await extractModelKey(context, metadataOf(this), label, this.default_value.key, "main");
    const model = await modelIdentifier(context, this, "default_value", key);
    return { model, name: `${model.base}: ${model.name}`, ...mainModelFields(model) };
  },
});

/** `metadata_to_vae`: the VAE recorded in metadata, else the default. */
export const MetadataToVAEInvocation = defineInvocation({
  type: "metadata_to_vae",
  schemaName: "MetadataToVAEInvocation",
  title: "Metadata To VAE",
  tags: ["metadata"],
  category: "metadata",
  version: "1.2.1",
  classification: "beta",
  mixins: [WithMetadata],
  description: "Extracts a VAE value of a label from metadata",
  inputs: {
    label: labelInput([CUSTOM_LABEL, "vae"] as const, "vae"),
    custom_label: customLabelInput(),
    default_value: InputField(VAEField, { description: "The default VAE to use if not found in the metadata" }),
  },
  output: VAEModelOutput,
  async invoke(context) {
    const label = labelKey(this);
    const key = await extractModelKey(context, metadataOf(this), label, this.default_value.vae.key, "vae");
    const model = await modelIdentifier(context, this, "default_value", key);
    return { vae: { vae: submodelOf(model, "vae"), seamless_axes: [] } };
  },
});

/** The LoRAs recorded under `loras` (`[{model, weight}]`) that are installed, in order. */
async function recordedLoras(context: InvocationContext, node: NodeRef, metadata: Dict, key: string) {
  const recorded = metadata[key];
  const list = Array.isArray(recorded) ? recorded : [];
  const out: LoRAFieldValue[] = [];
  for (const item of list) {
    if (!isDict(item)) continue;
    let modelKey = await extractModelKey(context, item, "model", "", "lora");
    if (!modelKey) modelKey = await extractModelKey(context, item, "lora", "", "lora");
    if (!modelKey) continue;
    const weight = Number(item.weight);
    if (!Number.isFinite(weight)) {
      return failField(node, "metadata", `has a LoRA with a weight that is not a number`, item.weight);
    }
    out.push({ lora: await modelIdentifier(context, node, "metadata", modelKey), weight });
  }
  return out;
}

/** Appends LoRAs to a loader field's list, skipping (and logging) ones it already has. */
function appendLoras<F extends { loras: LoRAFieldValue[] }>(
  context: InvocationContext,
  field: F | null,
  what: string,
  loras: readonly LoRAFieldValue[],
): F | null {
  if (field === null) return null;
  const copy = structuredClone(field);
  for (const lora of loras) {
    if (copy.loras.some((l) => l.lora.key === lora.lora.key)) {
      context.logger.info(`LoRA "${lora.lora.key}" already applied to ${what}`);
    } else copy.loras.push(lora);
  }
  return copy;
}

const unetIn = () =>
  InputField(UNetField, {
    default: null,
    input: "connection",
    title: "UNet",
    description: "UNet (scheduler, LoRAs)",
  });
const clipIn = (title: string) =>
  InputField(CLIPField, {
    default: null,
    input: "connection",
    title,
    description: "CLIP (tokenizer, text encoder, LoRAs) and skipped layer count",
  });

/** `metadata_to_loras`: the recorded LoRAs appended to the UNet and CLIP passed in. */
export const MetadataToLorasInvocation = defineInvocation({
  type: "metadata_to_loras",
  schemaName: "MetadataToLorasInvocation",
  title: "Metadata To LoRAs",
  tags: ["metadata"],
  category: "metadata",
  version: "1.1.1",
  classification: "beta",
  mixins: [WithMetadata],
  description: "Extracts a Loras value of a label from metadata",
  inputs: { unet: unetIn(), clip: clipIn("CLIP") },
  output: LoRALoaderOutput,
  async invoke(context) {
    const loras = await recordedLoras(context, this, metadataOf(this), "loras");
    return {
      unet: appendLoras(context, this.unet, "unet", loras),
      clip: appendLoras(context, this.clip, "clip", loras),
    };
  },
});

/** `metadata_to_sdlx_loras` (InvokeAI's spelling): the recorded LoRAs appended to UNet, CLIP and CLIP 2. */
export const MetadataToSDXLLorasInvocation = defineInvocation({
  type: "metadata_to_sdlx_loras",
  schemaName: "MetadataToSDXLLorasInvocation",
  title: "Metadata To SDXL LoRAs",
  tags: ["metadata"],
  category: "metadata",
  version: "1.1.1",
  classification: "beta",
  mixins: [WithMetadata],
  description: "Extracts a SDXL Loras value of a label from metadata",
  inputs: { unet: unetIn(), clip: clipIn("CLIP 1"), clip2: clipIn("CLIP 2") },
  output: SDXLLoRALoaderOutput,
  async invoke(context) {
    const loras = await recordedLoras(context, this, metadataOf(this), "loras");
    return {
      unet: appendLoras(context, this.unet, "unet", loras),
      clip: appendLoras(context, this.clip, "clip", loras),
      clip2: appendLoras(context, this.clip2, "clip", loras),
    };
  },
});

/** `metadata_to_lora_collection`: the LoRAs passed in, then the recorded ones not among them. */
export const MetadataToLorasCollectionInvocation = defineInvocation({
  type: "metadata_to_lora_collection",
  schemaName: "MetadataToLorasCollectionInvocation",
  title: "Metadata To LoRA Collection",
  tags: ["metadata"],
  category: "metadata",
  version: "1.1.0",
  classification: "beta",
  mixins: [WithMetadata],
  description: "Extracts Lora(s) from metadata into a collection",
  inputs: {
    custom_label: InputField(z.string(), {
      default: "loras",
      input: "direct",
      description: "Label for this metadata item",
    }),
    loras: InputField(z.union([LoRAField, z.array(LoRAField)]).nullable(), {
      default: [],
      title: "LoRAs",
      description: "LoRA models and weights. May be a single LoRA or collection.",
    }),
  },
  output: MetadataToLorasCollectionOutput,
  async invoke(context) {
    const key = this.custom_label.trim() || "loras";
    const given = this.loras === null ? [] : Array.isArray(this.loras) ? this.loras : [this.loras];
    const out: LoRAFieldValue[] = [];
    const seen = new Set<string>();
    for (const lora of given) {
      if (seen.has(lora.lora.key)) continue;
      out.push(lora);
      seen.add(lora.lora.key);
    }
    // Like InvokeAI, recorded LoRAs are checked only against the ones passed in, not against each other.
    for (const lora of await recordedLoras(context, this, metadataOf(this), key)) {
      if (!seen.has(lora.lora.key)) out.push(lora);
    }
    return { lora: out };
  },
});

/** Items recorded under `key` (a list of dicts; anything else counts as none). */
function recordedItems(metadata: Dict, key: string): Dict[] {
  const v = metadata[key];
  return Array.isArray(v) ? v.filter(isDict) : [];
}

/** The incoming one-or-many value as a list, with `added` appended (InvokeAI's append_list). */
function withAdded<T>(given: T | T[] | null, added: readonly T[]): T | T[] | null {
  if (added.length === 0) return given === null ? [] : given;
  const base = given === null ? [] : Array.isArray(given) ? given : [given];
  return [...base, ...added];
}

/** Validates an adapter field built from metadata; a bad recorded value is a typed error about `metadata`. */
function parseRecorded<S extends z.ZodType>(node: NodeRef, schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return failField(
      node,
      "metadata",
      `has an adapter entry with a bad ${issue.path.join(".")}: ${issue.message}`,
      value,
    );
  }
  return parsed.data;
}

function recordedField(node: NodeRef, item: Dict, name: string): unknown {
  if (!(name in item)) return failField(node, "metadata", `has an adapter entry without "${name}"`, item);
  return item[name];
}

/** `metadata_to_controlnets`: the ControlNets passed in plus those recorded under `controlnets`. */
export const MetadataToControlnetsInvocation = defineInvocation({
  type: "metadata_to_controlnets",
  schemaName: "MetadataToControlnetsInvocation",
  title: "Metadata To ControlNets",
  tags: ["metadata"],
  category: "metadata",
  version: "1.2.0",
  classification: "beta",
  mixins: [WithMetadata],
  description: "Extracts a Controlnets value of a label from metadata",
  inputs: {
    control_list: InputField(z.union([ControlField, z.array(ControlField)]).nullable(), {
      default: null,
      input: "connection",
      title: "ControlNet-List",
    }),
  },
  output: MDControlListOutput,
  async invoke(context) {
    const added: ControlFieldValue[] = [];
    for (const x of recordedItems(metadataOf(this), "controlnets")) {
      const key = await extractModelKey(context, x, "control_model", "", "controlnet");
      const model = await modelIdentifier(context, this, "metadata", key);
      added.push(
        parseRecorded(this, ControlField, {
          image: recordedField(this, x, "image"),
          control_model: model,
          control_weight: recordedField(this, x, "control_weight"),
          begin_step_percent: recordedField(this, x, "begin_step_percent"),
          end_step_percent: recordedField(this, x, "end_step_percent"),
          control_mode: recordedField(this, x, "control_mode"),
          resize_mode: recordedField(this, x, "resize_mode"),
        }),
      );
    }
    return { control_list: withAdded(this.control_list, added) };
  },
});

/** The image encoder InvokeAI pairs with an IP-Adapter: named by its config, else the ViT-H encoder. */
async function imageEncoderFor(
  context: InvocationContext,
  node: NodeRef,
  adapter: ModelIdentifierFieldValue,
): Promise<ModelIdentifierFieldValue> {
  const config = await context.models.getConfig(adapter.key);
  const id = typeof config.image_encoder_model_id === "string" ? config.image_encoder_model_id : null;
  const name = id ? id.split("/").pop()!.trim() : "ip_adapter_sd_image_encoder";
  const found = await context.models.searchByAttrs({ name, type: "clip_vision" });
  if (found.length === 0) {
    // InvokeAI downloads the encoder here; Atelier installs models only through the model manager.
    throw new MetadataModelError(
      `Node ${node.type} (id "${node.id}"): the image encoder ${JSON.stringify(name)} of IP-Adapter ${JSON.stringify(adapter.name)} is not installed`,
      { node_type: node.type, node_id: node.id, field: "metadata", image_encoder: name },
    );
  }
  return modelIdentifierOf(found[0]!);
}

/** `metadata_to_ip_adapters`: the IP-Adapters passed in plus those recorded under `ipAdapters`. */
export const MetadataToIPAdaptersInvocation = defineInvocation({
  type: "metadata_to_ip_adapters",
  schemaName: "MetadataToIPAdaptersInvocation",
  title: "Metadata To IP-Adapters",
  tags: ["metadata"],
  category: "metadata",
  version: "1.2.0",
  classification: "beta",
  mixins: [WithMetadata],
  description: "Extracts a IP-Adapters value of a label from metadata",
  inputs: {
    ip_adapter_list: InputField(z.union([IPAdapterField, z.array(IPAdapterField)]).nullable(), {
      default: null,
      input: "connection",
      title: "IP-Adapter-List",
      description: "IP-Adapter to apply",
    }),
  },
  output: MDIPAdapterListOutput,
  async invoke(context) {
    const added: IPAdapterFieldValue[] = [];
    for (const x of recordedItems(metadataOf(this), "ipAdapters")) {
      const key = await extractModelKey(context, x, "ip_adapter_model", "", "ip_adapter");
      const model = await modelIdentifier(context, this, "metadata", key);
      added.push(
        parseRecorded(this, IPAdapterField, {
          image: recordedField(this, x, "image"),
          ip_adapter_model: model,
          image_encoder_model: await imageEncoderFor(context, this, model),
          weight: recordedField(this, x, "weight"),
          // The method is not passed on from metadata in InvokeAI either: "full" targets every block.
          method: "full",
          target_blocks: ["block"],
          begin_step_percent: recordedField(this, x, "begin_step_percent"),
          end_step_percent: recordedField(this, x, "end_step_percent"),
        }),
      );
    }
    return { ip_adapter_list: withAdded(this.ip_adapter_list, added) };
  },
});

/** `metadata_to_t2i_adapters`: the T2I-Adapters passed in plus those recorded under `t2iAdapters`. */
export const MetadataToT2IAdaptersInvocation = defineInvocation({
  type: "metadata_to_t2i_adapters",
  schemaName: "MetadataToT2IAdaptersInvocation",
  title: "Metadata To T2I-Adapters",
  tags: ["metadata"],
  category: "metadata",
  version: "1.2.0",
  classification: "beta",
  mixins: [WithMetadata],
  description: "Extracts a T2I-Adapters value of a label from metadata",
  inputs: {
    t2i_adapter_list: InputField(z.union([T2IAdapterField, z.array(T2IAdapterField)]).nullable(), {
      default: null,
      input: "connection",
      title: "T2I-Adapter",
      description: "IP-Adapter to apply",
    }),
  },
  output: MDT2IAdapterListOutput,
  async invoke(context) {
    const added: T2IAdapterFieldValue[] = [];
    for (const x of recordedItems(metadataOf(this), "t2iAdapters")) {
      const key = await extractModelKey(context, x, "t2i_adapter_model", "", "t2i_adapter");
      const model = await modelIdentifier(context, this, "metadata", key);
      added.push(
        parseRecorded(this, T2IAdapterField, {
          image: recordedField(this, x, "image"),
          t2i_adapter_model: model,
          weight: recordedField(this, x, "weight"),
          begin_step_percent: recordedField(this, x, "begin_step_percent"),
          end_step_percent: recordedField(this, x, "end_step_percent"),
          resize_mode: recordedField(this, x, "resize_mode"),
        }),
      );
    }
    return { t2i_adapter_list: withAdded(this.t2i_adapter_list, added) };
  },
});

/** Every model metadata extractor. */
export const METADATA_MODEL_NODES: readonly AnyInvocationDefinition[] = [
  MetadataToModelInvocation,
  MetadataToSDXLModelInvocation,
  MetadataToVAEInvocation,
  MetadataToLorasInvocation,
  MetadataToSDXLLorasInvocation,
  MetadataToLorasCollectionInvocation,
  MetadataToControlnetsInvocation,
  MetadataToIPAdaptersInvocation,
  MetadataToT2IAdaptersInvocation,
] as unknown as readonly AnyInvocationDefinition[];
