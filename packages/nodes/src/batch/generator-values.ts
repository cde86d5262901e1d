/**
 * The values of InvokeAI's generator nodes (`float_generator`, `integer_generator`, `string_generator`,
 * `image_generator`). InvokeAI computes them in its web UI when a workflow is enqueued; Atelier computes them on the
 * server with the same formulas, so a saved workflow yields the same batch either way.
 *
 * Seeded uniform distributions use MT19937 seeded with `init_genrand(seed)` and `genrand_int32() / 2^32`, the
 * generator InvokeAI's UI uses; unseeded ones use `Math.random()` as the UI does.
 */
import { Mt19937 } from "@atelier/core";
import { generateCombinatorialPrompts, generateRandomPrompts } from "../prompts/dynamic-prompts.js";
import { BatchExpansionError } from "./batch-errors.js";

/** An image reference as batch items carry it. */
export interface ImageFieldValue {
  readonly image_name: string;
}

/** The generator settings stored in a generator node's `generator` field (InvokeAI UI's shapes). */
export type GeneratorValue = Readonly<Record<string, unknown>> & { readonly type: string };

/** Looks up the image names of a board for `image_generator_images_from_board`. */
export type BoardImagesLookup = (boardId: string, category: "images" | "assets") => readonly string[];

/** Where a generator is, for error messages. */
interface Where {
  readonly nodeId: string;
}

function num(g: GeneratorValue, key: string, fallback: number, where: Where, integer = false): number {
  const v = g[key] ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new BatchExpansionError(
      `Generator node ${where.nodeId}: "${key}" of a ${g.type} must be ${integer ? "an integer" : "a number"}, got ${JSON.stringify(v)}`,
      { node_id: where.nodeId, field: "generator", key, value: v },
    );
  }
  return v;
}

function count(g: GeneratorValue, key: string, fallback: number, where: Where): number {
  const n = num(g, key, fallback, where, true);
  if (n < 0) {
    throw new BatchExpansionError(`Generator node ${where.nodeId}: "${key}" must not be negative, got ${n}`, {
      node_id: where.nodeId,
      field: "generator",
      key,
      value: n,
    });
  }
  return n;
}

function str(g: GeneratorValue, key: string, fallback: string, where: Where): string {
  const v = g[key] ?? fallback;
  if (typeof v !== "string") {
    throw new BatchExpansionError(
      `Generator node ${where.nodeId}: "${key}" must be a string, got ${JSON.stringify(v)}`,
      {
        node_id: where.nodeId,
        field: "generator",
        key,
        value: v,
      },
    );
  }
  return v;
}

function seedOf(g: GeneratorValue, where: Where): number | null {
  const s = g["seed"];
  if (s === undefined || s === null) return null;
  return num(g, "seed", 0, where, true);
}

/** A [0, 1) source: seeded MT19937 (`genrand_int32 / 2^32`) or `Math.random`. */
export function uniformSource(seed: number | null): () => number {
  if (seed === null) return Math.random;
  const mt = new Mt19937(seed);
  return () => mt.nextUint32() / 4294967296;
}

/** Splits a parse-string generator's input; `splitOn` may be a JSON escape such as `\n`. */
export function splitGeneratorInput(input: string, splitOn: string): string[] {
  if (splitOn === "") return [input];
  let separator = splitOn;
  try {
    const decoded: unknown = JSON.parse(`"${splitOn}"`);
    if (typeof decoded === "string") separator = decoded;
  } catch {
    // Not a JSON string body: split on the text as typed.
  }
  return input.split(separator);
}

function precomputed(g: GeneratorValue): unknown[] | null {
  const values = g["values"];
  return Array.isArray(values) ? values : null;
}

/** The floats of a `float_generator`. */
export function floatGeneratorValues(g: GeneratorValue, where: Where): number[] {
  const pre = precomputed(g);
  if (pre) return pre.map((v) => Number(v));
  switch (g.type) {
    case "float_generator_arithmetic_sequence": {
      const start = num(g, "start", 0, where);
      const step = num(g, "step", 0.1, where);
      const n = count(g, "count", 10, where);
      if (step === 0) return [start];
      return Array.from({ length: n }, (_, i) => start + i * step);
    }
    case "float_generator_linear_distribution": {
      const start = num(g, "start", 0, where);
      const end = num(g, "end", 1, where);
      const n = count(g, "count", 10, where);
      if (n === 1) return [start];
      return Array.from({ length: n }, (_, i) => start + (end - start) * (i / (n - 1)));
    }
    case "float_generator_random_distribution_uniform": {
      const min = num(g, "min", 0, where);
      const max = num(g, "max", 1, where);
      const n = count(g, "count", 10, where);
      const rng = uniformSource(seedOf(g, where));
      return Array.from({ length: n }, () => rng() * (max - min) + min);
    }
    case "float_generator_parse_string":
      return splitGeneratorInput(str(g, "input", "", where), str(g, "splitOn", ",", where))
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
        .map((s) => Number.parseFloat(s))
        .filter((n) => !Number.isNaN(n));
    default:
      throw unknownType(g, where, "float");
  }
}

