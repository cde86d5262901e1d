// Schemas of the SD nodes (i2l, l2i, compel, model loaders and pickers, mask nodes) against InvokeAI's openapi.json.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { invocationJsonSchema, JsonSchemaWriter, outputJsonSchema, type AnyInvocationDefinition } from "@atelier/core";
import { CompelInvocation } from "../../src/generation/compel-node.js";
import { LatentsToImageInvocation } from "../../src/generation/latents-to-image-node.js";
import { MainModelLoaderInvocation } from "../../src/generation/model-loader-nodes.js";
import { SD_SUPPORT_NODES } from "../../src/generation/sd-support-nodes.js";

const SD_NODES = [...SD_SUPPORT_NODES, CompelInvocation, LatentsToImageInvocation, MainModelLoaderInvocation];

// InvokeAI's generated schema, read from the shared folder (never copied into the repository).
const OPENAPI_PATH = new URL("../../../../../shared/invokeai/openapi.json", import.meta.url);
const schemas = (
  JSON.parse(readFileSync(OPENAPI_PATH, "utf8")) as { components: { schemas: Record<string, Record<string, unknown>> } }
).components.schemas;
const byType = new Map<string, Record<string, unknown>>();
for (const s of Object.values(schemas)) {
  if (s.class === "invocation") byType.set((s.properties as Record<string, { default: string }>).type.default, s);
}

/**
 * Known, deliberate differences from InvokeAI's schema: "<type id>.<path>" → reason. Anything not listed fails.
 */
const CORE_OWNED =
  "@atelier/core's field models shorten InvokeAI's long docstrings and give seamless_axes its default (owned by the SDK)";
const ALLOWED_DIFFERENCES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    SD_NODES.filter((def) => def.type !== "scheduler").map((def) => [`${def.type}.$defs.BaseModelType`, CORE_OWNED]),
  ),
  ...Object.fromEntries(
    ["create_denoise_mask", "create_gradient_mask", "i2l", "l2i", "main_model_loader", "vae_loader"].map((type) => [
      `${type}.$defs.VAEField`,
      CORE_OWNED,
    ]),
  ),
  ...Object.fromEntries(
    ["create_gradient_mask", "main_model_loader"].flatMap((type) =>
      ["UNetField", "FreeUConfig"].map((name) => [`${type}.$defs.${name}`, CORE_OWNED]),
    ),
  ),
};

const NODE_KEYS = [
  "title",
  "category",
  "version",
  "tags",
  "classification",
  "node_pack",
  "description",
  "required",
  "class",
] as const;

function diffValues(path: string, actual: unknown, expected: unknown, out: string[]): void {
  if (JSON.stringify(sortKeys(actual)) === JSON.stringify(sortKeys(expected))) return;
  out.push(`${path}: got ${JSON.stringify(actual)}, InvokeAI has ${JSON.stringify(expected)}`);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** Every difference between our schema of a node and InvokeAI's, minus the allowed ones. */
function schemaDifferences(def: AnyInvocationDefinition): string[] {
  const expected = byType.get(def.type);
  if (!expected) return [`${def.type}: not in InvokeAI's openapi.json`];
  const writer = new JsonSchemaWriter();
  const actual = invocationJsonSchema(def, writer) as Record<string, unknown>;
  const out: string[] = [];
  for (const key of NODE_KEYS) diffValues(`${def.type}.${key}`, actual[key], expected[key], out);
  diffValues(`${def.type}.output`, actual.output, expected.output, out);
  const aProps = actual.properties as Record<string, unknown>;
  const eProps = expected.properties as Record<string, unknown>;
  diffValues(`${def.type}.properties (names, in order)`, Object.keys(aProps), Object.keys(eProps), out);
  for (const name of new Set([...Object.keys(aProps), ...Object.keys(eProps)])) {
    diffValues(`${def.type}.properties.${name}`, aProps[name], eProps[name], out);
  }
  // The output schema must match too (fields, types, descriptions).
  const outputName = (expected.output as { $ref: string }).$ref.split("/").pop()!;
  const outSchema = outputJsonSchema(def.output, writer) as Record<string, unknown>;
  const eOut = schemas[outputName];
  diffValues(`${def.type}.output schema properties`, outSchema.properties, eOut.properties, out);
  // Named models the node refers to (Tile, TBLR, ColorField, …) must have InvokeAI's shape as well.
  for (const [name, schema] of Object.entries(writer.definitions())) {
    if (schemas[name]) diffValues(`${def.type}.$defs.${name}`, schema, schemas[name], out);
  }
  return out;
}

const isAllowed = (d: string) =>
  Object.keys(ALLOWED_DIFFERENCES).some((k) => d.startsWith(`${k}:`) || d.startsWith(`${k} `));

describe("SD generation node schemas match InvokeAI's openapi.json", () => {
  it("defines each type id once", () => {
    const ids = SD_NODES.map((d) => d.type);
    expect(new Set(ids).size).toBe(ids.length);
  });
  for (const def of SD_NODES) {
    it(`${def.type}`, () => {
      expect(schemaDifferences(def as AnyInvocationDefinition).filter((d) => !isAllowed(d))).toEqual([]);
    });
  }
  it("lists only differences that still exist", () => {
    const all = SD_NODES.flatMap((d) => schemaDifferences(d as AnyInvocationDefinition));
    for (const key of Object.keys(ALLOWED_DIFFERENCES)) {
      expect(
        all.some((d) => d.startsWith(`${key}:`) || d.startsWith(`${key} `)),
        `stale allowed difference ${key}`,
      ).toBe(true);
    }
  });
});
