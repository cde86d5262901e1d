/**
 * InvokeAI's batch and generator nodes (`invocations/batch.py`). They are never executed: at enqueue time
 * `expandBatchNodes` turns them into `Batch.data` and removes them from the graph. Running one is an error.
 */
import {
  defineInvocation,
  defineOutput,
  FloatOutput,
  ImageField,
  ImageOutput,
  InputField,
  IntegerOutput,
  namedSchema,
  OutputField,
  StringOutput,
  z,
} from "@atelier/core";
import { BatchExpansionError } from "./batch-errors.js";
import { BATCH_GROUP_IDS } from "./expand-batch-nodes.js";

function notExecutable(node: { type: string; id: string }): never {
  throw new BatchExpansionError(
    `Node ${node.type} (id ${JSON.stringify(node.id)}) is a batch node: batch nodes are expanded at enqueue time ` +
      "into batch data and never run. Enqueue the graph through the session queue (enqueue_batch).",
    { node_type: node.type, node_id: node.id },
  );
}

const groupId = () =>
  InputField(z.enum(BATCH_GROUP_IDS), {
    default: "None",
    input: "direct",
    title: "Batch Group",
    description:
      "The ID of this batch node's group. If provided, all batch nodes in with the same ID will be 'zipped' before execution, and all nodes' collections must be of the same size.",
  });

const batchTags = (kind: string[]) => ["primitives", ...kind, "batch", "special"];

/** `image_batch`: one session per image. */
export const ImageBatchInvocation = defineInvocation({
  type: "image_batch",
  title: "Image Batch",
  tags: batchTags(["image"]),
  category: "batch",
  version: "1.0.0",
  classification: "special",
  description: "Create a batched generation, where the workflow is executed once for each image in the batch.",
  inputs: {
    batch_group_id: groupId(),
    images: InputField(z.array(ImageField).min(1), { description: "The images to batch over" }),
  },
  output: ImageOutput,
  invoke() {
    return notExecutable(this);
  },
});

/** `string_batch`: one session per string. */
export const StringBatchInvocation = defineInvocation({
  type: "string_batch",
  title: "String Batch",
  tags: batchTags(["string"]),
  category: "batch",
  version: "1.0.0",
  classification: "special",
  description: "Create a batched generation, where the workflow is executed once for each string in the batch.",
  inputs: {
    batch_group_id: groupId(),
    strings: InputField(z.array(z.string()).min(1), { description: "The strings to batch over" }),
  },
  output: StringOutput,
  invoke() {
    return notExecutable(this);
  },
});

/** `integer_batch`: one session per integer. */
export const IntegerBatchInvocation = defineInvocation({
  type: "integer_batch",
  title: "Integer Batch",
  tags: batchTags(["integer", "number"]),
  category: "batch",
  version: "1.0.0",
  classification: "special",
  description: "Create a batched generation, where the workflow is executed once for each integer in the batch.",
  inputs: {
    batch_group_id: groupId(),
    integers: InputField(z.array(z.number().int()).min(1), { description: "The integers to batch over" }),
  },
  output: IntegerOutput,
  invoke() {
    return notExecutable(this);
  },
});

/** `float_batch`: one session per float. */
export const FloatBatchInvocation = defineInvocation({
  type: "float_batch",
  title: "Float Batch",
  tags: batchTags(["float", "number"]),
  category: "batch",
  version: "1.0.0",
  classification: "special",
  description: "Create a batched generation, where the workflow is executed once for each float in the batch.",
  inputs: {
    batch_group_id: groupId(),
    floats: InputField(z.array(z.number()).min(1), { description: "The floats to batch over" }),
  },
  output: FloatOutput,
  invoke() {
    return notExecutable(this);
  },
});

// The generator settings are shaped by the UI (see generator-values.ts); the schemas stay open objects.
/** `FloatGeneratorField`: the settings of a float generator. */
export const FloatGeneratorField = namedSchema("FloatGeneratorField", z.looseObject({}));
/** `IntegerGeneratorField`: the settings of an integer generator. */
export const IntegerGeneratorField = namedSchema("IntegerGeneratorField", z.looseObject({}));
/** `StringGeneratorField`: the settings of a string generator. */
export const StringGeneratorField = namedSchema("StringGeneratorField", z.looseObject({}));
/** `ImageGeneratorField`: the settings of an image generator. */
export const ImageGeneratorField = namedSchema("ImageGeneratorField", z.looseObject({}));