/** The integers of an `integer_generator`. */
export function integerGeneratorValues(g: GeneratorValue, where: Where): number[] {
  const pre = precomputed(g);
  if (pre) return pre.map((v) => Number(v));
  switch (g.type) {
    case "integer_generator_arithmetic_sequence": {
      const start = num(g, "start", 0, where, true);
      const step = num(g, "step", 1, where, true);
      const n = count(g, "count", 10, where);
      if (step === 0) return [start];
      return Array.from({ length: n }, (_, i) => start + i * step);
    }
    case "integer_generator_linear_distribution": {
      const start = num(g, "start", 0, where, true);
      const end = num(g, "end", 10, where, true);
      const n = count(g, "count", 10, where);
      if (n === 1) return [start];
      // Math.round (halves up) on purpose: it is what InvokeAI's UI computes.
      return Array.from({ length: n }, (_, i) => start + Math.round((end - start) * (i / (n - 1))));
    }
    case "integer_generator_random_distribution_uniform": {
      const min = num(g, "min", 0, where, true);
      const max = num(g, "max", 10, where, true);
      const n = count(g, "count", 10, where);
      const rng = uniformSource(seedOf(g, where));
      return Array.from({ length: n }, () => Math.floor(rng() * (max - min + 1)) + min);
    }
    case "integer_generator_parse_string":
      return splitGeneratorInput(str(g, "input", "", where), str(g, "splitOn", ",", where))
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
        .map((s) => Number.parseInt(s, 10))
        .filter((n) => !Number.isNaN(n));
    default:
      throw unknownType(g, where, "integer");
  }
}

/** The strings of a `string_generator` (dynamic prompts are expanded here rather than by a UI round trip). */
export function stringGeneratorValues(g: GeneratorValue, where: Where): string[] {
  const pre = precomputed(g);
  if (pre) return pre.map((v) => String(v));
  switch (g.type) {
    case "string_generator_parse_string":
      return splitGeneratorInput(str(g, "input", "", where), str(g, "splitOn", ",", where)).filter((s) => s.length > 0);
    case "string_generator_dynamic_prompts_combinatorial":
      return generateCombinatorialPrompts(str(g, "input", "", where), count(g, "maxPrompts", 10, where));
    case "string_generator_dynamic_prompts_random": {
      const seed = seedOf(g, where);
      return generateRandomPrompts(str(g, "input", "", where), count(g, "count", 10, where), seed ?? undefined);
    }
    default:
      throw unknownType(g, where, "string");
  }
}

/** The images of an `image_generator` (only `image_generator_images_from_board` exists). */
export function imageGeneratorValues(
  g: GeneratorValue,
  where: Where,
  boardImages?: BoardImagesLookup,
): ImageFieldValue[] {
  const pre = precomputed(g);
  if (pre) return pre.map((v) => (typeof v === "string" ? { image_name: v } : (v as ImageFieldValue)));
  if (g.type !== "image_generator_images_from_board") throw unknownType(g, where, "image");
  const boardId = g["board_id"];
  const category = g["category"] ?? "images";
  if (typeof boardId !== "string" || boardId === "") {
    throw new BatchExpansionError(`Generator node ${where.nodeId}: choose a board for the image generator`, {
      node_id: where.nodeId,
      field: "generator",
      key: "board_id",
    });
  }
  if (category !== "images" && category !== "assets") {
    throw new BatchExpansionError(`Generator node ${where.nodeId}: category must be "images" or "assets"`, {
      node_id: where.nodeId,
      field: "generator",
      key: "category",
      value: category,
    });
  }
  if (!boardImages) {
    throw new BatchExpansionError(
      `Generator node ${where.nodeId}: no board lookup was given to list board ${boardId}`,
      {
        node_id: where.nodeId,
        field: "generator",
      },
    );
  }
  return boardImages(boardId, category).map((image_name) => ({ image_name }));
}

function unknownType(g: GeneratorValue, where: Where, kind: string): BatchExpansionError {
  return new BatchExpansionError(`Generator node ${where.nodeId}: unknown ${kind} generator type "${String(g.type)}"`, {
    node_id: where.nodeId,
    field: "generator",
    value: g.type,
  });
}
