import { z } from "zod";
import { defineInvocation } from "./define-invocation.js";
import { defineOutput } from "./define-output.js";
import { InputField, OutputField } from "./field-specs.js";
import { AnyField } from "./field-types.js";

// The nodes the graph engine treats specially by type id (`iterate`, `collect`, `if`), with InvokeAI's schemas.
// Their `invoke` does what InvokeAI's does once the engine has prepared their inputs.

/** `iterate_output`: `{item, index, total}`. */
export const IterateInvocationOutput = defineOutput({
  type: "iterate_output",
  schemaName: "IterateInvocationOutput",
  description: "Used to connect iteration outputs. Will be expanded to a specific output.",
  fields: {
    item: OutputField(AnyField, {
      description: "The item being iterated over",
      title: "Collection Item",
      ui_type: "CollectionItemField",
    }),
    index: OutputField(z.number().int(), { description: "The index of the item" }),
    total: OutputField(z.number().int(), { description: "The total number of items" }),
  },
});

/** `iterate`: one copy per element of `collection`; the engine sets `index` on each copy. */
export const IterateInvocation = defineInvocation({
  type: "iterate",
  version: "1.1.0",
  useCache: false,
  schemaName: "IterateInvocation",
  description: "Iterates over a list of items",
  inputs: {
    collection: InputField(z.array(AnyField), {
      default: [],
      description: "The list of items to iterate over",
      ui_type: "CollectionField",
    }),
    index: InputField(z.number().int(), {
      default: 0,
      description: "The index, will be provided on executed iterators",
      ui_hidden: true,
    }),
  },
  output: IterateInvocationOutput,
  invoke() {
    return { item: this.collection[this.index], index: this.index, total: this.collection.length };
  },
});

/** `collect_output`: `{collection}`. */
export const CollectInvocationOutput = defineOutput({
  type: "collect_output",
  schemaName: "CollectInvocationOutput",
  fields: {
    collection: OutputField(z.array(AnyField), {
      description: "The collection of input items",
      ui_type: "CollectionField",
    }),
  },
});

/** `collect`: the engine gathers every incoming `item` into `collection`. */
export const CollectInvocation = defineInvocation({
  type: "collect",
  version: "1.1.0",
  useCache: false,
  schemaName: "CollectInvocation",
  description: "Collects values into a collection",
  inputs: {
    item: InputField(AnyField, {
      default: null,
      input: "connection",
      title: "Collection Item",
      description: "The item to collect (all inputs must be of the same type)",
      ui_type: "CollectionItemField",
    }),
    collection: InputField(z.array(AnyField), {
      default: [],
      input: "connection",
      description: "An optional collection to append to",
      ui_type: "CollectionField",
    }),
  },
  output: CollectInvocationOutput,
  invoke() {
    return { collection: [...this.collection] };
  },
});

/** `if_output`: `{value}`. */
export const IfInvocationOutput = defineOutput({
  type: "if_output",
  schemaName: "IfInvocationOutput",
  fields: {
    value: OutputField(AnyField, {
      default: null,
      title: "Output",
      description: "The selected value",
      ui_type: "AnyField",
    }),
  },
});

/** `if`: passes `true_input` or `false_input` on, by `condition`. */
export const IfInvocation = defineInvocation({
  type: "if",
  title: "If",
  tags: ["logic", "conditional"],
  category: "math",
  version: "1.0.0",
  schemaName: "IfInvocation",
  description: "Selects between two optional inputs based on a boolean condition.",
  inputs: {
    condition: InputField(z.boolean(), { default: false, description: "The condition used to select an input" }),
    true_input: InputField(AnyField, {
      default: null,
      description: "Selected when the condition is true",
      ui_type: "AnyField",
    }),
    false_input: InputField(AnyField, {
      default: null,
      description: "Selected when the condition is false",
      ui_type: "AnyField",
    }),
  },
  output: IfInvocationOutput,
  invoke() {
    return { value: this.condition ? this.true_input : this.false_input };
  },
});

/** The special nodes, for registration. */
export const SPECIAL_INVOCATIONS = [IterateInvocation, CollectInvocation, IfInvocation] as const;
