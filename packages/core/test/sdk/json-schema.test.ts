import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as core from "@atelier/core";
import {
  AnyField,
  buildComponentSchemas,
  CLIPField,
  CollectInvocation,
  ConditioningOutput,
  defineInvocation,
  defineOutput,
  getDefaultRegistry,
  IfInvocation,
  ImageCollectionOutput,
  ImageField,
  ImageOutput,
  InputField,
  IntegerOutput,
  IterateInvocation,
  JsonSchemaWriter,
  ModelIdentifierField,
  NodeRegistry,
  OutputField,
  pydanticTitle,
  registerCoreNodes,
  TensorField,
  WithBoard,
  WithMetadata,
  z,
  type JsonSchema,
} from "@atelier/core";

// InvokeAI's generated API schema, kept outside the repository (never copied into it).
const openapiPath =
  process.env.ATELIER_INVOKEAI_OPENAPI ??
  fileURLToPath(new URL("../../../../../shared/invokeai/openapi.json", import.meta.url));

function schemasOf(...defs: Parameters<NodeRegistry["register"]>[0][]): Record<string, JsonSchema> {
  const registry = new NodeRegistry();
  registerCoreNodes(registry);
  for (const d of defs) registry.register(d);
  return buildComponentSchemas(registry);
}

// InvokeAI's img_resize, rebuilt with the SDK: it must produce InvokeAI's schema exactly.
const ImageResizeInvocation = defineInvocation({
  type: "img_resize",
  schemaName: "ImageResizeInvocation",
  title: "Resize Image",
  tags: ["image", "resize"],
  category: "image",
  version: "1.2.2",
  description: "Resizes an image to specific dimensions",
  mixins: [WithMetadata, WithBoard],
  inputs: {
    image: InputField(ImageField, { description: "The image to resize" }),
    width: InputField(z.number().int().gt(0), { default: 512, description: "The width to resize to (px)" }),
    height: InputField(z.number().int().gt(0), { default: 512, description: "The height to resize to (px)" }),
    resample_mode: InputField(z.enum(["nearest", "box", "bilinear", "hamming", "bicubic", "lanczos"]), {
      default: "bicubic",
      description: "The resampling mode",
    }),
  },
  output: ImageOutput,
  invoke: () => ImageOutput.build({ image_name: "x", width: 1, height: 1 }),
});

const NoiseInvocation = defineInvocation({
  type: "noise",
  title: "Create Latent Noise",
  tags: ["latents", "noise"],
  category: "latents",
  version: "1.1.0",
  inputs: {
    noise_type: InputField(z.enum(["SD", "FLUX", "FLUX.2", "SD3", "CogView4", "Z-Image", "Anima"]), {
      default: "SD",
      description: "Architecture-specific noise type.",
    }),
    seed: InputField(z.number().int().gte(0).lte(4294967295), {
      default: 0,
      description: "Seed for random number generation",
    }),
    width: InputField(z.number().int().gt(0).multipleOf(8), { default: 512, description: "Width of output (px)" }),
    height: InputField(z.number().int().gt(0).multipleOf(8), { default: 512, description: "Height of output (px)" }),
    use_cpu: InputField(z.boolean(), {
      default: true,
      description: "Use CPU for noise generation (for reproducible results across platforms)",
    }),
  },
  output: IntegerOutput,
  invoke: () => ({ value: 0 }),
});

const CompelInvocation = defineInvocation({
  type: "compel",
  version: "1.2.1",
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
  invoke: () => ConditioningOutput.build("c"),
});

const ImageCollectionInvocation = defineInvocation({
  type: "image_collection",
  version: "1.0.2",
  inputs: {
    collection: InputField(z.array(ImageField), {
      default: null,
      input: "connection",
      description: "An optional image collection to append to",
      ui_order: 0,
    }),
    images: InputField(z.array(ImageField), {
      default: null,
      input: "direct",
      description: "The images to append to the collection",
      ui_order: 1,
    }),
  },
  output: ImageCollectionOutput,
  invoke: () => ({ collection: [] }),
});

