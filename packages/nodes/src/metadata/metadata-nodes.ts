/**
 * InvokeAI's metadata nodes (`invocations/metadata.py`, `metadata_linked.py`): build, merge and read the metadata
 * dict that image-saving nodes embed in their PNGs.
 */
import {
  BooleanCollectionOutput,
  BooleanOutput,
  defineInvocation,
  defineOutput,
  FloatCollectionOutput,
  FloatOutput,
  ImageField,
  InputField,
  IntegerCollectionOutput,
  IntegerOutput,
  MetadataField,
  ModelIdentifierField,
  namedSchema,
  OutputField,
  SCHEDULER_NAMES,
  StringCollectionOutput,
  StringOutput,
  WithMetadata,
  z,
  type AnyInvocationDefinition,
  type OutputDefinition,
  type SchedulerName,
} from "@atelier/core";
import { failField, withFieldErrors } from "../logic/field-errors.js";
import { METADATA_MODEL_NODES } from "./metadata-model-nodes.js";
import { CUSTOM_LABEL, metadataKey, readMetadataValue, type MetadataScalarKind } from "./metadata-values.js";

/** The `app_version` written into metadata: Atelier's version (InvokeAI writes its own). */
export const METADATA_APP_VERSION = "atelier-0.1.0";

/** `MetadataItemField`: one label and its value. */
export const MetadataItemField = namedSchema(
  "MetadataItemField",
  z.object({
    label: z.string().describe("Label for this metadata item"),
    value: z.unknown().describe("The value for this metadata item (may be any type)"),
  }),
);

/** `metadata_item_output`: `{item}`. */
export const MetadataItemOutput = defineOutput({
  type: "metadata_item_output",
  description: "Metadata Item Output",
  fields: { item: OutputField(MetadataItemField, { description: "Metadata Item" }) },
});

/** `metadata_output`: `{metadata}`. */
export const MetadataOutput = defineOutput({
  type: "metadata_output",
  fields: { metadata: OutputField(MetadataField, { description: "Metadata Dict" }) },
});

/** `scheduler_output`: `{scheduler}`. */
export const SchedulerOutput = defineOutput({
  type: "scheduler_output",
  fields: {
    scheduler: OutputField(z.enum(SCHEDULER_NAMES), {
      description: "Scheduler to use during inference",
      ui_type: "SchedulerField",
    }),
  },
});

/** `metadata_item`: a label and any value. */
export const MetadataItemInvocation = defineInvocation({
  type: "metadata_item",
  title: "Metadata Item",
  tags: ["metadata"],
  category: "metadata",
  version: "1.0.1",
  description:
    'Used to create an arbitrary metadata item. Provide "label" and make a connection to "value" to store that data as the value.',
  inputs: {
    label: InputField(z.string(), { description: "Label for this metadata item" }),
    value: InputField(z.unknown(), {
      description: "The value for this metadata item (may be any type)",
      ui_type: "AnyField",
    }),
  },
  output: MetadataItemOutput,
  invoke() {
    return { item: { label: this.label ?? "", value: this.value } };
  },
});

/** `metadata`: items → one metadata dict (plus `app_version`). */
export const MetadataInvocation = defineInvocation({
  type: "metadata",
  title: "Metadata",
  tags: ["metadata"],
  category: "metadata",
  version: "1.0.1",
  description: "Takes a MetadataItem or collection of MetadataItems and outputs a MetadataDict.",
  inputs: {
    items: InputField(z.union([z.array(MetadataItemField), MetadataItemField]), {
      description: "A single metadata item or collection of metadata items",
    }),
  },
  output: MetadataOutput,
  invoke() {
    const items = Array.isArray(this.items) ? this.items : this.items ? [this.items] : [];
    const data: Record<string, unknown> = {};
    for (const item of items) data[item.label] = item.value;
    data.app_version = METADATA_APP_VERSION;
    return { metadata: data };
  },
});

