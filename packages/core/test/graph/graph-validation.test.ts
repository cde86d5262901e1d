import { describe, expect, it } from "vitest";
import {
  CyclicalGraphError,
  DuplicateNodeIdError,
  GraphValidationError,
  InvalidEdgeError,
  InvalidFieldValueError,
  IterateCollectError,
  NodeFieldNotFoundError,
  NodeIdMismatchError,
  NodeNotFoundError,
  UnknownNodeTypeError,
  assertValidGraph,
  graphErrors,
  isValidGraph,
  parseGraph,
  validateGraph,
} from "../../src/graph/index.js";
import { fixtureLookup } from "./fixtures.js";
import { graphJSON } from "./run-state.js";

const lookup = fixtureLookup();

function errorsOf(json: unknown): GraphValidationError[] {
  return graphErrors(parseGraph(json), lookup);
}

/** The graph has exactly one error, of the given class; returns it. */
function onlyError<E extends GraphValidationError>(json: unknown, cls: new (...args: never[]) => E): E {
  const errors = errorsOf(json);
  expect(errors.map((e) => `${e.name}: ${e.message}`)).toHaveLength(1);
  expect(errors[0]).toBeInstanceOf(cls);
  expect(errors[0].status).toBe(422);
  return errors[0] as E;
}

const range = (id = "r"): [string, string, Record<string, unknown>] => [id, "range", { start: 0, stop: 3, step: 1 }];

describe("graph validation: nodes", () => {
  it("accepts a valid graph with iterate, collect and if", () => {
    const json = graphJSON(
      [
        range(),
        ["it", "iterate"],
        ["x", "add", { b: 1 }],
        ["c", "collect"],
        ["s", "sum"],
        ["cond", "boolean", { value: true }],
        ["f", "if"],
        ["out", "add"],
      ],
      [
        "r.collection -> it.collection",
        "it.item -> x.a",
        "x.value -> c.item",
        "c.collection -> s.collection",
        "cond.value -> f.condition",
        "s.value -> f.true_input",
        "x.value -> f.false_input",
        "f.value -> out.a",
      ],
    );
    // x is inside the loop and feeds f.false_input; that is a type-valid edge.
    expect(errorsOf(json)).toEqual([]);
    expect(isValidGraph(parseGraph(json), lookup)).toBe(true);
  });

  it("refuses a node stored under a key that is not its id", () => {
    const e = onlyError({ id: "g", nodes: { k: { id: "a", type: "integer" } }, edges: [] }, NodeIdMismatchError);
    expect(e.message).toContain('key "k" has id "a"');
  });

  it("refuses two nodes with the same id", () => {
    const errors = errorsOf({
      id: "g",
      nodes: { a: { id: "a", type: "integer" }, b: { id: "a", type: "integer" } },
      edges: [],
    });
    expect(errors.map((e) => e.constructor)).toEqual([NodeIdMismatchError, DuplicateNodeIdError]);
    expect(errors[1].message).toContain('Node id "a" is used by more than one node');
    expect(errors[1].details).toMatchObject({ node_id: "a", keys: ["a", "b"] });
  });

  it("refuses an unknown node type, naming the node", () => {
    const e = onlyError(graphJSON([["n1", "no_such_type"]]), UnknownNodeTypeError);
    expect(e.message).toBe('Node "n1" has unknown type "no_such_type"');
    expect(e.code).toBe("unknown_node_type");
  });

  it("refuses invalid literal values, naming node and field", () => {
    const e = onlyError(graphJSON([["r", "range", { start: 0, stop: 3, step: 0 }]]), InvalidFieldValueError);
    expect(e.message).toBe('Node "r" (range) field "step": must not be 0');
    expect(e.details).toMatchObject({ node_id: "r", field: "step", value: 0 });
    const e2 = onlyError(graphJSON([["n", "integer", { value: "seven" }]]), InvalidFieldValueError);
    expect(e2.message).toContain('Node "n" (integer) field "value"');
  });
});

