import type { NodeTypeInfo, NodeTypeLookup } from "../node-type-info.js";
import { formatTypeExpr, type TypeExpr } from "../type-expr.js";
import type { Graph } from "./graph.js";
import { findCycle } from "./graph-cycles.js";
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
} from "./graph-errors.js";
import { formatEdge, type Edge } from "./graph-types.js";
import { COLLECTION_FIELD, COLLECT_TYPE, INDEX_FIELD, ITEM_FIELD, ITERATE_TYPE } from "./special-nodes.js";
import { isCompatible, listItemType, typeKey, typeMembers } from "./type-compatibility.js";

const ANY: TypeExpr = { kind: "any" };

/** Strictly narrower, in the sense of Python's subclassing (`bool < int`, a Literal < `str` or a wider Literal). */
function isStrictSubtype(a: TypeExpr, b: TypeExpr): boolean {
  if (typeKey(a) === typeKey(b)) return false;
  if (a.kind === "bool" && b.kind === "int") return true;
  if (a.kind === "enum" && b.kind === "str") return true;
  if (a.kind === "enum" && b.kind === "enum") return a.values.every((v) => b.values.includes(v));
  return false;
}

/**
 * Every problem of the graph, in a stable order: node ids and types, literal values, each edge (endpoints,
 * fields, direct-only inputs, types), inputs with more than one edge, a cycle, then the iterate/collect rules.
 * Each is a typed `GraphValidationError` (HTTP 422) whose message names the node, field or edge.
 */
export function graphErrors(graph: Graph, lookup: NodeTypeLookup): GraphValidationError[] {
  const errors: GraphValidationError[] = [];
  const infos = new Map<string, NodeTypeInfo>();

  // A node's id can only repeat if it is stored under another key, so only mismatched nodes need a look.
  const mismatched: [string, string][] = [];
  for (const [key, node] of graph.nodeEntries()) {
    if (node.id !== key) {
      errors.push(new NodeIdMismatchError(key, node.id));
      mismatched.push([key, node.id]);
    }
    const info = lookup.get(node.type);
    if (info) infos.set(key, info);
    else errors.push(new UnknownNodeTypeError(key, node.type));
  }
  const keysById = new Map<string, string[]>();
  for (const [key, id] of mismatched) {
    const keys = keysById.get(id) ?? (graph.findNode(id)?.id === id ? [id] : []);
    keys.push(key);
    keysById.set(id, keys);
  }
  for (const [id, keys] of keysById) if (keys.length > 1) errors.push(new DuplicateNodeIdError(id, keys));

  for (const [key, info] of infos) {
    const node = graph.getNode(key);
    for (const issue of info.validateValues(node)) {
      errors.push(new InvalidFieldValueError(key, node.type, issue.field, issue.message, issue.value));
    }
  }

  // Edges whose endpoints, fields and types are fine: the iterate/collect rules only look at these.
  const okEdges = new Set<Edge>();
  for (const edge of graph.edges) {
    const srcId = edge.source.node_id;
    const dstId = edge.destination.node_id;
    const srcMissing = !graph.hasNode(srcId);
    const dstMissing = srcId !== dstId && !graph.hasNode(dstId);
    if (srcMissing) errors.push(new NodeNotFoundError(srcId, edge));
    if (dstMissing) errors.push(new NodeNotFoundError(dstId, edge));
    if (srcMissing || dstMissing) continue;
    const srcInfo = infos.get(srcId);
    const dstInfo = infos.get(dstId);
    if (!srcInfo || !dstInfo) continue;
    const output = Object.hasOwn(srcInfo.outputs, edge.source.field) ? srcInfo.outputs[edge.source.field] : undefined;
    const input = Object.hasOwn(dstInfo.inputs, edge.destination.field)
      ? dstInfo.inputs[edge.destination.field]
      : undefined;
    let fieldsOk = true;
    if (!output) {
      errors.push(new NodeFieldNotFoundError(edge, "source", srcInfo.type));
      fieldsOk = false;
    }
    if (!input) {
      errors.push(new NodeFieldNotFoundError(edge, "destination", dstInfo.type));
      fieldsOk = false;
    } else if (input.kind === "node_attribute") {
      errors.push(
        new NodeFieldNotFoundError(
          edge,
          "destination",
          dstInfo.type,
          `"${edge.destination.field}" is a node attribute, not an input`,
        ),
      );
      fieldsOk = false;
    }
    if (!fieldsOk || !output || !input) continue;
    if (input.input === "direct") {
      errors.push(
        new InvalidEdgeError(
          `Edge ${formatEdge(edge)}: input "${edge.destination.field}" of node "${dstId}" (${dstInfo.type}) is direct-only and cannot take a connection`,
          { edge: formatEdge(edge), node_id: dstId, field: edge.destination.field },
        ),
      );
      continue;
    }
    if (!isCompatible(output.type, input.type)) {
      errors.push(
        new InvalidEdgeError(
          `Edge ${formatEdge(edge)}: output type ${formatTypeExpr(output.type)} of ${srcId}.${edge.source.field} does not fit input type ${formatTypeExpr(input.type)} of ${dstId}.${edge.destination.field}`,
          {
            edge: formatEdge(edge),
            node_id: dstId,
            field: edge.destination.field,
            source_type: formatTypeExpr(output.type),
            destination_type: formatTypeExpr(input.type),
          },
        ),
      );
      continue;
    }
    okEdges.add(edge);
  }

  for (const [nodeId, node] of graph.nodeEntries()) {
    const ins = graph.inputEdges(nodeId);
    if (ins.length < 2) continue;
    const byField = new Map<string, Edge[]>();
    for (const e of ins) {
      const list = byField.get(e.destination.field);
      if (list) list.push(e);
      else byField.set(e.destination.field, [e]);
    }
    for (const [field, list] of byField) {
      if (list.length < 2 || (node.type === COLLECT_TYPE && field === ITEM_FIELD)) continue;
      const node_id = nodeId;
      errors.push(
        new InvalidEdgeError(
          `Input ${node_id}.${field} has ${list.length} incoming edges (${list.map(formatEdge).join(", ")}); only collect.item accepts more than one`,
          { node_id, field, edges: list.map(formatEdge) },
        ),
      );
    }
  }

  const cycle = findCycle(graph);
  if (cycle) {
    errors.push(new CyclicalGraphError(cycle));
    return errors; // iterate/collect type resolution follows edges and needs a DAG
  }

  errors.push(...iterateCollectErrors(graph, infos, okEdges));
  return errors;
}