const Sd3ModelLoaderInvocation = defineInvocation({
  type: "sd3_model_loader",
  version: "1.0.1",
  inputs: {
    model: InputField(ModelIdentifierField, {
      input: "direct",
      description: "SD3 model (MMDiTX) to load",
      ui_model_base: "sd-3",
      ui_model_type: "main",
    }),
    t5_encoder_model: InputField(ModelIdentifierField, {
      default: null,
      input: "direct",
      title: "T5 Encoder",
      description: "T5 tokenizer and text encoder",
      ui_model_type: "t5_encoder",
    }),
    clip_l_model: InputField(ModelIdentifierField, {
      default: null,
      input: "direct",
      title: "CLIP L Encoder",
      description: "CLIP Embed loader",
      ui_model_type: "clip_embed",
      ui_model_variant: "large",
    }),
    vae_model: InputField(ModelIdentifierField, {
      default: null,
      title: "VAE",
      description: "VAE model to load",
      ui_model_base: "sd-3",
      ui_model_type: "vae",
    }),
  },
  output: IntegerOutput,
  invoke: () => ({ value: 0 }),
});

describe("pydanticTitle", () => {
  it.each([
    ["use_cpu", "Use Cpu"],
    ["x_min", "X Min"],
    ["t5_encoder", "T5 Encoder"],
    ["dataURL", "Dataurl"],
    ["image", "Image"],
  ])("%s → %s", (name, title) => expect(pydanticTitle(name)).toBe(title));
});