/** `merge_metadata`: later dicts win on shared keys. */
export const MergeMetadataInvocation = defineInvocation({
  type: "merge_metadata",
  title: "Metadata Merge",
  tags: ["metadata"],
  category: "metadata",
  version: "1.0.1",
  description: "Merged a collection of MetadataDict into a single MetadataDict.",
  inputs: { collection: InputField(z.array(MetadataField), { description: "Collection of Metadata" }) },
  output: MetadataOutput,
  invoke() {
    const data: Record<string, unknown> = {};
    for (const item of this.collection ?? []) Object.assign(data, item);
    return { metadata: data };
  },
});

const GENERATION_MODES = [
  "txt2img",
  "img2img",
  "inpaint",
  "outpaint",
  "sdxl_txt2img",
  "sdxl_img2img",
  "sdxl_inpaint",
  "sdxl_outpaint",
  "flux_txt2img",
  "flux_img2img",
  "flux_inpaint",
  "flux_outpaint",
  "flux2_txt2img",
  "flux2_img2img",
  "flux2_inpaint",
  "flux2_outpaint",
  "sd3_txt2img",
  "sd3_img2img",
  "sd3_inpaint",
  "sd3_outpaint",
  "cogview4_txt2img",
  "cogview4_img2img",
  "cogview4_inpaint",
  "cogview4_outpaint",
  "z_image_txt2img",
  "z_image_img2img",
  "z_image_inpaint",
  "z_image_outpaint",
  "ernie_image_txt2img",
  "ideogram4_txt2img",
  "qwen_image_txt2img",
  "qwen_image_img2img",
  "qwen_image_inpaint",
  "qwen_image_outpaint",
  "anima_txt2img",
  "anima_img2img",
  "anima_inpaint",
  "anima_outpaint",
  "krea2_txt2img",
  "krea2_img2img",
  "krea2_inpaint",
  "krea2_outpaint",
  "wan_txt2img",
  "wan_img2img",
  "wan_inpaint",
  "wan_outpaint",
  "wan_i2v",
] as const;

const stepPercent = (when: string, what: string, d: number) =>
  z.number().gte(0).lte(1).default(d).describe(`When the ${what} is ${when} applied (% of total steps)`);
const weightList = (what: string) =>
  z.union([z.number(), z.array(z.number())]).describe(`The weight given to the ${what}`);
const resizeMode = () =>
  z
    .enum(["just_resize", "crop_resize", "fill_resize", "just_resize_simple"])
    .default("just_resize")
    .describe("The resize mode to use");

/** `ControlNetMetadataField`: a ControlNet as recorded in metadata. */
export const ControlNetMetadataField = namedSchema(
  "ControlNetMetadataField",
  z.object({
    image: ImageField.describe("The control image"),
    processed_image: ImageField.nullable().default(null).describe("The control image, after processing."),
    control_model: ModelIdentifierField.describe("The ControlNet model to use"),
    control_weight: weightList("ControlNet").default(1),
    begin_step_percent: stepPercent("first", "ControlNet", 0),
    end_step_percent: stepPercent("last", "ControlNet", 1),
    control_mode: z
      .enum(["balanced", "more_prompt", "more_control", "unbalanced"])
      .default("balanced")
      .describe("The control mode to use"),
    resize_mode: resizeMode(),
  }),
);

/** `IPAdapterMetadataField`: an IP-Adapter as recorded in metadata. */
export const IPAdapterMetadataField = namedSchema(
  "IPAdapterMetadataField",
  z.object({
    image: ImageField.describe("The IP-Adapter image prompt."),
    ip_adapter_model: ModelIdentifierField.describe("The IP-Adapter model."),
    clip_vision_model: z.enum(["ViT-L", "ViT-H", "ViT-G"]).describe("The CLIP Vision model"),
    method: z
      .enum(["full", "style", "composition", "style_strong", "style_precise"])
      .describe("Method to apply IP Weights with"),
    weight: weightList("IP-Adapter"),
    begin_step_percent: z.number().describe("When the IP-Adapter is first applied (% of total steps)"),
    end_step_percent: z.number().describe("When the IP-Adapter is last applied (% of total steps)"),
  }),
  "IP Adapter Field, minus the CLIP Vision Encoder model",
);