describe("graph validation: edges", () => {
  it("refuses an edge to a node that does not exist, naming the edge", () => {
    const e = onlyError(graphJSON([["a", "integer"]], ["a.value -> ghost.a"]), NodeNotFoundError);
    expect(e.message).toBe('Edge a.value -> ghost.a refers to node "ghost", which is not in the graph');
  });

  it("refuses an unknown output field", () => {
    const e = onlyError(
      graphJSON(
        [
          ["a", "integer"],
          ["b", "add"],
        ],
        ["a.valu -> b.a"],
      ),
      NodeFieldNotFoundError,
    );
    expect(e.message).toBe('Edge a.valu -> b.a: node "a" (integer) has no output field "valu"');
  });

  it("refuses an unknown input field", () => {
    const e = onlyError(
      graphJSON(
        [
          ["a", "integer"],
          ["b", "add"],
        ],
        ["a.value -> b.c"],
      ),
      NodeFieldNotFoundError,
    );
    expect(e.message).toBe('Edge a.value -> b.c: node "b" (add) has no input field "c"');
    expect(e.details).toMatchObject({ node_id: "b", field: "c", side: "destination" });
  });

  it("refuses an edge into a node attribute such as id", () => {
    const e = onlyError(
      graphJSON(
        [
          ["a", "string"],
          ["b", "add"],
        ],
        ["a.value -> b.id"],
      ),
      NodeFieldNotFoundError,
    );
    expect(e.message).toContain('has no input field "id" ("id" is a node attribute, not an input)');
  });

  it("refuses an edge into a direct-only input", () => {
    const e = onlyError(
      graphJSON(
        [
          ["a", "load_image"],
          ["b", "load_image"],
        ],
        ["a.image -> b.image"],
      ),
      InvalidEdgeError,
    );
    expect(e.message).toBe(
      'Edge a.image -> b.image: input "image" of node "b" (load_image) is direct-only and cannot take a connection',
    );
  });

  it("refuses incompatible types, naming edge and both types", () => {
    const e = onlyError(
      graphJSON(
        [
          ["a", "load_image"],
          ["b", "add"],
        ],
        ["a.image -> b.a"],
      ),
      InvalidEdgeError,
    );
    expect(e.message).toBe("Edge a.image -> b.a: output type ImageField of a.image does not fit input type int of b.a");
  });

  it("accepts int→float, int→str, T→T|list[T], Optional→plain and Literal→str", () => {
    const json = graphJSON(
      [
        ["i", "integer"],
        ["f", "float_scale"],
        ["j", "string_join"],
        ["img", "load_image"],
        ["ctl", "control"],
        ["p", "string_pair"],
        ["j2", "string_join"],
        ["m", "mode_select"],
      ],
      [
        "i.value -> f.value",
        "i.value -> j.string_left",
        "img.image -> ctl.image",
        "p.value -> j2.string_left",
        "m.mode -> j2.string_right",
      ],
    );
    expect(errorsOf(json)).toEqual([]);
  });

  it("refuses two edges into one ordinary input", () => {
    const e = onlyError(
      graphJSON(
        [
          ["a", "integer"],
          ["b", "integer"],
          ["s", "add"],
        ],
        ["a.value -> s.a", "b.value -> s.a"],
      ),
      InvalidEdgeError,
    );
    expect(e.message).toBe(
      "Input s.a has 2 incoming edges (a.value -> s.a, b.value -> s.a); only collect.item accepts more than one",
    );
  });

  it("accepts many edges into collect.item", () => {
    expect(
      errorsOf(
        graphJSON(
          [
            ["a", "integer"],
            ["b", "integer"],
            ["c", "collect"],
          ],
          ["a.value -> c.item", "b.value -> c.item"],
        ),
      ),
    ).toEqual([]);
  });

  it("refuses a cycle and reports it", () => {
    const e = onlyError(
      graphJSON(
        [
          ["a", "add"],
          ["b", "add"],
          ["c", "add"],
        ],
        ["a.value -> b.a", "b.value -> c.a", "c.value -> a.a"],
      ),
      CyclicalGraphError,
    );
    expect(e.message).toBe("The graph has a cycle: a -> b -> c -> a");
    expect(e.cycle).toEqual(["a", "b", "c", "a"]);
  });

  it("refuses a self-loop", () => {
    expect(onlyError(graphJSON([["a", "add"]], ["a.value -> a.b"]), CyclicalGraphError).cycle).toEqual(["a", "a"]);
  });
});

