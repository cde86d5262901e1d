// The shipped workflows are valid InvokeAI workflow documents whose graphs validate against the built-in nodes.
import { describe, expect, it } from "vitest";
import { NodeRegistry, parseGraph, registerCoreNodes, validateGraph } from "@atelier/core";
import { parseWorkflowWithId, workflowToGraph } from "@atelier/engine";
import { BUILTIN_NODES, buildWorkflow, DEFAULT_WORKFLOWS } from "../../src/index.js";

const registry = new NodeRegistry();
registerCoreNodes(registry);
for (const def of BUILTIN_NODES) registry.register(def);

describe("default workflows", () => {
  it.each(DEFAULT_WORKFLOWS.map((w) => [w.id, w] as const))("%s converts to a valid graph", (_id, workflow) => {
    const parsed = parseWorkflowWithId(workflow);
    expect(parsed.meta.category).toBe("default");
    const { graph, exposedFields, ignoredExposedFields } = workflowToGraph(parsed);
    expect(ignoredExposedFields).toEqual([]);
    expect(exposedFields.length).toBe(workflow.exposedFields.length);
    for (const node of Object.values(graph.nodes)) {
      const info = registry.get(node.type);
      expect(info, `node type ${node.type}`).toBeDefined();
    }
    expect(validateGraph(parseGraph(graph), registry).map((e) => e.message)).toEqual([]);
  });

  it("the builder refuses edges and exposed fields that name no node", () => {
    const base = { id: "x", name: "x", description: "", tags: "", exposed: [] as string[] };
    const nodes = { a: { type: "integer", version: "1.0.1" } };
    expect(() => buildWorkflow({ ...base, nodes, edges: ["a.value -> b.value"] })).toThrow(/names no node "b"/);
    expect(() => buildWorkflow({ ...base, nodes, edges: [], exposed: ["c.value"] })).toThrow(/names no node/);
  });
});