/** The iterate/collect rules of §4.2 over a DAG, with item types resolved through chains of iterate and collect. */
function iterateCollectErrors(
  graph: Graph,
  infos: Map<string, NodeTypeInfo>,
  okEdges: Set<Edge>,
): GraphValidationError[] {
  const errors: GraphValidationError[] = [];
  const iterItem = new Map<string, TypeExpr>();
  const collectRoot = new Map<string, { root: TypeExpr; conflict: TypeExpr[] | undefined }>();

  const outputType = (nodeId: string, field: string): TypeExpr => {
    const info = infos.get(nodeId);
    if (!info) return ANY;
    if (info.type === ITERATE_TYPE && field === ITEM_FIELD) return iterateItemType(nodeId);
    if (info.type === COLLECT_TYPE && field === COLLECTION_FIELD)
      return { kind: "list", item: collectRootOf(nodeId).root };
    return Object.hasOwn(info.outputs, field) ? info.outputs[field].type : ANY;
  };

  const iterateItemType = (id: string): TypeExpr => {
    const known = iterItem.get(id);
    if (known) return known;
    const ins = graph.inputEdges(id, COLLECTION_FIELD);
    let item: TypeExpr = ANY;
    if (ins.length === 1 && okEdges.has(ins[0])) {
      item = listItemType(outputType(ins[0].source.node_id, ins[0].source.field)) ?? ANY;
    }
    iterItem.set(id, item);
    return item;
  };

  const collectRootOf = (id: string): { root: TypeExpr; conflict: TypeExpr[] | undefined } => {
    const known = collectRoot.get(id);
    if (known) return known;
    const types = new Map<string, TypeExpr>();
    for (const e of graph.inputEdges(id)) {
      if (!okEdges.has(e)) continue;
      const t = outputType(e.source.node_id, e.source.field);
      let itemType: TypeExpr | undefined = t;
      if (e.destination.field === COLLECTION_FIELD) itemType = listItemType(t);
      else if (e.destination.field !== ITEM_FIELD) continue;
      if (!itemType) continue;
      for (const m of typeMembers(itemType)) if (m.kind !== "any") types.set(typeKey(m), m);
    }
    const all = [...types.values()];
    const roots = all.filter((t) => !all.some((u) => isStrictSubtype(t, u)));
    const result =
      roots.length === 1
        ? { root: roots[0], conflict: undefined }
        : { root: ANY, conflict: roots.length > 1 ? roots : undefined };
    collectRoot.set(id, result);
    return result;
  };

  for (const [id, info] of infos) {
    if (info.type === ITERATE_TYPE) {
      const ins = graph.inputEdges(id, COLLECTION_FIELD);
      if (ins.length === 0) {
        errors.push(
          new IterateCollectError(
            `Iterate node "${id}" needs exactly one edge into its "collection" input; it has none`,
            {
              node_id: id,
              field: COLLECTION_FIELD,
            },
          ),
        );
      } else if (ins.length === 1 && okEdges.has(ins[0])) {
        const e = ins[0];
        const srcType = outputType(e.source.node_id, e.source.field);
        if (!listItemType(srcType)) {
          errors.push(
            new IterateCollectError(
              `Edge ${formatEdge(e)}: iterate node "${id}" needs a list on "collection", but ${e.source.node_id}.${e.source.field} is ${formatTypeExpr(srcType)}`,
              { edge: formatEdge(e), node_id: id, field: COLLECTION_FIELD, source_type: formatTypeExpr(srcType) },
            ),
          );
        }
      }
      for (const e of graph.inputEdges(id, INDEX_FIELD)) {
        errors.push(
          new IterateCollectError(
            `Edge ${formatEdge(e)}: input "index" of iterate node "${id}" is set by the scheduler and cannot take an edge`,
            {
              edge: formatEdge(e),
              node_id: id,
              field: INDEX_FIELD,
            },
          ),
        );
      }
      const item = iterateItemType(id);
      for (const e of graph.outputEdges(id, ITEM_FIELD)) {
        if (!okEdges.has(e)) continue;
        const target = infos.get(e.destination.node_id)!.inputs[e.destination.field].type;
        if (!isCompatible(item, target)) {
          errors.push(
            new IterateCollectError(
              `Edge ${formatEdge(e)}: iterate node "${id}" yields items of type ${formatTypeExpr(item)}, which input ${e.destination.node_id}.${e.destination.field} (${formatTypeExpr(target)}) does not accept`,
              {
                edge: formatEdge(e),
                node_id: e.destination.node_id,
                field: e.destination.field,
                item_type: formatTypeExpr(item),
              },
            ),
          );
        }
      }
    } else if (info.type === COLLECT_TYPE) {
      const { root, conflict } = collectRootOf(id);
      if (conflict) {
        errors.push(
          new IterateCollectError(
            `Collect node "${id}" receives items of different types (${conflict.map(formatTypeExpr).join(", ")}); all items must share one type`,
            { node_id: id, field: ITEM_FIELD, item_types: conflict.map(formatTypeExpr) },
          ),
        );
        continue;
      }
      for (const e of graph.outputEdges(id, COLLECTION_FIELD)) {
        if (!okEdges.has(e)) continue;
        const target = infos.get(e.destination.node_id)!.inputs[e.destination.field].type;
        const targetItem = listItemType(target);
        if (target.kind === "any" || targetItem?.kind === "any") continue;
        if (!isCompatible({ kind: "list", item: root }, target)) {
          errors.push(
            new IterateCollectError(
              `Edge ${formatEdge(e)}: collect node "${id}" gathers items of type ${formatTypeExpr(root)}, but input ${e.destination.node_id}.${e.destination.field} expects ${formatTypeExpr(target)}`,
              {
                edge: formatEdge(e),
                node_id: e.destination.node_id,
                field: e.destination.field,
                item_type: formatTypeExpr(root),
              },
            ),
          );
        }
      }
    }
  }
  return errors;
}

/** Throws the first problem `graphErrors` finds. */
export function assertValidGraph(graph: Graph, lookup: NodeTypeLookup): void {
  const errors = graphErrors(graph, lookup);
  if (errors.length > 0) throw errors[0];
}

/** Whether the graph has no problem at all. */
export function isValidGraph(graph: Graph, lookup: NodeTypeLookup): boolean {
  return graphErrors(graph, lookup).length === 0;
}

/** Validates a graph: returns every problem, or with `{ throwFirst: true }` throws the first one. */
export function validateGraph(
  graph: Graph,
  lookup: NodeTypeLookup,
  options: { throwFirst?: boolean } = {},
): GraphValidationError[] {
  const errors = graphErrors(graph, lookup);
  if (options.throwFirst && errors.length > 0) throw errors[0];
  return errors;
}