describe("graph validation: iterate and collect", () => {
  it("refuses an iterate without a collection edge", () => {
    const e = onlyError(graphJSON([["it", "iterate"]]), IterateCollectError);
    expect(e.message).toBe('Iterate node "it" needs exactly one edge into its "collection" input; it has none');
  });

  it("refuses an iterate fed by something that is not a list", () => {
    const errors = errorsOf(
      graphJSON(
        [
          ["i", "integer"],
          ["it", "iterate"],
        ],
        ["i.value -> it.collection"],
      ),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InvalidEdgeError);
    expect(errors[0].message).toContain("i.value -> it.collection");
  });

  it("refuses an edge into iterate.index", () => {
    const e = onlyError(
      graphJSON(
        [range(), ["i", "integer"], ["it", "iterate"]],
        ["r.collection -> it.collection", "i.value -> it.index"],
      ),
      IterateCollectError,
    );
    expect(e.message).toContain('Edge i.value -> it.index: input "index" of iterate node "it" is set by the scheduler');
  });

  it("refuses iterate items going to an input that does not take the item type", () => {
    const e = onlyError(
      graphJSON(
        [range(), ["it", "iterate"], ["ctl", "control"]],
        ["r.collection -> it.collection", "it.item -> ctl.image"],
      ),
      IterateCollectError,
    );
    expect(e.message).toBe(
      'Edge it.item -> ctl.image: iterate node "it" yields items of type int, which input ctl.image (ImageField | list[ImageField] | None) does not accept',
    );
  });

  it("resolves item types through iterate → collect → iterate chains", () => {
    const ok = graphJSON(
      [range(), ["it", "iterate"], ["c", "collect"], ["it2", "iterate"], ["x", "add"]],
      ["r.collection -> it.collection", "it.item -> c.item", "c.collection -> it2.collection", "it2.item -> x.a"],
    );
    expect(errorsOf(ok)).toEqual([]);
    const bad = graphJSON(
      [range(), ["it", "iterate"], ["c", "collect"], ["it2", "iterate"], ["ctl", "control"]],
      ["r.collection -> it.collection", "it.item -> c.item", "c.collection -> it2.collection", "it2.item -> ctl.image"],
    );
    expect(onlyError(bad, IterateCollectError).message).toContain("yields items of type int");
  });

  it("refuses a collect whose items have different types", () => {
    const e = onlyError(
      graphJSON(
        [
          ["i", "integer"],
          ["s", "string"],
          ["c", "collect"],
        ],
        ["i.value -> c.item", "s.value -> c.item"],
      ),
      IterateCollectError,
    );
    expect(e.message).toBe(
      'Collect node "c" receives items of different types (int, str); all items must share one type',
    );
  });

  it("accepts collect items of a type and its subtype (bool < int)", () => {
    expect(
      errorsOf(
        graphJSON(
          [
            ["i", "integer"],
            ["b", "boolean"],
            ["c", "collect"],
            ["s", "sum"],
          ],
          ["i.value -> c.item", "b.value -> c.item", "c.collection -> s.collection"],
        ),
      ),
    ).toEqual([]);
  });

  it("refuses a collect output into a list input of another item type", () => {
    const e = onlyError(
      graphJSON(
        [
          ["i", "integer"],
          ["c", "collect"],
          ["ic", "image_collection"],
        ],
        ["i.value -> c.item", "c.collection -> ic.collection"],
      ),
      IterateCollectError,
    );
    expect(e.message).toBe(
      'Edge c.collection -> ic.collection: collect node "c" gathers items of type int, but input ic.collection expects list[ImageField]',
    );
  });

  it("refuses a collect output into a non-list input", () => {
    const e = onlyError(
      graphJSON(
        [
          ["i", "integer"],
          ["c", "collect"],
          ["x", "add"],
        ],
        ["i.value -> c.item", "c.collection -> x.a"],
      ),
      InvalidEdgeError,
    );
    expect(e.message).toContain("c.collection -> x.a");
  });

  it("accepts collect outputs into Any inputs and list[T] | T inputs", () => {
    const json = graphJSON(
      [
        ["img", "load_image"],
        ["c", "collect"],
        ["ctl", "control"],
        ["f", "if", { condition: true }],
      ],
      ["img.image -> c.item", "c.collection -> ctl.image", "c.collection -> f.true_input"],
    );
    expect(errorsOf(json)).toEqual([]);
  });
});

describe("graphErrors / assertValidGraph / validateGraph", () => {
  const bad = graphJSON(
    [
      ["a", "integer", { value: "x" }],
      ["b", "nope"],
      ["s", "add"],
    ],
    ["a.value -> s.a", "a.value -> s.zz", "ghost.value -> s.b"],
  );

  it("lists every problem", () => {
    expect(errorsOf(bad).map((e) => e.code)).toEqual([
      "unknown_node_type",
      "invalid_field_value",
      "node_field_not_found",
      "node_not_found",
    ]);
  });

  it("throws the first problem", () => {
    expect(() => assertValidGraph(parseGraph(bad), lookup)).toThrow(UnknownNodeTypeError);
    expect(() => validateGraph(parseGraph(bad), lookup, { throwFirst: true })).toThrow(/unknown type "nope"/);
    expect(validateGraph(parseGraph(bad), lookup)).toHaveLength(4);
  });
});
