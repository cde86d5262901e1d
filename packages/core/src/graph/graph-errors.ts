import { AtelierError } from "../errors.js";
import { formatEdge, type Edge } from "./graph-types.js";

/** Base of every problem found in a graph (bad JSON, bad node, bad edge). HTTP 422 unless noted. */
export class GraphValidationError extends AtelierError {
  constructor(code: string, message: string, details: Record<string, unknown>, status = 422) {
    super(code, message, { status, details });
  }
}

/** One structural problem in graph JSON, located by a JSON path such as `edges[2].source.field`. */
export interface GraphParseIssue {
  readonly path: string;
  readonly message: string;
}

/** The graph JSON does not have the shape `{id, nodes: {id: node}, edges: [...]}`. */
export class GraphParseError extends GraphValidationError {
  readonly issues: readonly GraphParseIssue[];
  constructor(issues: readonly GraphParseIssue[]) {
    const shown = issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`);
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : "";
    super("invalid_graph_json", `Invalid graph JSON: ${shown.join("; ")}${more}`, { issues });
    this.issues = issues;
  }
}

/** A node id (on an edge, or asked for) is not in the graph. */
export class NodeNotFoundError extends GraphValidationError {
  constructor(nodeId: string, edge?: Edge) {
    super(
      "node_not_found",
      edge
        ? `Edge ${formatEdge(edge)} refers to node "${nodeId}", which is not in the graph`
        : `Node "${nodeId}" is not in the graph`,
      edge ? { node_id: nodeId, edge: formatEdge(edge) } : { node_id: nodeId },
    );
  }
}

/** `addNode` with an id that is already taken. */
export class NodeAlreadyInGraphError extends GraphValidationError {
  constructor(nodeId: string) {
    super("node_already_in_graph", `Node "${nodeId}" is already in the graph`, { node_id: nodeId }, 409);
  }
}

/** Two nodes carry the same `id`. */
export class DuplicateNodeIdError extends GraphValidationError {
  constructor(nodeId: string, keys: readonly string[]) {
    super(
      "duplicate_node_id",
      `Node id "${nodeId}" is used by more than one node (stored under keys ${keys.map((k) => `"${k}"`).join(", ")})`,
      { node_id: nodeId, keys },
    );
  }
}

/** A node is stored under a key different from its own `id`. */
export class NodeIdMismatchError extends GraphValidationError {
  constructor(key: string, nodeId: string) {
    super("node_id_mismatch", `Node stored under key "${key}" has id "${nodeId}"; the key must equal the node id`, {
      node_id: nodeId,
      key,
    });
  }
}

/** A node's `type` is not a registered node type. */
export class UnknownNodeTypeError extends GraphValidationError {
  constructor(nodeId: string, type: string) {
    super("unknown_node_type", `Node "${nodeId}" has unknown type "${type}"`, { node_id: nodeId, type });
  }
}

/** An edge names an output or input field that the node type does not have (or a node attribute such as `id`). */
export class NodeFieldNotFoundError extends GraphValidationError {
  constructor(edge: Edge, side: "source" | "destination", nodeType: string, reason?: string) {
    const conn = side === "source" ? edge.source : edge.destination;
    const what = side === "source" ? "output" : "input";
    super(
      "node_field_not_found",
      `Edge ${formatEdge(edge)}: node "${conn.node_id}" (${nodeType}) has no ${what} field "${conn.field}"` +
        (reason ? ` (${reason})` : ""),
      { edge: formatEdge(edge), node_id: conn.node_id, field: conn.field, side },
    );
  }
}

/** An edge that may not exist: incompatible types, a direct-only input, a second edge into one input, a duplicate. */
export class InvalidEdgeError extends GraphValidationError {
  constructor(message: string, details: Record<string, unknown>) {
    super("invalid_edge", message, details);
  }
}

/** The graph has a cycle; `cycle` lists the node ids around it, first id repeated at the end. */
export class CyclicalGraphError extends GraphValidationError {
  readonly cycle: readonly string[];
  constructor(cycle: readonly string[]) {
    super("cyclical_graph", `The graph has a cycle: ${cycle.join(" -> ")}`, { cycle, node_id: cycle[0] });
    this.cycle = cycle;
  }
}

/** A literal field value on a node is not valid for its type. */
export class InvalidFieldValueError extends GraphValidationError {
  constructor(nodeId: string, nodeType: string, field: string, problem: string, value?: unknown) {
    super("invalid_field_value", `Node "${nodeId}" (${nodeType}) field "${field}": ${problem}`, {
      node_id: nodeId,
      field,
      ...(value === undefined ? {} : { value }),
    });
  }
}

/** A rule of `iterate` / `collect` is broken (at validation, or at run time when a collection is not a list). */
export class IterateCollectError extends GraphValidationError {
  constructor(message: string, details: Record<string, unknown>) {
    super("invalid_iterate_collect", message, details);
  }
}

/** `updateNode` tried to change a node's type, or to move it onto an id that is taken. */
export class InvalidNodeUpdateError extends GraphValidationError {
  constructor(message: string, details: Record<string, unknown>) {
    super("invalid_node_update", message, details);
  }
}