describe("node JSON Schema", () => {
  const schemas = schemasOf(
    ImageResizeInvocation,
    NoiseInvocation,
    CompelInvocation,
    ImageCollectionInvocation,
    Sd3ModelLoaderInvocation,
  );

  it("writes a node with both mixins and every input kind as InvokeAI's UI reads it", () => {
    const node = schemas.ImageResizeInvocation!;
    expect(node).toMatchObject({
      title: "Resize Image",
      class: "invocation",
      classification: "stable",
      node_pack: "invokeai",
      version: "1.2.2",
      tags: ["image", "resize"],
      category: "image",
      required: ["type", "id"],
      output: { $ref: "#/components/schemas/ImageOutput" },
    });
    const p = node.properties as Record<string, JsonSchema>;
    expect(p.metadata).toEqual({
      anyOf: [{ $ref: "#/components/schemas/MetadataField" }, { type: "null" }],
      default: null,
      description: "Optional metadata to be saved with the image",
      field_kind: "internal",
      input: "connection",
      orig_required: false,
      ui_hidden: false,
    });
    expect(p.board).toMatchObject({ field_kind: "internal", input: "direct", default: null, orig_required: false });
    expect(p.image).toEqual({
      anyOf: [{ $ref: "#/components/schemas/ImageField" }, { type: "null" }],
      default: null,
      description: "The image to resize",
      field_kind: "input",
      input: "any",
      orig_required: true,
    });
    expect(p.width).toEqual({
      type: "integer",
      exclusiveMinimum: 0,
      default: 512,
      title: "Width",
      description: "The width to resize to (px)",
      field_kind: "input",
      input: "any",
      orig_required: false,
      orig_default: 512,
    });
    expect(p.type).toEqual({
      const: "img_resize",
      default: "img_resize",
      field_kind: "node_attribute",
      title: "type",
      type: "string",
    });
    expect(schemas.InvocationOutputMap!.properties).toMatchObject({
      img_resize: { $ref: "#/components/schemas/ImageOutput" },
      iterate: { $ref: "#/components/schemas/IterateInvocationOutput" },
    });
  });

  it("lists direct inputs without default as required and normalises ui_model_* hints", () => {
    const node = schemas.Sd3ModelLoaderInvocation!;
    expect(node.required).toEqual(["model", "type", "id"]);
    expect((node.properties as Record<string, JsonSchema>).model).toEqual({
      $ref: "#/components/schemas/ModelIdentifierField",
      description: "SD3 model (MMDiTX) to load",
      field_kind: "input",
      input: "direct",
      orig_required: true,
      ui_model_base: ["sd-3"],
      ui_model_type: ["main"],
    });
  });

  it("emits every named field model it refers to, and the model taxonomy enums", () => {
    for (const name of ["ImageField", "MetadataField", "BoardField", "CLIPField", "LoRAField", "TensorField"]) {
      expect(schemas[name], name).toMatchObject({ title: name });
    }
    expect(schemas.BaseModelType).toMatchObject({ type: "string", title: "BaseModelType" });
    expect((schemas.BaseModelType!.enum as string[]).slice(0, 5)).toEqual(["any", "sd-1", "sd-2", "sd-3", "sdxl"]);
  });

  it("writes inline objects, records, unions, tuples, literals and string constraints", () => {
    const writer = new JsonSchemaWriter();
    expect(writer.toJson(z.object({ a: z.string().min(1).max(3).regex(/^x+$/), b: z.number().optional() }))).toEqual({
      properties: {
        a: { type: "string", minLength: 1, maxLength: 3, pattern: "^x+$", title: "A" },
        b: { type: "number", title: "B" },
      },
      required: ["a"],
      type: "object",
    });
    expect(writer.toJson(z.record(z.string(), z.number()))).toEqual({
      additionalProperties: { type: "number" },
      type: "object",
    });
    expect(writer.toJson(z.union([z.number(), z.array(z.number())]))).toEqual({
      anyOf: [{ type: "number" }, { items: { type: "number" }, type: "array" }],
    });
    expect(writer.toJson(z.tuple([z.number().int(), z.number().int()]))).toEqual({
      prefixItems: [{ type: "integer" }, { type: "integer" }],
      minItems: 2,
      maxItems: 2,
      type: "array",
    });
    expect(writer.toJson(z.literal("x"))).toEqual({ const: "x", type: "string" });
    expect(writer.toJson(z.array(AnyField).min(1))).toEqual({ items: {}, minItems: 1, type: "array" });
  });

  it("disambiguates two node types claiming one schema name", () => {
    const a = defineInvocation({
      type: "dup_a",
      schemaName: "DupInvocation",
      version: "1.0.0",
      inputs: {},
      output: IntegerOutput,
      invoke: () => ({ value: 1 }),
    });
    const b = defineInvocation({
      type: "dup_b",
      schemaName: "DupInvocation",
      nodePack: "other_pack",
      version: "1.0.0",
      inputs: {},
      output: IntegerOutput,
      invoke: () => ({ value: 1 }),
    });
    const both = schemasOf(a, b);
    expect(both.DupInvocation).toMatchObject({ node_pack: "invokeai" });
    expect(both.DupInvocationOtherPack).toMatchObject({ node_pack: "other_pack" });
  });

  it("publishes a node's output even when its type is not registered on its own", () => {
    const Out = defineOutput({ type: "custom_pair_output", fields: { a: OutputField(z.string()) } });
    const node = defineInvocation({
      type: "pair",
      version: "1.0.0",
      inputs: {},
      output: Out,
      invoke: () => ({ a: "" }),
    });
    const s = schemasOf(node);
    expect(s.CustomPairOutput).toMatchObject({ class: "output", required: ["a", "type"] });
    expect(s.PairInvocation!.output).toEqual({ $ref: "#/components/schemas/CustomPairOutput" });
  });

  it("leaves denied nodes out", () => {
    const registry = new NodeRegistry();
    registerCoreNodes(registry);
    registry.register(NoiseInvocation);
    registry.setFilter({ denyNodes: ["noise"] });
    const s = buildComponentSchemas(registry);
    expect(s.NoiseInvocation).toBeUndefined();
    expect((s.InvocationOutputMap!.required as string[]).includes("noise")).toBe(false);
  });
});