/** `T2IAdapterMetadataField`: a T2I-Adapter as recorded in metadata. */
export const T2IAdapterMetadataField = namedSchema(
  "T2IAdapterMetadataField",
  z.object({
    image: ImageField.describe("The control image."),
    processed_image: ImageField.nullable().default(null).describe("The control image, after processing."),
    t2i_adapter_model: ModelIdentifierField.describe("The T2I-Adapter model to use."),
    weight: weightList("T2I-Adapter").default(1),
    begin_step_percent: stepPercent("first", "T2I-Adapter", 0),
    end_step_percent: stepPercent("last", "T2I-Adapter", 1),
    resize_mode: resizeMode(),
  }),
);

/** `LoRAMetadataField`: a LoRA and its weight as recorded in metadata. */
export const LoRAMetadataField = namedSchema(
  "LoRAMetadataField",
  z.object({
    model: ModelIdentifierField.describe("LoRA model to load"),
    weight: z.number().describe("The weight at which the LoRA is applied to each model"),
  }),
  "LoRA Metadata Field",
);

const opt = <S extends z.ZodType>(schema: S, description: string) => InputField(schema, { default: null, description });

/** `core_metadata`: the generation parameters the UI records; unknown fields are kept (`extra="allow"`). */
export const CoreMetadataInvocation = defineInvocation({
  type: "core_metadata",
  title: "Core Metadata",
  tags: ["metadata"],
  category: "metadata",
  version: "2.2.0",
  classification: "internal",
  allowExtraFields: true,
  description: "Used internally by Invoke to collect metadata for generations.",
  inputs: {
    generation_mode: opt(z.enum(GENERATION_MODES), "The generation mode that output this image"),
    positive_prompt: opt(z.string(), "The positive prompt parameter"),
    negative_prompt: opt(z.string(), "The negative prompt parameter"),
    width: opt(z.number().int(), "The width parameter"),
    height: opt(z.number().int(), "The height parameter"),
    seed: opt(z.number().int(), "The seed used for noise generation"),
    rand_device: opt(z.string(), "The device used for random number generation"),
    cfg_scale: opt(z.number(), "The classifier-free guidance scale parameter"),
    cfg_rescale_multiplier: opt(
      z.number(),
      "Rescale multiplier for CFG guidance, used for models trained with zero-terminal SNR",
    ),
    steps: opt(z.number().int(), "The number of steps used for inference"),
    scheduler: opt(z.string(), "The scheduler used for inference"),
    seamless_x: opt(z.boolean(), "Whether seamless tiling was used on the X axis"),
    seamless_y: opt(z.boolean(), "Whether seamless tiling was used on the Y axis"),
    clip_skip: opt(z.number().int(), "The number of skipped CLIP layers"),
    model: opt(ModelIdentifierField, "The main model used for inference"),
    controlnets: opt(z.array(ControlNetMetadataField), "The ControlNets used for inference"),
    ipAdapters: opt(z.array(IPAdapterMetadataField), "The IP Adapters used for inference"),
    t2iAdapters: opt(z.array(T2IAdapterMetadataField), "The IP Adapters used for inference"),
    loras: opt(z.array(LoRAMetadataField), "The LoRAs used for inference"),
    strength: opt(z.number(), "The strength used for latents-to-latents"),
    init_image: opt(z.string(), "The name of the initial image"),
    vae: opt(ModelIdentifierField, "The VAE used for decoding, if the main model's default was not used"),
    qwen3_encoder: opt(ModelIdentifierField, "The Qwen3 text encoder model used for Z-Image inference"),
    mistral_encoder: opt(ModelIdentifierField, "The Mistral text encoder model used for FLUX.2 [dev] inference"),
    ideogram4_caption: opt(z.string(), "The structured JSON caption encoded for Ideogram 4 inference"),
    hrf_enabled: opt(z.boolean(), "Whether or not high resolution fix was enabled."),
    hrf_method: opt(z.string(), "The high resolution fix upscale method."),
    hrf_strength: opt(z.number(), "The high resolution fix img2img strength used in the upscale pass."),
    positive_style_prompt: opt(z.string(), "The positive style prompt parameter"),
    negative_style_prompt: opt(z.string(), "The negative style prompt parameter"),
    refiner_model: opt(ModelIdentifierField, "The SDXL Refiner model used"),
    refiner_cfg_scale: opt(z.number(), "The classifier-free guidance scale parameter used for the refiner"),
    refiner_steps: opt(z.number().int(), "The number of steps used for the refiner"),
    refiner_scheduler: opt(z.string(), "The scheduler used for the refiner"),
    refiner_positive_aesthetic_score: opt(z.number(), "The aesthetic score used for the refiner"),
    refiner_negative_aesthetic_score: opt(z.number(), "The aesthetic score used for the refiner"),
    refiner_start: opt(z.number(), "The start value used for refiner denoising"),
  },
  output: MetadataOutput,
  invoke() {
    const data: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this)) {
      if (["id", "type", "is_intermediate", "use_cache"].includes(key) || value === null || value === undefined)
        continue;
      data[key] = value;
    }
    data.app_version = METADATA_APP_VERSION;
    return { metadata: data };
  },
});

