// Compares node schemas with InvokeAI's generated schema (../shared/invokeai/openapi.json, read from the shared
// folder, never copied into the repository): attributes, every input property, the output schema and the named
// models a node refers to. Each test file lists its deliberate differences with the reason.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { invocationJsonSchema, JsonSchemaWriter, outputJsonSchema, type AnyInvocationDefinition } from "@atelier/core";

const OPENAPI_PATH = new URL("../../../../../shared/invokeai/openapi.json", import.meta.url);
const schemas = (
  JSON.parse(readFileSync(OPENAPI_PATH, "utf8")) as { components: { schemas: Record<string, Record<string, unknown>> } }
).components.schemas;
const byType = new Map<string, Record<string, unknown>>();
for (const s of Object.values(schemas)) {
  if (s.class === "invocation") byType.set((s.properties as Record<string, { default: string }>).type.default, s);
}

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

function diffValues(path: string, actual: unknown, expected: unknown, out: string[]): void {
  if (JSON.stringify(sortKeys(actual)) === JSON.stringify(sortKeys(expected))) return;
  out.push(`${path}: got ${JSON.stringify(actual)}, InvokeAI has ${JSON.stringify(expected)}`);
}

/** Every difference between our schema of a node and InvokeAI's, as `"<type>.<path>: got …, InvokeAI has …"`. */
export function schemaDifferences(def: AnyInvocationDefinition): string[] {
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
  diffValues(`${def.type}.output schema properties`, outSchema.properties, schemas[outputName]?.properties, out);
  // Named models the node refers to (Tile, TBLR, ColorField, …) must have InvokeAI's shape as well.
  for (const [name, schema] of Object.entries(writer.definitions())) {
    if (schemas[name]) diffValues(`${def.type}.$defs.${name}`, schema, schemas[name], out);
  }
  return out;
}

/**
 * A describe block comparing each node with InvokeAI's schema. `allowed` maps `"<type id>.<path>"` to the reason
 * of a deliberate difference; anything else fails, and so does an allowed difference that no longer exists.
 */
export function describeSchemaComparison(
  title: string,
  nodes: readonly { readonly type: string }[],
  allowed: Readonly<Record<string, string>>,
): void {
  const matches = (d: string, key: string) => d.startsWith(`${key}:`) || d.startsWith(`${key} `);
  const isAllowed = (d: string) => Object.keys(allowed).some((k) => matches(d, k));
  describe(title, () => {
    it("defines each type id once", () => {
      const ids = nodes.map((d) => d.type);
      expect(new Set(ids).size).toBe(ids.length);
    });
    for (const def of nodes) {
      it(`${def.type}`, () => {
        expect(schemaDifferences(def as AnyInvocationDefinition).filter((d) => !isAllowed(d))).toEqual([]);
      });
    }
    it("lists only differences that still exist", () => {
      const all = nodes.flatMap((d) => schemaDifferences(d as AnyInvocationDefinition));
      for (const key of Object.keys(allowed)) {
        expect(
          all.some((d) => matches(d, key)),
          `stale allowed difference ${key}`,
        ).toBe(true);
      }
    });
  });
}
