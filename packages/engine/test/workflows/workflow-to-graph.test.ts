import { describe, expect, it } from "vitest";
import { AtelierError } from "@atelier/core";
import {
  applyRunInputs,
  interpretInputValue,
  parseInputAssignment,
  splitInputKey,
} from "../../src/workflows/run-inputs.js";
import { workflowToGraph } from "../../src/workflows/workflow-to-graph.js";
import { parseWorkflow } from "../../src/workflows/workflow-document.js";
import { additionWorkflow, edge, invocationNode, workflowDocument } from "./workflow-fixtures.js";

function errorOf(fn: () => unknown): AtelierError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AtelierError) return error;
    throw error;
  }
  throw new Error("expected an AtelierError");
}

describe("workflowToGraph", () => {
  it("turns invocation nodes into graph nodes with their input values and node attributes", () => {
    const { graph } = workflowToGraph(additionWorkflow(), { graphId: "g" });
    expect(graph.id).toBe("g");
    expect(Object.keys(graph.nodes).sort()).toEqual(["a", "b", "sum"]);
    expect(graph.nodes.a).toEqual({ id: "a", type: "integer", value: 2, is_intermediate: true, use_cache: true });
    expect(graph.nodes.sum).toEqual({ id: "sum", type: "add", is_intermediate: false, use_cache: false });
  });

  it("keeps default edges as graph edges, drops collapsed edges and inputs fed by an edge", () => {
    const { graph } = workflowToGraph(additionWorkflow());
    expect(graph.edges).toEqual([
      { source: { node_id: "a", field: "value" }, destination: { node_id: "sum", field: "a" } },
      { source: { node_id: "b", field: "value" }, destination: { node_id: "sum", field: "b" } },
    ]);
    expect("a" in graph.nodes.sum).toBe(false);
  });

  it("skips UI-only nodes such as notes", () => {
    const { graph } = workflowToGraph(additionWorkflow());
    expect(graph.nodes["note-1"]).toBeUndefined();
  });

  it("resolves exposed fields with their labels and reports the ones it cannot resolve", () => {
    const { exposedFields, ignoredExposedFields } = workflowToGraph(additionWorkflow());
    expect(exposedFields).toEqual([
      { nodeId: "a", fieldName: "value", nodeType: "integer", label: "First number", value: 2 },
      { nodeId: "sum", fieldName: "b", nodeType: "add", label: "b", value: undefined },
    ]);
    expect(ignoredExposedFields).toHaveLength(1);
    expect(ignoredExposedFields[0]).toMatchObject({ nodeId: "ghost", fieldName: "value" });
  });

  it("leaves unset values and board sentinels out", () => {
    const doc = workflowDocument(
      [
        invocationNode("s", "save_image", { board: { value: "auto" }, image: { value: undefined } }),
        invocationNode("t", "string", { value: { value: "" } }),
      ],
      [],
    );
    const { graph } = workflowToGraph(doc);
    expect(graph.nodes.s).toEqual({ id: "s", type: "save_image", is_intermediate: true, use_cache: true });
    expect(graph.nodes.t.value).toBe("");
  });

  it("gives a fresh graph id when none is asked for", () => {
    const one = workflowToGraph(additionWorkflow()).graph.id;
    const two = workflowToGraph(additionWorkflow()).graph.id;
    expect(one).not.toBe(two);
  });

  it("refuses an edge to a node that is not in the workflow, naming the edge", () => {
    const doc = workflowDocument(
      [invocationNode("a", "integer", { value: { value: 1 } })],
      [edge("a", "value", "zzz", "a")],
    );
    const error = errorOf(() => workflowToGraph(doc));
    expect(error.code).toBe("invalid_workflow");
    expect(error.status).toBe(422);
    expect(error.message).toContain("workflow.edges[0].target");
    expect(error.message).toContain("zzz");
  });

  it("refuses an edge without handles", () => {
    const doc = workflowDocument(
      [invocationNode("a", "integer", {}), invocationNode("b", "add", {})],
      [{ ...edge("a", "value", "b", "a"), targetHandle: null }],
    );
    expect(errorOf(() => workflowToGraph(doc)).message).toContain("workflow.edges[0].targetHandle");
  });

  it("refuses duplicate node ids and malformed documents with the path of the problem", () => {
    const dup = workflowDocument([invocationNode("a", "integer", {}), invocationNode("a", "integer", {})], []);
    expect(errorOf(() => workflowToGraph(dup)).message).toContain("workflow.nodes[1].id");
    expect(errorOf(() => workflowToGraph({ ...additionWorkflow(), nodes: "x" })).message).toContain("workflow.nodes");
    expect(errorOf(() => workflowToGraph([])).message).toContain("must be a JSON object");
    const noType = additionWorkflow();
    ((noType.nodes as Record<string, Record<string, unknown>>[])[0].data as Record<string, unknown>).type = 7;
    expect(errorOf(() => workflowToGraph(noType)).message).toContain("workflow.nodes[0].data.type");
    expect(
      errorOf(() => workflowToGraph({ ...additionWorkflow(), meta: { version: "3.0.0", category: "nope" } })).message,
    ).toContain("workflow.meta.category");
  });

  it("fills missing descriptive strings so hand-written workflows load", () => {
    const parsed = parseWorkflow({ nodes: [], edges: [] });
    expect(parsed.name).toBe("");
    expect(parsed.meta).toEqual({ version: "3.0.0", category: "user" });
    expect(parsed.exposedFields).toEqual([]);
  });
});

