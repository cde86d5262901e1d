import { Mt19937 } from "@atelier/core";
import { describe, expect, it } from "vitest";
import {
  floatGeneratorValues as floats,
  integerGeneratorValues as ints,
  splitGeneratorInput,
  stringGeneratorValues as strings,
  uniformSource,
} from "../../src/batch/generator-values.js";

const at = { nodeId: "gen" };

describe("generator values (InvokeAI UI formulas)", () => {
  it("arithmetic sequences, with step 0 giving one value", () => {
    expect(floats({ type: "float_generator_arithmetic_sequence", start: 1, step: 0.5, count: 3 }, at)).toEqual([
      1, 1.5, 2,
    ]);
    expect(floats({ type: "float_generator_arithmetic_sequence", start: 1, step: 0, count: 3 }, at)).toEqual([1]);
    expect(ints({ type: "integer_generator_arithmetic_sequence" }, at)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ints({ type: "integer_generator_arithmetic_sequence", start: 5, step: -2, count: 0 }, at)).toEqual([]);
  });

  it("linear distributions, integers rounded half up as the UI does", () => {
    expect(floats({ type: "float_generator_linear_distribution", start: 0, end: 1, count: 5 }, at)).toEqual([
      0, 0.25, 0.5, 0.75, 1,
    ]);
    expect(floats({ type: "float_generator_linear_distribution", start: 3, end: 9, count: 1 }, at)).toEqual([3]);
    expect(ints({ type: "integer_generator_linear_distribution", start: 0, end: 5, count: 3 }, at)).toEqual([0, 3, 5]);
  });

  it("seeded uniform distributions use MT19937 init_genrand and genrand_int32 / 2^32", () => {
    const mt = new Mt19937(42);
    const u = [mt.nextUint32() / 2 ** 32, mt.nextUint32() / 2 ** 32, mt.nextUint32() / 2 ** 32];
    expect(
      floats({ type: "float_generator_random_distribution_uniform", min: 2, max: 4, count: 3, seed: 42 }, at),
    ).toEqual(u.map((x) => x * 2 + 2));
    expect(
      ints({ type: "integer_generator_random_distribution_uniform", min: 1, max: 6, count: 3, seed: 42 }, at),
    ).toEqual(u.map((x) => Math.floor(x * 6) + 1));
    // 5489 is MT19937's reference default seed; its first output is 3499211612.
    expect(uniformSource(5489)()).toBe(3499211612 / 2 ** 32);
    const unseeded = floats({ type: "float_generator_random_distribution_uniform", count: 4 }, at);
    expect(unseeded.every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it("parse-string generators split, trim and drop what does not parse", () => {
    expect(floats({ type: "float_generator_parse_string", input: "1, 2.5, x, ,3e1", splitOn: "," }, at)).toEqual([
      1, 2.5, 30,
    ]);
    expect(ints({ type: "integer_generator_parse_string", input: "4;5.9;z", splitOn: ";" }, at)).toEqual([4, 5]);
    expect(strings({ type: "string_generator_parse_string", input: "a\nb\n\n c", splitOn: "\\n" }, at)).toEqual([
      "a",
      "b",
      " c",
    ]);
    expect(splitGeneratorInput("a,b", "")).toEqual(["a,b"]);
    expect(splitGeneratorInput('a"b', '"')).toEqual(["a", "b"]);
  });

  it("uses precomputed values when the UI stored them", () => {
    expect(strings({ type: "string_generator_dynamic_prompts_random", input: "{a|b}", values: ["kept"] }, at)).toEqual([
      "kept",
    ]);
  });

  it("expands seeded random dynamic prompts deterministically", () => {
    const g = { type: "string_generator_dynamic_prompts_random", input: "{a|b|c} {x|y}", count: 6, seed: 3 };
    expect(strings(g, at)).toEqual(strings(g, at));
    expect(strings(g, at)).toHaveLength(6);
  });

  it("names the node and key on bad settings", () => {
    expect(() => floats({ type: "float_generator_arithmetic_sequence", count: -1 }, at)).toThrow(
      /gen: "count" must not be negative/,
    );
    expect(() => ints({ type: "integer_generator_arithmetic_sequence", start: 0.5 }, at)).toThrow(
      /"start" .* must be an integer/,
    );
    expect(() => floats({ type: "float_generator_bogus" }, at)).toThrow(
      /unknown float generator type "float_generator_bogus"/,
    );
  });
});
