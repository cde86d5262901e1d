/**
 * InvokeAI's primitive nodes (`invocations/primitives.py`): each passes one typed value (or a list) into a graph.
 */
import {
  BooleanCollectionOutput,
  BooleanOutput,
  BoundingBoxField,
  ColorField,
  ColorOutput,
  ConditioningCollectionOutput,
  ConditioningField,
  ConditioningOutput,
  defineInvocation,
  defineOutput,
  FloatCollectionOutput,
  FloatOutput,
  ImageCollectionOutput,
  ImageField,
  ImageOutput,
  InputField,
  IntegerCollectionOutput,
  IntegerOutput,
  LatentsCollectionOutput,
  LatentsField,
  LatentsOutput,
  OutputField,
  StringCollectionOutput,
  StringOutput,
  z,
} from "@atelier/core";

/** `bounding_box_output`: `{bounding_box}`. */
export const BoundingBoxOutput = defineOutput({
  type: "bounding_box_output",
  description: "Base class for nodes that output a single bounding box",
  fields: { bounding_box: OutputField(BoundingBoxField, { description: "The output bounding box." }) },
});

/** `boolean`: a boolean value. */
export const BooleanInvocation = defineInvocation({
  type: "boolean",
  title: "Boolean Primitive",
  tags: ["primitives", "boolean"],
  category: "primitives",
  version: "1.0.1",
  description: "A boolean primitive value",
  inputs: { value: InputField(z.boolean(), { default: false, description: "The boolean value" }) },
  output: BooleanOutput,
  invoke() {
    return { value: this.value };
  },
});

/** `boolean_collection`: a list of booleans. */
export const BooleanCollectionInvocation = defineInvocation({
  type: "boolean_collection",
  title: "Boolean Collection Primitive",
  tags: ["primitives", "boolean", "collection"],
  category: "primitives",
  version: "1.0.2",
  description: "A collection of boolean primitive values",
  inputs: {
    collection: InputField(z.array(z.boolean()), { default: [], description: "The collection of boolean values" }),
  },
  output: BooleanCollectionOutput,
  invoke() {
    return { collection: this.collection };
  },
});

/** `integer`: an integer value. */
export const IntegerInvocation = defineInvocation({
  type: "integer",
  title: "Integer Primitive",
  tags: ["primitives", "integer"],
  category: "primitives",
  version: "1.0.1",
  description: "An integer primitive value",
  inputs: { value: InputField(z.number().int(), { default: 0, description: "The integer value" }) },
  output: IntegerOutput,
  invoke() {
    return { value: this.value };
  },
});

/** `integer_collection`: a list of integers. */
export const IntegerCollectionInvocation = defineInvocation({
  type: "integer_collection",
  title: "Integer Collection Primitive",
  tags: ["primitives", "integer", "collection"],
  category: "primitives",
  version: "1.0.2",
  description: "A collection of integer primitive values",
  inputs: {
    collection: InputField(z.array(z.number().int()), { default: [], description: "The collection of integer values" }),
  },
  output: IntegerCollectionOutput,
  invoke() {
    return { collection: this.collection };
  },
});

/** `float`: a float value. */
export const FloatInvocation = defineInvocation({
  type: "float",
  title: "Float Primitive",
  tags: ["primitives", "float"],
  category: "primitives",
  version: "1.0.1",
  description: "A float primitive value",
  inputs: { value: InputField(z.number(), { default: 0, description: "The float value" }) },
  output: FloatOutput,
  invoke() {
    return { value: this.value };
  },
});

/** `float_collection`: a list of floats. */
export const FloatCollectionInvocation = defineInvocation({
  type: "float_collection",
  title: "Float Collection Primitive",
  tags: ["primitives", "float", "collection"],
  category: "primitives",
  version: "1.0.2",
  description: "A collection of float primitive values",
  inputs: {
    collection: InputField(z.array(z.number()), { default: [], description: "The collection of float values" }),
  },
  output: FloatCollectionOutput,
  invoke() {
    return { collection: this.collection };
  },
});

/** `string`: a string value. */
export const StringInvocation = defineInvocation({
  type: "string",
  title: "String Primitive",
  tags: ["primitives", "string"],
  category: "primitives",
  version: "1.0.1",
  description: "A string primitive value",
  inputs: {
    value: InputField(z.string(), { default: "", description: "The string value", ui_component: "textarea" }),
  },
  output: StringOutput,
  invoke() {
    return { value: this.value };
  },
});

/** `string_collection`: a list of strings. */
export const StringCollectionInvocation = defineInvocation({
  type: "string_collection",
  title: "String Collection Primitive",
  tags: ["primitives", "string", "collection"],
  category: "primitives",
  version: "1.0.2",
  description: "A collection of string primitive values",
  inputs: {
    collection: InputField(z.array(z.string()), { default: [], description: "The collection of string values" }),
  },
  output: StringCollectionOutput,
  invoke() {
    return { collection: this.collection };
  },
});

