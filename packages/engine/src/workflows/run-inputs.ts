import type { NodeTypeLookup, TypeExpr } from "@atelier/core";
import { RunInputError } from "./workflow-errors.js";
import type { GraphJSON, GraphNodeJSON } from "./workflow-to-graph.js";

/** Fields every node has that a caller may not set as a run input. */
const NODE_ATTRIBUTES = new Set(["id", "type"]);

/** Splits `"<node_id>.<field>"` at its last dot (field names never hold dots; node ids might). */
export function splitInputKey(key: string): { nodeId: string; field: string } {
  const dot = key.lastIndexOf(".");
  if (dot <= 0 || dot === key.length - 1) {
    throw new RunInputError(key, 'must be written "<node_id>.<field>"');
  }
  return { nodeId: key.slice(0, dot), field: key.slice(dot + 1) };
}

/**
 * Returns a copy of `graph` with named inputs (`{"<node_id>.<field>": value}`) written into its nodes.
 * Refused, naming the key: an unknown node, `id`/`type`, a field fed by an edge (the edge would override it), and —
 * when `lookup` is given — a field the node's type does not have.
 */
export function applyRunInputs(
  graph: GraphJSON,
  inputs: Readonly<Record<string, unknown>>,
  lookup?: NodeTypeLookup,
): GraphJSON {
  const nodes: Record<string, GraphNodeJSON> = { ...graph.nodes };
  const copied = new Set<string>();
  for (const [key, value] of Object.entries(inputs)) {
    const { nodeId, field } = splitInputKey(key);
    const node = nodes[nodeId];
    if (node === undefined) {
      throw new RunInputError(key, `the graph has no node "${nodeId}"`, { node_id: nodeId, field });
    }
    if (NODE_ATTRIBUTES.has(field)) {
      throw new RunInputError(key, `"${field}" is a node attribute and cannot be set`, { node_id: nodeId, field });
    }
    const info = lookup?.get(node.type);
    if (lookup !== undefined && info !== undefined && !(field in info.inputs)) {
      const known = Object.keys(info.inputs).filter((name) => !NODE_ATTRIBUTES.has(name));
      throw new RunInputError(
        key,
        `node "${nodeId}" (${node.type}) has no input "${field}"; its inputs are ${known.join(", ")}`,
        {
          node_id: nodeId,
          field,
        },
      );
    }
    const edge = graph.edges.find((e) => e.destination.node_id === nodeId && e.destination.field === field);
    if (edge !== undefined) {
      throw new RunInputError(
        key,
        `is fed by the edge ${edge.source.node_id}.${edge.source.field} -> ${nodeId}.${field}, so a value would be ignored`,
        { node_id: nodeId, field },
      );
    }
    if (value === undefined) continue;
    if (!copied.has(nodeId)) {
      nodes[nodeId] = { ...node };
      copied.add(nodeId);
    }
    nodes[nodeId][field] = value;
  }
  return { ...graph, nodes };
}

/** Splits a `--set node.field=value` assignment into its key and raw text. */
export function parseInputAssignment(assignment: string): { key: string; raw: string } {
  const eq = assignment.indexOf("=");
  if (eq <= 0) throw new RunInputError(assignment, 'must be written "<node_id>.<field>=<value>"');
  const key = assignment.slice(0, eq);
  splitInputKey(key);
  return { key, raw: assignment.slice(eq + 1) };
}

function acceptsOnlyText(type: TypeExpr): boolean {
  switch (type.kind) {
    case "str":
    case "enum":
      return true;
    case "union":
      return type.members.every((m) => m.kind === "null" || acceptsOnlyText(m));
    default:
      return false;
  }
}

/**
 * Turns the raw text of an assignment into a value: kept as text when the field takes only strings (so
 * `prompt=42` stays "42"), otherwise parsed as JSON when it parses (numbers, booleans, objects), else text.
 */
export function interpretInputValue(raw: string, type?: TypeExpr): unknown {
  if (type !== undefined && acceptsOnlyText(type)) return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}