/** `metadata_field_extractor` (deprecated in InvokeAI): a string value from an image's metadata. */
export const MetadataFieldExtractorInvocation = defineInvocation({
  type: "metadata_field_extractor",
  title: "Metadata Field Extractor",
  tags: ["metadata"],
  category: "metadata",
  version: "1.0.0",
  classification: "deprecated",
  description:
    "Extracts the text value from an image's metadata given a key.\nRaises an error if the image has no metadata or if the value is not a string (nesting not permitted).",
  inputs: {
    image: InputField(ImageField, { description: "The image to extract metadata from" }),
    key: InputField(z.string(), { description: "The key in the image's metadata to extract the value from" }),
  },
  output: StringOutput,
  async invoke(context) {
    const metadata = await context.images.getMetadata(this.image.image_name);
    if (!metadata) return failField(this, "image", "has no metadata", this.image);
    if (!Object.hasOwn(metadata, this.key))
      return failField(this, "key", "is not a key of the image's metadata", this.key);
    const value = metadata[this.key];
    if (typeof value !== "string") return failField(this, "key", "must name a string value in the metadata", this.key);
    return { value };
  },
});

/** `metadata_from_image`: the metadata stored with an image (empty when none). */
export const MetadataFromImageInvocation = defineInvocation({
  type: "metadata_from_image",
  title: "Metadata From Image",
  tags: ["metadata"],
  category: "metadata",
  version: "1.0.1",
  classification: "beta",
  description: "Used to create a core metadata item then Add/Update it to the provided metadata",
  inputs: { image: InputField(ImageField, { description: "The image to process" }) },
  output: MetadataOutput,
  async invoke(context) {
    const metadata = await context.images.getMetadata(this.image.image_name);
    return { metadata: { ...(metadata ?? {}) } };
  },
});

const LINKED_LABELS = [
  CUSTOM_LABEL,
  "positive_prompt",
  "positive_style_prompt",
  "negative_prompt",
  "negative_style_prompt",
  "width",
  "height",
  "seed",
  "cfg_scale",
  "cfg_rescale_multiplier",
  "steps",
  "scheduler",
  "clip_skip",
  "model",
  "vae",
  "seamless_x",
  "seamless_y",
  "guidance",
  "cfg_scale_start_step",
  "cfg_scale_end_step",
] as const;

const labelField = <L extends readonly [string, ...string[]]>(labels: L, d: L[number]) =>
  InputField(z.enum(labels), { default: d, input: "direct", description: "Label for this metadata item" });
const customLabelField = () =>
  InputField(z.string(), { default: null, input: "direct", description: "Label for this metadata item" });

/** `metadata_item_linked`: adds or replaces one label in incoming metadata. */
export const MetadataItemLinkedInvocation = defineInvocation({
  type: "metadata_item_linked",
  title: "Metadata Item Linked",
  tags: ["metadata"],
  category: "metadata",
  version: "1.0.1",
  classification: "beta",
  mixins: [WithMetadata],
  description: "Used to Create/Add/Update a value into a metadata label",
  inputs: {
    label: labelField(LINKED_LABELS, CUSTOM_LABEL),
    custom_label: customLabelField(),
    value: InputField(z.unknown(), {
      description: "The value for this metadata item (may be any type)",
      ui_type: "AnyField",
    }),
  },
  output: MetadataOutput,
  invoke() {
    const key = metadataKey(this.label, this.custom_label);
    // A VAE connection carries {vae, seamless_axes}; the metadata keeps just the model identifier.
    const value =
      this.value !== null && typeof this.value === "object" && "vae" in this.value && "seamless_axes" in this.value
        ? (this.value as { vae: unknown }).vae
        : this.value;
    return { metadata: { ...(this.metadata ?? {}), [key]: value, app_version: METADATA_APP_VERSION } };
  },
});

