import { describe, expect, it } from "vitest";
import { BatchExpansionError } from "../../src/batch/batch-errors.js";
import { expandBatchNodes, type BatchGraph } from "../../src/batch/expand-batch-nodes.js";

type Node = BatchGraph["nodes"][string];
const edge = (from: string, field: string, to: string, toField: string) => ({
  source: { node_id: from, field },
  destination: { node_id: to, field: toField },
});
const graphOf = (nodes: Node[], edges: BatchGraph["edges"]): BatchGraph => ({
  id: "g",
  nodes: Object.fromEntries(nodes.map((n) => [n.id, n])),
  edges,
});

const consumer: Node = { id: "c", type: "string_join" };

describe("expandBatchNodes", () => {
  it("removes batch nodes and gives one list per ungrouped node (cartesian)", () => {
    const g = graphOf(
      [
        { id: "s", type: "string_batch", strings: ["cat", "dog"], batch_group_id: "None" },
        { id: "i", type: "integer_batch", integers: [1, 2, 3] },
        consumer,
        { id: "n", type: "noise" },
      ],
      [edge("s", "value", "c", "string_left"), edge("i", "value", "n", "seed"), edge("n", "noise", "c", "x")],
    );
    const { graph, data } = expandBatchNodes(g);
    expect(Object.keys(graph.nodes).sort()).toEqual(["c", "n"]);
    expect(graph.edges).toEqual([edge("n", "noise", "c", "x")]);
    expect(data).toEqual([
      [{ node_path: "c", field_name: "string_left", items: ["cat", "dog"] }],
      [{ node_path: "n", field_name: "seed", items: [1, 2, 3] }],
    ]);
    expect(Object.keys(g.nodes)).toHaveLength(4); // the input graph is untouched
  });

  it("zips batch nodes of one group and every edge of a node", () => {
    const g = graphOf(
      [
        { id: "a", type: "string_batch", strings: ["x", "y"], batch_group_id: "Group 1" },
        { id: "b", type: "float_batch", floats: [0.5, 0.7], batch_group_id: "Group 1" },
        { id: "img", type: "image_batch", images: [{ image_name: "1.png" }], batch_group_id: "None" },
        consumer,
      ],
      [
        edge("a", "value", "c", "string_left"),
        edge("a", "value", "c", "string_right"),
        edge("b", "value", "c", "weight"),
        edge("img", "image", "c", "image"),
      ],
    );
    expect(expandBatchNodes(g).data).toEqual([
      [
        { node_path: "c", field_name: "string_left", items: ["x", "y"] },
        { node_path: "c", field_name: "string_right", items: ["x", "y"] },
        { node_path: "c", field_name: "weight", items: [0.5, 0.7] },
      ],
      [{ node_path: "c", field_name: "image", items: [{ image_name: "1.png" }] }],
    ]);
  });

  it("takes items from a generator node wired into the collection input", () => {
    const g = graphOf(
      [
        {
          id: "gen",
          type: "integer_generator",
          generator: { type: "integer_generator_arithmetic_sequence", start: 10, step: 5, count: 3 },
        },
        { id: "b", type: "integer_batch" },
        consumer,
      ],
      [edge("gen", "integers", "b", "integers"), edge("b", "value", "c", "steps")],
    );
    const { graph, data } = expandBatchNodes(g);
    expect(data).toEqual([[{ node_path: "c", field_name: "steps", items: [10, 15, 20] }]]);
    expect(Object.keys(graph.nodes)).toEqual(["c"]);
    expect(graph.edges).toEqual([]);
  });

  it("expands string generators through dynamic prompts", () => {
    const g = graphOf(
      [
        {
          id: "gen",
          type: "string_generator",
          generator: { type: "string_generator_dynamic_prompts_combinatorial", input: "a {b|c}", maxPrompts: 10 },
        },
        { id: "b", type: "string_batch" },
        consumer,
      ],
      [edge("gen", "strings", "b", "strings"), edge("b", "value", "c", "string_left")],
    );
    expect(expandBatchNodes(g).data[0][0].items).toEqual(["a b", "a c"]);
  });

  it("lists board images through the lookup for image generators", () => {
    const g = graphOf(
      [
        {
          id: "gen",
          type: "image_generator",
          generator: { type: "image_generator_images_from_board", board_id: "b1", category: "images" },
        },
        { id: "b", type: "image_batch" },
        consumer,
      ],
      [edge("gen", "images", "b", "images"), edge("b", "image", "c", "image")],
    );
    const { data } = expandBatchNodes(g, {
      boardImages: (id, cat) => (id === "b1" && cat === "images" ? ["p.png", "q.png"] : []),
    });
    expect(data[0][0].items).toEqual([{ image_name: "p.png" }, { image_name: "q.png" }]);
    expect(() => expandBatchNodes(g)).toThrow(/no board lookup/);
  });

  it("leaves a graph without batch nodes alone", () => {
    const g = graphOf([consumer], []);
    expect(expandBatchNodes(g)).toEqual({ graph: g, data: [] });
  });

  it("refuses empty batches, mismatched groups, bad group ids and misuse of generators", () => {
    const empty = graphOf([{ id: "s", type: "string_batch", strings: [] }, consumer], [edge("s", "value", "c", "x")]);
    expect(() => expandBatchNodes(empty)).toThrow(BatchExpansionError);
    expect(() => expandBatchNodes(empty)).toThrow(/Batch node s has no items/);

    const mismatch = graphOf(
      [
        { id: "a", type: "integer_batch", integers: [1, 2], batch_group_id: "Group 2" },
        { id: "b", type: "integer_batch", integers: [1], batch_group_id: "Group 2" },
        consumer,
      ],
      [edge("a", "value", "c", "x"), edge("b", "value", "c", "y")],
    );
    expect(() => expandBatchNodes(mismatch)).toThrow(/"Group 2" must have the same number of items: a has 2, b has 1/);

    const badGroup = graphOf([{ id: "a", type: "integer_batch", integers: [1], batch_group_id: "Group 9" }], []);
    expect(() => expandBatchNodes(badGroup)).toThrow(/batch_group_id must be one of/);

    const genToNode = graphOf(
      [
        { id: "gen", type: "float_generator", generator: { type: "float_generator_parse_string", input: "1,2" } },
        consumer,
      ],
      [edge("gen", "floats", "c", "x")],
    );
    expect(() => expandBatchNodes(genToNode)).toThrow(/may only feed a batch node/);

    const wrongSource = graphOf(
      [{ id: "r", type: "range" }, { id: "b", type: "integer_batch" }, consumer],
      [edge("r", "collection", "b", "integers"), edge("b", "value", "c", "x")],
    );
    expect(() => expandBatchNodes(wrongSource)).toThrow(/may only be connected to a integer_generator node/);

    const sizeEdge = graphOf(
      [{ id: "i", type: "image_batch", images: [{ image_name: "a.png" }] }, consumer],
      [edge("i", "width", "c", "w")],
    );
    expect(() => expandBatchNodes(sizeEdge)).toThrow(/"width" cannot be batched/);
  });
});