describe.skipIf(!existsSync(openapiPath))("compared with InvokeAI's openapi.json", () => {
  const reference = existsSync(openapiPath)
    ? (JSON.parse(readFileSync(openapiPath, "utf8")) as { components: { schemas: Record<string, JsonSchema> } })
        .components.schemas
    : {};
  const mine = schemasOf(
    ImageResizeInvocation,
    NoiseInvocation,
    CompelInvocation,
    ImageCollectionInvocation,
    Sd3ModelLoaderInvocation,
  );

  it.each(
    Object.entries({
      ImageField: core.ImageField,
      BoardField: core.BoardField,
      TensorField: core.TensorField,
      LatentsField: core.LatentsField,
      ConditioningField: core.ConditioningField,
      FluxConditioningField: core.FluxConditioningField,
      DenoiseMaskField: core.DenoiseMaskField,
      ColorField: core.ColorField,
      MetadataField: core.MetadataField,
      ModelIdentifierField: core.ModelIdentifierField,
      LoRAField: core.LoRAField,
      CLIPField: core.CLIPField,
      T5EncoderField: core.T5EncoderField,
      TransformerField: core.TransformerField,
      ModelType: core.ModelTypeSchema,
      SubModelType: core.SubModelTypeSchema,
      ModelFormat: core.ModelFormatSchema,
    }),
  )("field model %s is identical", (name, schema) => {
    const writer = new JsonSchemaWriter();
    writer.ref(schema);
    expect(writer.definitions()[name]).toEqual(reference[name]);
  });

  it.each(["IterateInvocation", "CollectInvocation", "IfInvocation", "ImageResizeInvocation"])(
    "node %s is identical",
    (name) => {
      expect(mine[name]).toEqual(reference[name]);
    },
  );

  it.each(["NoiseInvocation", "CompelInvocation", "ImageCollectionInvocation"])(
    "the inputs of %s are identical",
    (name) => {
      expect(mine[name]!.properties).toEqual(reference[name]!.properties);
    },
  );

  it("the model inputs of Sd3ModelLoaderInvocation are identical", () => {
    const p = mine.Sd3ModelLoaderInvocation!.properties as Record<string, JsonSchema>;
    const r = reference.Sd3ModelLoaderInvocation!.properties as Record<string, JsonSchema>;
    for (const f of ["model", "t5_encoder_model", "clip_l_model", "vae_model"]) expect(p[f], f).toEqual(r[f]);
  });

  it.each([
    "ImageOutput",
    "IntegerOutput",
    "FloatOutput",
    "StringOutput",
    "BooleanOutput",
    "LatentsOutput",
    "ConditioningOutput",
    "ColorOutput",
    "IntegerCollectionOutput",
    "FloatCollectionOutput",
    "StringCollectionOutput",
    "BooleanCollectionOutput",
    "ImageCollectionOutput",
    "LatentsCollectionOutput",
    "ConditioningCollectionOutput",
    "ColorCollectionOutput",
    "IterateInvocationOutput",
    "CollectInvocationOutput",
    "IfInvocationOutput",
  ])("output %s is identical (but for pydantic's duplicated `required`)", (name) => {
    const { required, ...rest } = mine[name]!;
    const { required: refRequired, ...refRest } = reference[name]!;
    expect(rest).toEqual(refRest);
    // pydantic lists `output_meta` (dropped from the properties) and `type` twice; the set is the same.
    expect(new Set(required as string[])).toEqual(
      new Set((refRequired as string[]).filter((r) => r !== "output_meta")),
    );
  });

  it("uses the same output for each special node as InvokeAI", () => {
    const map = mine.InvocationOutputMap!.properties as Record<string, JsonSchema>;
    const refMap = reference.InvocationOutputMap!.properties as Record<string, JsonSchema>;
    for (const t of [IterateInvocation.type, CollectInvocation.type, IfInvocation.type, "img_resize", "compel"]) {
      expect(map[t], t).toEqual(refMap[t]);
    }
  });

  it("the default registry publishes the core nodes", () => {
    const s = buildComponentSchemas(getDefaultRegistry());
    expect(s.IterateInvocation).toEqual(reference.IterateInvocation);
  });
});