/** `color`: an RGBA color. */
export const ColorInvocation = defineInvocation({
  type: "color",
  title: "Color Primitive",
  tags: ["primitives", "color"],
  category: "primitives",
  version: "1.0.1",
  description: "A color primitive value",
  inputs: {
    color: InputField(ColorField, { default: { r: 0, g: 0, b: 0, a: 255 }, description: "The color value" }),
  },
  output: ColorOutput,
  invoke() {
    return { color: this.color };
  },
});

/** `image`: an image by name. */
export const ImageInvocation = defineInvocation({
  type: "image",
  title: "Image Primitive",
  tags: ["primitives", "image"],
  category: "primitives",
  version: "1.0.2",
  description: "An image primitive value",
  inputs: { image: InputField(ImageField, { description: "The image to load" }) },
  output: ImageOutput,
  async invoke(context) {
    const dto = await context.images.getDto(this.image.image_name);
    return ImageOutput.build(dto);
  },
});

/** `image_collection`: images typed in, appended to an optional incoming collection. */
export const ImageCollectionInvocation = defineInvocation({
  type: "image_collection",
  title: "Image Collection Primitive",
  tags: ["primitives", "image", "collection"],
  category: "primitives",
  version: "1.0.2",
  description: "A collection of image primitive values",
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
  invoke() {
    return { collection: [...(this.collection ?? []), ...(this.images ?? [])] };
  },
});

/** `latents`: a latents tensor by name. */
export const LatentsInvocation = defineInvocation({
  type: "latents",
  title: "Latents Primitive",
  tags: ["primitives", "latents"],
  category: "primitives",
  version: "1.0.2",
  description: "A latents tensor primitive value",
  inputs: { latents: InputField(LatentsField, { input: "connection", description: "The latents tensor" }) },
  output: LatentsOutput,
  async invoke(context) {
    const latents = await context.tensors.load(this.latents.latents_name);
    return LatentsOutput.build(this.latents.latents_name, latents, this.latents.seed);
  },
});

/** `latents_collection`: a list of latents. */
export const LatentsCollectionInvocation = defineInvocation({
  type: "latents_collection",
  title: "Latents Collection Primitive",
  tags: ["primitives", "latents", "collection"],
  category: "primitives",
  version: "1.0.1",
  description: "A collection of latents tensor primitive values",
  inputs: { collection: InputField(z.array(LatentsField), { description: "The collection of latents tensors" }) },
  output: LatentsCollectionOutput,
  invoke() {
    return { collection: this.collection };
  },
});

/** `conditioning`: conditioning data by name. */
export const ConditioningInvocation = defineInvocation({
  type: "conditioning",
  title: "Conditioning Primitive",
  tags: ["primitives", "conditioning"],
  category: "primitives",
  version: "1.0.1",
  description: "A conditioning tensor primitive value",
  inputs: { conditioning: InputField(ConditioningField, { input: "connection", description: "Conditioning tensor" }) },
  output: ConditioningOutput,
  invoke() {
    return { conditioning: this.conditioning };
  },
});

/** `conditioning_collection`: a list of conditioning. */
export const ConditioningCollectionInvocation = defineInvocation({
  type: "conditioning_collection",
  title: "Conditioning Collection Primitive",
  tags: ["primitives", "conditioning", "collection"],
  category: "primitives",
  version: "1.0.2",
  description: "A collection of conditioning tensor primitive values",
  inputs: {
    collection: InputField(z.array(ConditioningField), {
      default: [],
      description: "The collection of conditioning tensors",
    }),
  },
  output: ConditioningCollectionOutput,
  invoke() {
    return { collection: this.collection };
  },
});

/** `bounding_box`: a box typed in by its corners. */
export const BoundingBoxInvocation = defineInvocation({
  type: "bounding_box",
  title: "Bounding Box",
  tags: ["primitives", "segmentation", "collection", "bounding box"],
  category: "primitives",
  version: "1.0.0",
  description: "Create a bounding box manually by supplying box coordinates",
  inputs: {
    x_min: InputField(z.number().int(), {
      default: 0,
      description: "x-coordinate of the bounding box's top left vertex",
    }),
    y_min: InputField(z.number().int(), {
      default: 0,
      description: "y-coordinate of the bounding box's top left vertex",
    }),
    x_max: InputField(z.number().int(), {
      default: 0,
      description: "x-coordinate of the bounding box's bottom right vertex",
    }),
    y_max: InputField(z.number().int(), {
      default: 0,
      description: "y-coordinate of the bounding box's bottom right vertex",
    }),
  },
  output: BoundingBoxOutput,
  invoke() {
    return {
      bounding_box: { x_min: this.x_min, x_max: this.x_max, y_min: this.y_min, y_max: this.y_max, score: null },
    };
  },
});

/** Every primitive node. */
export const PRIMITIVE_NODES = [
  BooleanInvocation,
  BooleanCollectionInvocation,
  IntegerInvocation,
  IntegerCollectionInvocation,
  FloatInvocation,
  FloatCollectionInvocation,
  StringInvocation,
  StringCollectionInvocation,
  ColorInvocation,
  ImageInvocation,
  ImageCollectionInvocation,
  LatentsInvocation,
  LatentsCollectionInvocation,
  ConditioningInvocation,
  ConditioningCollectionInvocation,
  BoundingBoxInvocation,
] as const;
