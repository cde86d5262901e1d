import type {
  FieldIssue,
  InputInfo,
  InputKind,
  NodeTypeInfo,
  NodeTypeLookup,
  OutputInfo,
} from "../../src/node-type-info.js";
import type { TypeExpr } from "../../src/type-expr.js";

export const T = {
  any: { kind: "any" } as TypeExpr,
  int: { kind: "int" } as TypeExpr,
  float: { kind: "float" } as TypeExpr,
  str: { kind: "str" } as TypeExpr,
  bool: { kind: "bool" } as TypeExpr,
  none: { kind: "null" } as TypeExpr,
  ref: (name: string): TypeExpr => ({ kind: "ref", name }),
  list: (item: TypeExpr): TypeExpr => ({ kind: "list", item }),
  union: (...members: TypeExpr[]): TypeExpr => ({ kind: "union", members }),
  enum: (...values: string[]): TypeExpr => ({ kind: "enum", values }),
};
const IMAGE = T.ref("ImageField");

type InputSpec = TypeExpr | { type: TypeExpr; input?: InputKind; required?: boolean; kind?: InputInfo["kind"] };

const ATTRIBUTES: Record<string, InputInfo> = {
  id: { type: T.str, input: "direct", kind: "node_attribute", required: false },
  type: { type: T.str, input: "direct", kind: "node_attribute", required: false },
  is_intermediate: { type: T.bool, input: "direct", kind: "node_attribute", required: false },
  use_cache: { type: T.bool, input: "direct", kind: "node_attribute", required: false },
};

/** Checks a literal against a TypeExpr, roughly as pydantic would (enough for the fixtures). */
function fits(t: TypeExpr, v: unknown): boolean {
  switch (t.kind) {
    case "any":
      return true;
    case "null":
      return v === null;
    case "int":
      return Number.isInteger(v);
    case "float":
      return typeof v === "number";
    case "str":
      return typeof v === "string";
    case "bool":
      return typeof v === "boolean";
    case "enum":
      return typeof v === "string" && t.values.includes(v);
    case "ref":
      return typeof v === "object" && v !== null;
    case "list":
      return Array.isArray(v) && v.every((x) => fits(t.item, x));
    case "union":
      return t.members.some((m) => fits(m, v));
  }
}

function nodeType(
  type: string,
  inputs: Record<string, InputSpec>,
  outputType: string,
  outputs: Record<string, TypeExpr>,
  extraCheck?: (node: Readonly<Record<string, unknown>>) => FieldIssue[],
): NodeTypeInfo {
  const ins: Record<string, InputInfo> = { ...ATTRIBUTES };
  for (const [name, spec] of Object.entries(inputs)) {
    const full: Exclude<InputSpec, TypeExpr> = "type" in spec ? spec : { type: spec };
    ins[name] = {
      type: full.type,
      input: full.input ?? "any",
      kind: full.kind ?? "input",
      required: full.required ?? false,
    };
  }
  const outs: Record<string, OutputInfo> = {};
  for (const [name, t] of Object.entries(outputs)) outs[name] = { type: t };
  return {
    type,
    inputs: ins,
    outputType,
    outputs: outs,
    validateValues(node) {
      const issues: FieldIssue[] = [];
      for (const [name, info] of Object.entries(ins)) {
        if (info.kind === "node_attribute" || !(name in node) || node[name] === null || node[name] === undefined)
          continue;
        if (!fits(info.type, node[name]))
          issues.push({ field: name, message: `expected ${info.type.kind}`, value: node[name] });
      }
      return [...issues, ...(extraCheck?.(node) ?? [])];
    },
  };
}

const intOut = { value: T.int };

/** The node types the graph tests use. */
export const FIXTURE_TYPES: NodeTypeInfo[] = [
  nodeType("integer", { value: T.int }, "integer_output", intOut),
  nodeType("float", { value: T.float }, "float_output", { value: T.float }),
  nodeType("string", { value: T.str }, "string_output", { value: T.str }),
  nodeType("boolean", { value: T.bool }, "boolean_output", { value: T.bool }),
  nodeType("add", { a: T.int, b: T.int }, "integer_output", intOut),
  nodeType("mul", { a: T.int, b: T.int }, "integer_output", intOut),
  nodeType("float_scale", { value: T.float, factor: T.float }, "float_output", { value: T.float }),
  nodeType("string_join", { string_left: T.str, string_right: T.str }, "string_output", { value: T.str }),
  nodeType("mode_select", { mode: T.enum("fast", "slow") }, "mode_output", { mode: T.enum("fast", "slow") }),
  nodeType("string_pair", { a: T.str }, "string_pair_output", { value: T.union(T.str, T.none) }),
  nodeType("load_image", { image: { type: IMAGE, input: "direct" } }, "image_output", {
    image: IMAGE,
    width: T.int,
    height: T.int,
  }),
  nodeType(
    "save_image",
    {
      image: { type: IMAGE, input: "connection", required: true },
      board: { type: T.union(T.ref("BoardField"), T.none), input: "direct", kind: "internal" },
    },
    "image_output",
    { image: IMAGE, width: T.int, height: T.int },
  ),
  nodeType("image_collection", { collection: T.list(IMAGE) }, "image_collection_output", { collection: T.list(IMAGE) }),
  nodeType("control", { image: T.union(IMAGE, T.list(IMAGE), T.none) }, "control_output", { count: T.int }),
  nodeType("sum", { collection: T.list(T.int) }, "integer_output", intOut),
  nodeType("concat", { collection: T.list(T.str) }, "string_output", { value: T.str }),
  nodeType("integer_collection", { collection: T.list(T.int) }, "integer_collection_output", {
    collection: T.list(T.int),
  }),
  nodeType("nested_range", { stop: T.int }, "integer_collection_collection_output", {
    collection: T.list(T.list(T.int)),
  }),
  nodeType(
    "range",
    { start: T.int, stop: T.int, step: T.int },
    "integer_collection_output",
    { collection: T.list(T.int) },
    (node) => (node.step === 0 ? [{ field: "step", message: "must not be 0", value: 0 }] : []),
  ),
  nodeType("iterate", { collection: T.list(T.any), index: T.int }, "iterate_output", {
    item: T.any,
    index: T.int,
    total: T.int,
  }),
  nodeType(
    "collect",
    { item: { type: T.any, input: "connection" }, collection: { type: T.list(T.any), input: "connection" } },
    "collect_output",
    {
      collection: T.list(T.any),
    },
  ),
  nodeType("if", { condition: T.bool, true_input: T.any, false_input: T.any }, "if_output", { value: T.any }),
  nodeType("greater", { a: T.int, b: T.int }, "boolean_output", { value: T.bool }),
];

/** A NodeTypeLookup over the fixture types. */
export function fixtureLookup(): NodeTypeLookup {
  const map = new Map(FIXTURE_TYPES.map((t) => [t.type, t]));
  return { get: (type) => map.get(type) };
}