describe("run inputs", () => {
  it("writes named inputs into a copy of the graph", () => {
    const { graph } = workflowToGraph(additionWorkflow());
    const changed = applyRunInputs(graph, { "a.value": 40, "b.value": 2 });
    expect(changed.nodes.a.value).toBe(40);
    expect(changed.nodes.b.value).toBe(2);
    expect(graph.nodes.a.value).toBe(2);
  });

  it("refuses unknown nodes, node attributes and fields fed by an edge", () => {
    const { graph } = workflowToGraph(additionWorkflow());
    const unknown = errorOf(() => applyRunInputs(graph, { "zzz.value": 1 }));
    expect(unknown.code).toBe("invalid_run_input");
    expect(unknown.message).toContain("zzz");
    expect(errorOf(() => applyRunInputs(graph, { "a.id": "x" })).message).toContain("node attribute");
    const fed = errorOf(() => applyRunInputs(graph, { "sum.a": 1 }));
    expect(fed.message).toContain("a.value -> sum.a");
  });

  it("refuses fields the node type does not have when a lookup is given", () => {
    const { graph } = workflowToGraph(additionWorkflow());
    const lookup = {
      get: (type: string) =>
        type === "integer"
          ? {
              type,
              inputs: {
                id: {
                  type: { kind: "str" as const },
                  input: "direct" as const,
                  kind: "node_attribute" as const,
                  required: true,
                },
                value: {
                  type: { kind: "int" as const },
                  input: "any" as const,
                  kind: "input" as const,
                  required: false,
                },
              },
              outputType: "integer_output",
              outputs: {},
              validateValues: () => [],
            }
          : undefined,
    };
    const error = errorOf(() => applyRunInputs(graph, { "a.vaule": 1 }, lookup));
    expect(error.message).toContain('has no input "vaule"');
    expect(error.message).toContain("value");
  });

  it("splits keys at the last dot and parses assignments", () => {
    expect(splitInputKey("node.with.dots.field")).toEqual({ nodeId: "node.with.dots", field: "field" });
    expect(() => splitInputKey("nodot")).toThrow(/node_id/);
    expect(() => splitInputKey(".field")).toThrow();
    expect(parseInputAssignment("p.prompt=a = b")).toEqual({ key: "p.prompt", raw: "a = b" });
    expect(() => parseInputAssignment("=3")).toThrow();
    expect(interpretInputValue("42")).toBe(42);
    expect(interpretInputValue("42", { kind: "str" })).toBe("42");
    expect(interpretInputValue("true", { kind: "union", members: [{ kind: "str" }, { kind: "null" }] })).toBe("true");
    expect(interpretInputValue("[1,2]", { kind: "list", item: { kind: "int" } })).toEqual([1, 2]);
    expect(interpretInputValue("a cat")).toBe("a cat");
  });
});
