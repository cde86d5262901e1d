import { describe, expect, it } from "vitest";
import { AtelierError } from "@atelier/core";
import { collectRunOutputs, parseRunDocument, prepareHeadlessBatch } from "../../src/workflows/headless-run.js";
import { additionWorkflow } from "./workflow-fixtures.js";

const graph = {
  id: "g",
  nodes: {
    a: { id: "a", type: "integer", value: 1 },
    s: { id: "s", type: "string_batch", strings: ["x", "y"], batch_group_id: "None" },
  },
  edges: [],
};

describe("parseRunDocument", () => {
  it("reads workflows (node lists) through the workflow converter", () => {
    const doc = parseRunDocument(additionWorkflow());
    expect(Object.keys(doc.graph.nodes).sort()).toEqual(["a", "b", "sum"]);
    expect(doc.workflow?.name).toBe("Test workflow");
    expect(doc.exposedFields.map((f) => `${f.nodeId}.${f.fieldName}`)).toEqual(["a.value", "sum.b"]);
  });

  it("reads graphs, {graph} and {batch: {graph}} wrappers", () => {
    expect(parseRunDocument(graph).graph.id).toBe("g");
    expect(parseRunDocument({ graph }).graph.nodes.a.value).toBe(1);
    expect(parseRunDocument({ batch: { graph } }).workflow).toBeNull();
    const noId = parseRunDocument({ nodes: { a: { id: "a", type: "integer" } } });
    expect(noId.graph.id).toMatch(/[0-9a-f-]{36}/);
    expect(noId.graph.edges).toEqual([]);
  });

  it("refuses documents that are neither, naming the field", () => {
    for (const bad of [42, { nodes: 3 }, { something: {} }, { graph: { nodes: {}, edges: 5 } }]) {
      let error: unknown;
      try {
        parseRunDocument(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AtelierError);
      expect((error as AtelierError).status).toBe(422);
    }
  });
});

describe("prepareHeadlessBatch", () => {
  it("applies inputs and lets the expander turn batch nodes into batch data", () => {
    const doc = parseRunDocument(graph);
    const batch = prepareHeadlessBatch(
      doc,
      { "a.value": 7 },
      {
        expandBatchNodes: (g) => {
          const nodes = Object.fromEntries(Object.entries(g.nodes).filter(([, n]) => n.type !== "string_batch"));
          return { graph: { ...g, nodes }, data: [[{ node_path: "a", field_name: "value", items: [1, 2] }]] };
        },
      },
    );
    expect(batch.graph.nodes.a.value).toBe(7);
    expect(batch.graph.nodes.s).toBeUndefined();
    expect(batch.data).toEqual([[{ node_path: "a", field_name: "value", items: [1, 2] }]]);
    expect(batch).toMatchObject({ origin: "headless", destination: null, runs: 1, workflow: null });
    expect(prepareHeadlessBatch(doc, {}).data).toBeNull();
  });
});

describe("collectRunOutputs", () => {
  it("reports outputs by source id, lists for iterated nodes, and the images they name", () => {
    const session = {
      results: {
        r: { type: "integer_collection_output", collection: [1, 2] },
        "it#0": { type: "iterate_output", item: 1, index: 0, total: 2 },
        "it#1": { type: "iterate_output", item: 2, index: 1, total: 2 },
        "img#0": { type: "image_output", image: { image_name: "one.png" }, width: 8, height: 8 },
        "img#1": { type: "image_output", image: { image_name: "two.png" }, width: 8, height: 8 },
        col: { type: "image_collection_output", collection: [{ image_name: "one.png" }, { image_name: "two.png" }] },
      },
      executed_history: ["r", "it#0", "img#0", "it#1", "img#1", "col"],
      source_prepared_mapping: {
        r: ["r"],
        it: ["it#0", "it#1"],
        img: ["img#0", "img#1"],
        col: ["col"],
        skipped: ["skipped"],
      },
      errors: {},
    };
    const out = collectRunOutputs(session);
    expect(out.outputs.r).toEqual({ type: "integer_collection_output", collection: [1, 2] });
    expect(out.outputs.img).toEqual([session.results["img#0"], session.results["img#1"]]);
    expect(out.outputs.skipped).toBeUndefined();
    expect(out.images).toEqual([
      { image_name: "one.png", node_id: "img" },
      { image_name: "two.png", node_id: "img" },
    ]);
    expect(out.error).toBeNull();
  });

  it("reports the first error with its source node", () => {
    const out = collectRunOutputs({
      results: {},
      errors: { "b#1": { node_id: "b", error_type: "ValueError", error_message: "bad" } },
      source_prepared_mapping: {},
    });
    expect(out.error).toEqual({ node_id: "b", error_type: "ValueError", error_message: "bad" });
  });
});
