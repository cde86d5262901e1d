import { z } from "zod";
import { defineOutput } from "./define-output.js";
import { OutputField } from "./field-specs.js";
import { ColorField, ConditioningField, ImageField, LatentsField } from "./field-types.js";

// InvokeAI's common outputs (invocations/primitives.py) with their type ids, field names and descriptions.

/** Latents are 1/8 of the image size in each dimension (InvokeAI's LATENT_SCALE_FACTOR). */
export const LATENT_SCALE_FACTOR = 8;

/** `integer_output`: `{value: int}`. */
export const IntegerOutput = defineOutput({
  type: "integer_output",
  description: "Base class for nodes that output a single integer",
  fields: { value: OutputField(z.number().int(), { description: "The output integer" }) },
});
/** `float_output`: `{value: float}`. */
export const FloatOutput = defineOutput({
  type: "float_output",
  description: "Base class for nodes that output a single float",
  fields: { value: OutputField(z.number(), { description: "The output float" }) },
});
/** `string_output`: `{value: str}`. */
export const StringOutput = defineOutput({
  type: "string_output",
  description: "Base class for nodes that output a single string",
  fields: { value: OutputField(z.string(), { description: "The output string" }) },
});
/** `boolean_output`: `{value: bool}`. */
export const BooleanOutput = defineOutput({
  type: "boolean_output",
  description: "Base class for nodes that output a single boolean",
  fields: { value: OutputField(z.boolean(), { description: "The output boolean" }) },
});

const imageOutput = defineOutput({
  type: "image_output",
  description: "Base class for nodes that output a single image",
  fields: {
    image: OutputField(ImageField, { description: "The output image" }),
    width: OutputField(z.number().int(), { description: "The width of the image in pixels" }),
    height: OutputField(z.number().int(), { description: "The height of the image in pixels" }),
  },
});
/** `image_output`: `{image, width, height}`; `ImageOutput.build(dto)` makes it from a saved image's DTO. */
export const ImageOutput = Object.freeze({
  ...imageOutput,
  /** The output for a saved image. */
  build(dto: { readonly image_name: string; readonly width: number; readonly height: number }) {
    return { image: { image_name: dto.image_name }, width: dto.width, height: dto.height };
  },
});

const latentsOutput = defineOutput({
  type: "latents_output",
  description: "Base class for nodes that output a single latents tensor",
  fields: {
    latents: OutputField(LatentsField, { description: "Latents tensor" }),
    width: OutputField(z.number().int(), { description: "Width of output (px)" }),
    height: OutputField(z.number().int(), { description: "Height of output (px)" }),
  },
});
/** `latents_output`: `{latents, width, height}`; `build(name, latents, seed?)` derives the pixel size (×8). */
export const LatentsOutput = Object.freeze({
  ...latentsOutput,
  /** The output for stored latents of shape `[batch, channels, height, width]`. */
  build(latentsName: string, latents: { readonly shape: readonly number[] }, seed: number | null = null) {
    const [, , h = 0, w = 0] = latents.shape;
    return {
      latents: { latents_name: latentsName, seed },
      width: w * LATENT_SCALE_FACTOR,
      height: h * LATENT_SCALE_FACTOR,
    };
  },
});

const conditioningOutput = defineOutput({
  type: "conditioning_output",
  description: "Base class for nodes that output a single conditioning tensor",
  fields: { conditioning: OutputField(ConditioningField, { description: "Conditioning tensor" }) },
});
/** `conditioning_output`: `{conditioning}`; `build(name, mask?)`. */
export const ConditioningOutput = Object.freeze({
  ...conditioningOutput,
  /** The output for stored conditioning (and its optional mask tensor name). */
  build(conditioningName: string, maskTensorName: string | null = null) {
    return {
      conditioning: {
        conditioning_name: conditioningName,
        mask: maskTensorName === null ? null : { tensor_name: maskTensorName },
      },
    };
  },
});

/** `color_output`: `{color}`. */
export const ColorOutput = defineOutput({
  type: "color_output",
  description: "Base class for nodes that output a single color",
  fields: { color: OutputField(ColorField, { description: "The output color" }) },
});

/** `integer_collection_output`: `{collection: int[]}`. */
export const IntegerCollectionOutput = defineOutput({
  type: "integer_collection_output",
  description: "Base class for nodes that output a collection of integers",
  fields: { collection: OutputField(z.array(z.number().int()), { description: "The int collection" }) },
});
/** `float_collection_output`: `{collection: float[]}`. */
export const FloatCollectionOutput = defineOutput({
  type: "float_collection_output",
  description: "Base class for nodes that output a collection of floats",
  fields: { collection: OutputField(z.array(z.number()), { description: "The float collection" }) },
});
/** `string_collection_output`: `{collection: str[]}`. */
export const StringCollectionOutput = defineOutput({
  type: "string_collection_output",
  description: "Base class for nodes that output a collection of strings",
  fields: { collection: OutputField(z.array(z.string()), { description: "The output strings" }) },
});
/** `boolean_collection_output`: `{collection: bool[]}`. */
export const BooleanCollectionOutput = defineOutput({
  type: "boolean_collection_output",
  description: "Base class for nodes that output a collection of booleans",
  fields: { collection: OutputField(z.array(z.boolean()), { description: "The output boolean collection" }) },
});
/** `image_collection_output`: `{collection: ImageField[]}`. */
export const ImageCollectionOutput = defineOutput({
  type: "image_collection_output",
  description: "Base class for nodes that output a collection of images",
  fields: { collection: OutputField(z.array(ImageField), { description: "The output images" }) },
});
/** `latents_collection_output`: `{collection: LatentsField[]}`. */
export const LatentsCollectionOutput = defineOutput({
  type: "latents_collection_output",
  description: "Base class for nodes that output a collection of latents tensors",
  fields: { collection: OutputField(z.array(LatentsField), { description: "Latents tensor" }) },
});
/** `conditioning_collection_output`: `{collection: ConditioningField[]}`. */
export const ConditioningCollectionOutput = defineOutput({
  type: "conditioning_collection_output",
  description: "Base class for nodes that output a collection of conditioning tensors",
  fields: { collection: OutputField(z.array(ConditioningField), { description: "The output conditioning tensors" }) },
});
/** `color_collection_output`: `{collection: ColorField[]}`. */
export const ColorCollectionOutput = defineOutput({
  type: "color_collection_output",
  description: "Base class for nodes that output a collection of colors",
  fields: { collection: OutputField(z.array(ColorField), { description: "The output colors" }) },
});

/** Every common output, for registration. */
export const COMMON_OUTPUTS = [
  IntegerOutput,
  FloatOutput,
  StringOutput,
  BooleanOutput,
  ImageOutput,
  LatentsOutput,
  ConditioningOutput,
  ColorOutput,
  IntegerCollectionOutput,
  FloatCollectionOutput,
  StringCollectionOutput,
  BooleanCollectionOutput,
  ImageCollectionOutput,
  LatentsCollectionOutput,
  ConditioningCollectionOutput,
  ColorCollectionOutput,
] as const;