interface ExtractorSpec {
  readonly type: string;
  readonly title: string;
  readonly schemaName: string;
  readonly version: string;
  readonly description: string;
  readonly labels: readonly [string, ...string[]];
  readonly kind: MetadataScalarKind;
  readonly list: boolean;
  readonly valueSchema: z.ZodType;
  readonly defaultDescription: string;
  readonly output: OutputDefinition;
}

function defineExtractor(spec: ExtractorSpec): AnyInvocationDefinition {
  const field = spec.list ? "collection" : "value";
  return defineInvocation({
    type: spec.type,
    title: spec.title,
    tags: ["metadata"],
    category: "metadata",
    version: spec.version,
    classification: "beta",
    schemaName: spec.schemaName,
    mixins: [WithMetadata],
    description: spec.description,
    inputs: {
      label: labelField(spec.labels, CUSTOM_LABEL),
      custom_label: customLabelField(),
      default_value: InputField(spec.list ? z.array(spec.valueSchema) : spec.valueSchema, {
        description: spec.defaultDescription,
      }),
    },
    output: spec.output,
    invoke() {
      const key = metadataKey(this.label, this.custom_label);
      const value = withFieldErrors(this, this, () =>
        readMetadataValue(this.metadata, key, this.default_value, spec.kind, spec.list),
      );
      return { [field]: value } as never;
    },
  }) as unknown as AnyInvocationDefinition;
}

const PROMPT_LABELS = [
  CUSTOM_LABEL,
  "positive_prompt",
  "positive_style_prompt",
  "negative_prompt",
  "negative_style_prompt",
] as const;
const INTEGER_LABELS = [
  CUSTOM_LABEL,
  "width",
  "height",
  "seed",
  "steps",
  "clip_skip",
  "cfg_scale_start_step",
  "cfg_scale_end_step",
] as const;
const FLOAT_LABELS = [CUSTOM_LABEL, "cfg_scale", "cfg_rescale_multiplier", "guidance"] as const;
const BOOL_LABELS = [CUSTOM_LABEL, "seamless_x", "seamless_y"] as const;

