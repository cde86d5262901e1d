import { NodeRegistry, registerCoreNodes } from "@atelier/core";
import { describe, expect, it } from "vitest";
import * as nodesPackage from "../src/index.js";
import { LOGIC_NODES } from "../src/logic-nodes.js";

describe("registering the logic nodes", () => {
  it("adds every node next to the core nodes without overriding one", () => {
    const warnings: string[] = [];
    const registry = new NodeRegistry({ logger: { warn: (m) => warnings.push(m) } });
    registerCoreNodes(registry);
    for (const def of LOGIC_NODES) registry.register(def);
    expect(warnings).toEqual([]);
    for (const def of LOGIC_NODES) expect(registry.get(def.type)?.outputType).toBe(def.outputType);
    expect(registry.get("if")).toBeDefined();
  });

  it("shares no type id with the image nodes", () => {
    const imageNodes = (nodesPackage as Record<string, unknown>).IMAGE_NODES as
      ReadonlyArray<{ type: string }> | undefined;
    const logic = new Set(LOGIC_NODES.map((d) => d.type));
    for (const def of imageNodes ?? []) expect(logic.has(def.type), def.type).toBe(false);
  });
});
