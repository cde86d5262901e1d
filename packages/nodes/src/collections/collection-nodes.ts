/**
 * InvokeAI's integer collection nodes (`invocations/collections.py`).
 */
import { defineInvocation, InputField, IntegerCollectionOutput, z } from "@atelier/core";
import { pythonRange } from "../math/arithmetic.js";
import { NumpyPcg64 } from "../math/numpy-random.js";
import { failField, withFieldErrors } from "../logic/field-errors.js";

const int = () => z.number().int();

/** `range`: Python's `range(start, stop, step)`. */
export const RangeInvocation = defineInvocation({
  type: "range",
  title: "Integer Range",
  tags: ["collection", "integer", "range"],
  category: "batch",
  version: "1.0.0",
  description: "Creates a range of numbers from start to stop with step",
  inputs: {
    start: InputField(int(), { default: 0, description: "The start of the range" }),
    stop: InputField(int(), { default: 10, description: "The stop of the range" }),
    step: InputField(int(), { default: 1, description: "The step of the range" }),
  },
  output: IntegerCollectionOutput,
  invoke() {
    return { collection: withFieldErrors(this, this, () => pythonRange(this.start, this.stop, this.step)) };
  },
});

/** `range_of_size`: `range(start, start + size * step, step)`. */
export const RangeOfSizeInvocation = defineInvocation({
  type: "range_of_size",
  title: "Integer Range of Size",
  tags: ["collection", "integer", "size", "range"],
  category: "batch",
  version: "1.0.0",
  description: "Creates a range from start to start + (size * step) incremented by step",
  inputs: {
    start: InputField(int(), { default: 0, description: "The start of the range" }),
    size: InputField(int().gt(0), { default: 1, description: "The number of values" }),
    step: InputField(int(), { default: 1, description: "The step of the range" }),
  },
  output: IntegerCollectionOutput,
  invoke() {
    return {
      collection: withFieldErrors(this, this, () =>
        pythonRange(this.start, this.start + this.size * this.step, this.step),
      ),
    };
  },
});

/** `random_range`: `np.random.default_rng(seed).integers(low, high, size)`, bit-exact with numpy. */
export const RandomRangeInvocation = defineInvocation({
  type: "random_range",
  title: "Random Range",
  tags: ["range", "integer", "random", "collection"],
  category: "batch",
  version: "1.0.1",
  useCache: false,
  description: "Creates a collection of random numbers",
  inputs: {
    low: InputField(int(), { default: 0, description: "The inclusive low value" }),
    high: InputField(int(), { default: 2147483647, description: "The exclusive high value" }),
    size: InputField(int(), { default: 1, description: "The number of values to generate" }),
    seed: InputField(int().gte(0).lte(4294967295), {
      default: 0,
      description: "The seed for the RNG (omit for random)",
    }),
  },
  output: IntegerCollectionOutput,
  invoke() {
    if (this.high <= this.low) failField(this, "high", `must be greater than low (${this.low})`, this.high);
    if (this.size < 0) failField(this, "size", "must not be negative", this.size);
    if (this.size > 10_000_000) failField(this, "size", "exceeds the limit of 10000000 values", this.size);
    return { collection: new NumpyPcg64(this.seed).integers(this.low, this.high, this.size) };
  },
});

/** Every collection node. */
export const COLLECTION_NODES = [RangeInvocation, RangeOfSizeInvocation, RandomRangeInvocation] as const;