/** `metadata_to_string`, `metadata_to_integer`, … : read one typed value (or list) from metadata. */
export const METADATA_EXTRACTOR_NODES: readonly AnyInvocationDefinition[] = [
  defineExtractor({
    type: "metadata_to_string",
    title: "Metadata To String",
    schemaName: "MetadataToStringInvocation",
    version: "1.0.0",
    description: "Extracts a string value of a label from metadata",
    labels: PROMPT_LABELS,
    kind: "string",
    list: false,
    valueSchema: z.string(),
    defaultDescription: "The default string to use if not found in the metadata",
    output: StringOutput,
  }),
  defineExtractor({
    type: "metadata_to_string_collection",
    title: "Metadata To String Collection",
    schemaName: "MetadataToStringCollectionInvocation",
    version: "1.0.0",
    description: "Extracts a string collection value of a label from metadata",
    labels: PROMPT_LABELS,
    kind: "string",
    list: true,
    valueSchema: z.string(),
    defaultDescription: "The default string collection to use if not found in the metadata",
    output: StringCollectionOutput,
  }),
  defineExtractor({
    type: "metadata_to_integer",
    title: "Metadata To Integer",
    schemaName: "MetadataToIntegerInvocation",
    version: "1.0.0",
    description: "Extracts an integer value of a label from metadata",
    labels: INTEGER_LABELS,
    kind: "integer",
    list: false,
    valueSchema: z.number().int(),
    defaultDescription: "The default integer to use if not found in the metadata",
    output: IntegerOutput,
  }),
  defineExtractor({
    type: "metadata_to_integer_collection",
    title: "Metadata To Integer Collection",
    schemaName: "MetadataToIntegerCollectionInvocation",
    version: "1.0.0",
    description: "Extracts an integer value Collection of a label from metadata",
    labels: INTEGER_LABELS,
    kind: "integer",
    list: true,
    valueSchema: z.number().int(),
    defaultDescription: "The default integer to use if not found in the metadata",
    output: IntegerCollectionOutput,
  }),
  defineExtractor({
    type: "metadata_to_float",
    title: "Metadata To Float",
    schemaName: "MetadataToFloatInvocation",
    version: "1.1.0",
    description: "Extracts a Float value of a label from metadata",
    labels: FLOAT_LABELS,
    kind: "float",
    list: false,
    valueSchema: z.number(),
    defaultDescription: "The default float to use if not found in the metadata",
    output: FloatOutput,
  }),
  defineExtractor({
    type: "metadata_to_float_collection",
    title: "Metadata To Float Collection",
    schemaName: "MetadataToFloatCollectionInvocation",
    version: "1.0.0",
    description: "Extracts a Float value Collection of a label from metadata",
    labels: FLOAT_LABELS,
    kind: "float",
    list: true,
    valueSchema: z.number(),
    defaultDescription: "The default float to use if not found in the metadata",
    output: FloatCollectionOutput,
  }),
  defineExtractor({
    type: "metadata_to_bool",
    title: "Metadata To Bool",
    schemaName: "MetadataToBoolInvocation",
    version: "1.0.0",
    description: "Extracts a Boolean value of a label from metadata",
    labels: BOOL_LABELS,
    kind: "boolean",
    list: false,
    valueSchema: z.boolean(),
    defaultDescription: "The default bool to use if not found in the metadata",
    output: BooleanOutput,
  }),
  defineExtractor({
    type: "metadata_to_bool_collection",
    title: "Metadata To Bool Collection",
    schemaName: "MetadataToBoolCollectionInvocation",
    version: "1.0.0",
    description: "Extracts a Boolean value Collection of a label from metadata",
    labels: BOOL_LABELS,
    kind: "boolean",
    list: true,
    valueSchema: z.boolean(),
    defaultDescription: "The default bool to use if not found in the metadata",
    output: BooleanCollectionOutput,
  }),
];

/** `metadata_to_scheduler`: a scheduler name from metadata. */
export const MetadataToSchedulerInvocation = defineInvocation({
  type: "metadata_to_scheduler",
  title: "Metadata To Scheduler",
  tags: ["metadata"],
  category: "metadata",
  version: "1.0.1",
  classification: "beta",
  mixins: [WithMetadata],
  description: "Extracts a Scheduler value of a label from metadata",
  inputs: {
    label: labelField([CUSTOM_LABEL, "scheduler"] as const, "scheduler"),
    custom_label: customLabelField(),
    default_value: InputField(z.enum(SCHEDULER_NAMES), {
      default: "euler",
      description: "The default scheduler to use if not found in the metadata",
      ui_type: "SchedulerField",
    }),
  },
  output: SchedulerOutput,
  invoke() {
    const key = metadataKey(this.label, this.custom_label);
    const value = this.metadata && Object.hasOwn(this.metadata, key) ? this.metadata[key] : this.default_value;
    if (!(SCHEDULER_NAMES as readonly unknown[]).includes(value)) {
      return failField(this, "label", `names a metadata value that is not a scheduler (${JSON.stringify(value)})`, key);
    }
    return { scheduler: value as SchedulerName };
  },
});

/** Every metadata node. */
export const METADATA_NODES: readonly AnyInvocationDefinition[] = [
  MetadataItemInvocation,
  MetadataInvocation,
  MergeMetadataInvocation,
  CoreMetadataInvocation,
  MetadataFieldExtractorInvocation,
  MetadataFromImageInvocation,
  MetadataItemLinkedInvocation,
  ...METADATA_EXTRACTOR_NODES,
  MetadataToSchedulerInvocation,
  ...METADATA_MODEL_NODES,
] as unknown as readonly AnyInvocationDefinition[];