/** `float_generator_output`: `{floats}`. */
export const FloatGeneratorOutput = defineOutput({
  type: "float_generator_output",
  description: "Base class for nodes that output a collection of floats",
  fields: { floats: OutputField(z.array(z.number()), { description: "The generated floats" }) },
});
/** `integer_generator_output`: `{integers}`. */
export const IntegerGeneratorOutput = defineOutput({
  type: "integer_generator_output",
  fields: { integers: OutputField(z.array(z.number().int()), { description: "The generated integers" }) },
});
/** `string_generator_output`: `{strings}`. */
export const StringGeneratorOutput = defineOutput({
  type: "string_generator_output",
  description: "Base class for nodes that output a collection of strings",
  fields: { strings: OutputField(z.array(z.string()), { description: "The generated strings" }) },
});
/** `image_generator_output`: `{images}`. */
export const ImageGeneratorOutput = defineOutput({
  type: "image_generator_output",
  description: "Base class for nodes that output a collection of boards",
  fields: { images: OutputField(z.array(ImageField), { description: "The generated images" }) },
});

/** `float_generator`: feeds a float batch. */
export const FloatGenerator = defineInvocation({
  type: "float_generator",
  title: "Float Generator",
  tags: batchTags(["float", "number"]),
  category: "batch",
  version: "1.0.0",
  classification: "special",
  schemaName: "FloatGenerator",
  description: "Generated a range of floats for use in a batched generation",
  inputs: {
    generator: InputField(FloatGeneratorField, {
      input: "direct",
      title: "Generator Type",
      description: "The float generator.",
    }),
  },
  output: FloatGeneratorOutput,
  invoke() {
    return notExecutable(this);
  },
});

/** `integer_generator`: feeds an integer batch. */
export const IntegerGenerator = defineInvocation({
  type: "integer_generator",
  title: "Integer Generator",
  tags: batchTags(["int", "number"]),
  category: "batch",
  version: "1.0.0",
  classification: "special",
  schemaName: "IntegerGenerator",
  description: "Generated a range of integers for use in a batched generation",
  inputs: {
    generator: InputField(IntegerGeneratorField, {
      input: "direct",
      title: "Generator Type",
      description: "The integer generator.",
    }),
  },
  output: IntegerGeneratorOutput,
  invoke() {
    return notExecutable(this);
  },
});

/** `string_generator`: feeds a string batch. */
export const StringGenerator = defineInvocation({
  type: "string_generator",
  title: "String Generator",
  tags: batchTags(["string", "number"]),
  category: "batch",
  version: "1.0.0",
  classification: "special",
  schemaName: "StringGenerator",
  description: "Generated a range of strings for use in a batched generation",
  inputs: {
    generator: InputField(StringGeneratorField, {
      input: "direct",
      title: "Generator Type",
      description: "The string generator.",
    }),
  },
  output: StringGeneratorOutput,
  invoke() {
    return notExecutable(this);
  },
});

/** `image_generator`: feeds an image batch (from a board). */
export const ImageGenerator = defineInvocation({
  type: "image_generator",
  title: "Image Generator",
  tags: batchTags(["board", "image"]),
  category: "batch",
  version: "1.0.0",
  classification: "special",
  schemaName: "ImageGenerator",
  description: "Generated a collection of images for use in a batched generation",
  inputs: {
    generator: InputField(ImageGeneratorField, {
      input: "direct",
      title: "Generator Type",
      description: "The image generator.",
    }),
  },
  output: ImageGeneratorOutput,
  invoke() {
    return notExecutable(this);
  },
});

/** Every batch and generator node. */
export const BATCH_NODES = [
  ImageBatchInvocation,
  StringBatchInvocation,
  IntegerBatchInvocation,
  FloatBatchInvocation,
  FloatGenerator,
  IntegerGenerator,
  StringGenerator,
  ImageGenerator,
] as const;
