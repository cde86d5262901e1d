/**
 * InvokeAI's UI finds node and output schemas in /openapi.json by their Python class names, so every built-in node
 * and output whose type id InvokeAI also has must publish its schema under InvokeAI's key. The reference is read from
 * the shared folder (/work/shared/invokeai/openapi.json) at test time, never copied into the repository.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildComponentSchemas, NodeRegistry, registerCoreNodes, type JsonSchema } from "@atelier/core";
import { describe, expect, it } from "vitest";
import { BUILTIN_NODES } from "../src/index.js";

const OPENAPI = fileURLToPath(new URL("../../../../shared/invokeai/openapi.json", import.meta.url));

type Schemas = Record<string, JsonSchema>;

/** Schema key by type id, for every schema of one class (`invocation` or `output`). */
function keysByType(schemas: Schemas, cls: "invocation" | "output"): Map<string, string> {
  const map = new Map<string, string>();
  for (const [key, schema] of Object.entries(schemas)) {
    if (schema.class !== cls) continue;
    const props = schema.properties as Record<string, JsonSchema>;
    map.set(String(props.type!.default), key);
  }
  return map;
}

/** Pairs of [ours, InvokeAI's] key for each type id both sides have, so a failure lists every mismatch at once. */
function sharedKeys(ours: Map<string, string>, theirs: Map<string, string>): Record<string, [string, string]> {
  const pairs: Record<string, [string, string]> = {};
  for (const [type, key] of ours) {
    const ref = theirs.get(type);
    if (ref !== undefined) pairs[type] = [key, ref];
  }
  return pairs;
}

const refName = (ref: unknown): string =>
  String((ref as { $ref: string }).$ref)
    .split("/")
    .pop()!;

describe.runIf(existsSync(OPENAPI))("built-in schema names match InvokeAI's openapi.json", () => {
  const reference = (JSON.parse(readFileSync(OPENAPI, "utf8")) as { components: { schemas: Schemas } }).components
    .schemas;
  const registry = new NodeRegistry();
  registerCoreNodes(registry);
  for (const def of BUILTIN_NODES) registry.register(def);
  const ours = buildComponentSchemas(registry);

  const ourNodes = keysByType(ours, "invocation");
  const ourOutputs = keysByType(ours, "output");
  const refNodes = keysByType(reference, "invocation");
  const refOutputs = keysByType(reference, "output");

  it("publishes every registered node and output (sanity check of the lookup)", () => {
    expect(ourNodes.size).toBe(registry.list().length);
    expect(ourOutputs.size).toBe(registry.listOutputs().length);
  });

  it("names each node InvokeAI also has after InvokeAI's class", () => {
    const pairs = sharedKeys(ourNodes, refNodes);
    expect(Object.keys(pairs).length).toBeGreaterThan(0);
    const mismatches = Object.entries(pairs).filter(([, [a, b]]) => a !== b);
    expect(Object.fromEntries(mismatches)).toEqual({});
  });

  it("names each output InvokeAI also has after InvokeAI's class", () => {
    const pairs = sharedKeys(ourOutputs, refOutputs);
    expect(Object.keys(pairs).length).toBeGreaterThan(0);
    const mismatches = Object.entries(pairs).filter(([, [a, b]]) => a !== b);
    expect(Object.fromEntries(mismatches)).toEqual({});
  });

  it("maps each node type to its output's schema in InvocationOutputMap", () => {
    const map = ours.InvocationOutputMap!.properties as Record<string, unknown>;
    const refMap = reference.InvocationOutputMap!.properties as Record<string, unknown>;
    expect(Object.keys(map).sort()).toEqual([...ourNodes.keys()].sort());
    const wrong: Record<string, { ours: string; expected: string }> = {};
    for (const def of registry.list()) {
      const ourRef = refName(map[def.type]);
      // Our own output schema for this node, and InvokeAI's where InvokeAI has the node.
      const expected = refMap[def.type] === undefined ? ourOutputs.get(def.output.type)! : refName(refMap[def.type]);
      if (ourRef !== expected) wrong[def.type] = { ours: ourRef, expected };
    }
    expect(wrong).toEqual({});
  });
});
