import { describe, expect, it } from "vitest";
import {
  CyclicalGraphError,
  Graph,
  GraphParseError,
  InvalidEdgeError,
  InvalidNodeUpdateError,
  NodeAlreadyInGraphError,
  NodeNotFoundError,
  formatEdge,
  parseGraph,
  type Edge,
} from "../../src/graph/index.js";
import { graphJSON } from "./run-state.js";

const edge = (s: string, sf: string, d: string, df: string): Edge => ({
  source: { node_id: s, field: sf },
  destination: { node_id: d, field: df },
});

function sample(): Graph {
  return parseGraph(
    graphJSON(
      [
        ["a", "integer", { value: 1 }],
        ["b", "integer", { value: 2 }],
        ["sum", "add"],
        ["c", "collect"],
      ],
      ["a.value -> sum.a", "b.value -> sum.b", "sum.value -> c.item", "a.value -> c.item"],
    ),
  );
}

describe("Graph model", () => {
  it("round-trips InvokeAI's JSON form", () => {
    const json = graphJSON(
      [
        ["a", "integer", { value: 1 }],
        ["sum", "add", { b: 3 }],
      ],
      ["a.value -> sum.a"],
    );
    const g = parseGraph(json);
    expect(g.toJSON()).toEqual(json);
    expect(parseGraph(JSON.parse(JSON.stringify(g))).toJSON()).toEqual(json);
  });

  it("indexes edges per node", () => {
    const g = sample();
    expect(g.inputEdges("sum").map(formatEdge)).toEqual(["a.value -> sum.a", "b.value -> sum.b"]);
    expect(g.inputEdges("sum", "b").map(formatEdge)).toEqual(["b.value -> sum.b"]);
    expect(g.outputEdges("a").map(formatEdge)).toEqual(["a.value -> sum.a", "a.value -> c.item"]);
    expect(g.inputEdges("c", "item")).toHaveLength(2);
    expect(g.outputEdges("c")).toEqual([]);
  });

  it("adds and deletes nodes; deleting removes incident edges", () => {
    const g = sample();
    expect(() => g.addNode({ id: "a", type: "integer" })).toThrow(NodeAlreadyInGraphError);
    g.deleteNode("sum");
    expect(g.hasNode("sum")).toBe(false);
    expect(g.edges.map(formatEdge)).toEqual(["a.value -> c.item"]);
    expect(g.outputEdges("a").map(formatEdge)).toEqual(["a.value -> c.item"]);
    expect(() => g.deleteNode("sum")).toThrow(NodeNotFoundError);
    expect(() => g.getNode("nope")).toThrow(/Node "nope" is not in the graph/);
  });

  it("updates a node; an id change keeps its place and rewires its edges", () => {
    const g = sample();
    g.updateNode("sum", { id: "total", type: "add", b: 5 });
    expect(g.nodeIds()).toEqual(["a", "b", "total", "c"]);
    expect(g.edges.map(formatEdge)).toEqual([
      "a.value -> total.a",
      "b.value -> total.b",
      "total.value -> c.item",
      "a.value -> c.item",
    ]);
    expect(g.inputEdges("total")).toHaveLength(2);
    expect(g.inputEdges("sum")).toHaveLength(0);
    expect(() => g.updateNode("total", { id: "total", type: "mul" })).toThrow(InvalidNodeUpdateError);
    expect(() => g.updateNode("total", { id: "a", type: "add" })).toThrow(/that id is taken/);
  });

  it("checks edges on add: nodes exist, no duplicate, one edge per input except collect.item, no cycle", () => {
    const g = sample();
    expect(() => g.addEdge(edge("zz", "value", "sum", "a"))).toThrow(NodeNotFoundError);
    expect(() => g.addEdge(edge("a", "value", "sum", "a"))).toThrow(/already in the graph/);
    expect(() => g.addEdge(edge("b", "value", "sum", "a"))).toThrow(InvalidEdgeError);
    expect(() => g.addEdge(edge("b", "value", "sum", "a"))).toThrow(
      /sum\.a already has an edge \(a\.value -> sum\.a\)/,
    );
    g.addEdge(edge("b", "value", "c", "item")); // collect.item takes many
    g.addNode({ id: "d", type: "add" });
    g.addEdge(edge("sum", "value", "d", "a"));
    const err = (() => {
      try {
        g.addEdge(edge("d", "value", "a", "value"));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CyclicalGraphError);
    expect((err as CyclicalGraphError).cycle).toEqual(["d", "a", "sum", "d"]);
    g.deleteEdge(edge("b", "value", "c", "item"));
    expect(g.inputEdges("c")).toHaveLength(2);
    expect(() => g.deleteEdge(edge("b", "value", "c", "item"))).toThrow(/not in the graph/);
  });
});

describe("parseGraph", () => {
  it("reports every structural problem with its JSON path", () => {
    let error: GraphParseError | undefined;
    try {
      parseGraph({
        id: 5,
        nodes: { a: { id: "a" }, "b c": "x", d: { id: "d", type: "add" } },
        edges: [
          { source: { node_id: "a" }, destination: { node_id: "d", field: "a" } },
          "nope",
          { source: { node_id: "a", field: "value" }, destination: { node_id: "d", field: "a" } },
          { source: { node_id: "a", field: "value" }, destination: { node_id: "d", field: "a" } },
        ],
      });
    } catch (e) {
      error = e as GraphParseError;
    }
    expect(error).toBeInstanceOf(GraphParseError);
    expect(error!.status).toBe(422);
    expect(error!.issues.map((i) => i.path)).toEqual([
      "id",
      "nodes.a.type",
      'nodes["b c"]',
      "edges[0].source.field",
      "edges[1]",
      "edges[3]",
    ]);
    expect(error!.message).toContain("nodes.a.type: expected a non-empty string");
    expect(error!.issues[5].message).toContain("duplicate of edges[2]");
  });

  it("refuses non-objects and wrong containers", () => {
    expect(() => parseGraph([])).toThrow(/\$: expected an object/);
    expect(() => parseGraph({ nodes: [], edges: {} })).toThrow(
      /nodes: expected an object of nodes keyed by id.*edges: expected an array/,
    );
  });

  it("fills a missing id, nodes and edges", () => {
    const g = parseGraph({});
    expect(g.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(g.nodeCount).toBe(0);
    expect(g.edgeCount).toBe(0);
  });

  it("keeps a node stored under another key, and two edges into one input, for validation to report", () => {
    const g = parseGraph(
      graphJSON(
        [
          ["a", "integer"],
          ["b", "integer"],
          ["s", "add"],
        ],
        ["a.value -> s.a", "b.value -> s.a"],
      ),
    );
    expect(g.inputEdges("s", "a")).toHaveLength(2);
    const g2 = parseGraph({ nodes: { k: { id: "other", type: "integer" } } });
    expect(g2.getNode("k").id).toBe("other");
  });
});
