/**
 * Every node defined in logic-nodes.ts against InvokeAI's published schema (/work/shared/invokeai/openapi.json, read
 * from the shared folder, never copied): type id, title, category, version, classification, tags, required list,
 * output type, and every input and output property (type, default, constraints, input kind, titles, descriptions,
 * ui hints). Known differences are listed below, each with its reason.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildComponentSchemas, type JsonSchema } from "@atelier/core";
import { describe, expect, it } from "vitest";
import { LOGIC_NODES } from "../src/logic-nodes.js";

const OPENAPI = fileURLToPath(new URL("../../../../shared/invokeai/openapi.json", import.meta.url));

/** Intended differences: node type, the property or attribute (`*` = whole node), and why. */
const KNOWN_DIFFERENCES: ReadonlyArray<{ type: string; field: string; reason: string }> = [
  {
    type: "step_param_easing",
    field: "*",
    reason: "removed from InvokeAI at the reference snapshot (absent from openapi.json); kept from InvokeAI 4.x/5.x",
  },
];

type Schemas = Record<string, JsonSchema>;

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

function byType(schemas: Schemas, cls: "invocation" | "output"): Map<string, JsonSchema> {
  const map = new Map<string, JsonSchema>();
  for (const schema of Object.values(schemas)) {
    if (schema.class !== cls) continue;
    const props = schema.properties as Record<string, JsonSchema>;
    map.set(String(props.type.default), schema);
  }
  return map;
}

const refName = (ref: unknown): string =>
  String((ref as { $ref: string }).$ref)
    .split("/")
    .pop()!;
const isKnown = (type: string, field: string): boolean =>
  KNOWN_DIFFERENCES.some((d) => d.type === type && (d.field === field || d.field === "*"));

describe.runIf(existsSync(OPENAPI))("logic node schemas match InvokeAI's openapi.json", () => {
  const reference = (JSON.parse(readFileSync(OPENAPI, "utf8")) as { components: { schemas: Schemas } }).components
    .schemas;
  const refNodes = byType(reference, "invocation");
  const refOutputs = byType(reference, "output");
  const ours = buildComponentSchemas({ list: () => [...LOGIC_NODES], listOutputs: () => [] });
  const ourNodes = byType(ours, "invocation");
  const ourOutputs = byType(ours, "output");

  it("defines each node once", () => {
    const types = LOGIC_NODES.map((n) => n.type);
    expect(new Set(types).size).toBe(types.length);
  });

  for (const def of LOGIC_NODES) {
    it(`${def.type}`, () => {
      const theirs = refNodes.get(def.type);
      if (isKnown(def.type, "*")) return;
      expect(theirs, `${def.type} is not in openapi.json`).toBeDefined();
      const mine = ourNodes.get(def.type)!;
      for (const attr of ["title", "category", "version", "classification", "node_pack", "tags", "description"]) {
        if (isKnown(def.type, attr)) continue;
        expect(mine[attr], `${def.type}.${attr}`).toEqual(theirs![attr]);
      }
      expect(mine.required, `${def.type} required`).toEqual(theirs!.required);
      expect(Boolean(mine.additionalProperties), `${def.type} extra fields`).toBe(
        Boolean(theirs!.additionalProperties),
      );
      const myProps = mine.properties as Record<string, JsonSchema>;
      const theirProps = theirs!.properties as Record<string, JsonSchema>;
      expect(Object.keys(myProps).sort(), `${def.type} field names`).toEqual(
        Object.keys(theirProps)
          .filter((f) => !isKnown(def.type, f))
          .sort(),
      );
      for (const [field, prop] of Object.entries(myProps)) {
        if (isKnown(def.type, field)) continue;
        expect(sortKeys(prop), `${def.type}.${field}`).toEqual(sortKeys(theirProps[field]));
      }
      // The output: same type id and same fields.
      const myOutput = ours[refName(mine.output)]!;
      const theirOutput = reference[refName(theirs!.output)]!;
      const outType = (s: JsonSchema) => (s.properties as Record<string, JsonSchema>).type.default;
      expect(outType(myOutput), `${def.type} output type`).toEqual(outType(theirOutput));
      const myOut = myOutput.properties as Record<string, JsonSchema>;
      const theirOut = theirOutput.properties as Record<string, JsonSchema>;
      expect(Object.keys(myOut).sort(), `${def.type} output fields`).toEqual(Object.keys(theirOut).sort());
      for (const [field, prop] of Object.entries(myOut)) {
        expect(sortKeys(prop), `${String(outType(myOutput))}.${field}`).toEqual(sortKeys(theirOut[field]));
      }
    });
  }

  it("each output type this package defines matches InvokeAI's", () => {
    for (const [type, mine] of ourOutputs) {
      const theirs = refOutputs.get(type);
      if (!theirs) continue;
      expect(sortKeys(mine.properties), type).toEqual(sortKeys(theirs.properties));
    }
  });
});
