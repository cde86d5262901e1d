/**
 * Turns the batch and generator nodes of a graph into `Batch.data`, as InvokeAI's web UI does before it enqueues a
 * workflow: the nodes are never executed. Each batch node's items (typed in, or produced by the generator node
 * wired into its collection input) become one `BatchDatum` per edge leaving its value output. Batch nodes sharing a
 * `batch_group_id` are zipped into one inner list (their sizes must match); each node in group "None" gets its own
 * inner list, so the queue takes the cartesian product across lists.
 */
import { BatchExpansionError } from "./batch-errors.js";
import {
  floatGeneratorValues,
  imageGeneratorValues,
  integerGeneratorValues,
  stringGeneratorValues,
  type BoardImagesLookup,
  type GeneratorValue,
  type ImageFieldValue,
} from "./generator-values.js";

/** One value list for one node field (InvokeAI's `BatchDatum`). */
export interface BatchDatum {
  node_path: string;
  field_name: string;
  items: Array<string | number | ImageFieldValue>;
}

/** The graph shape this function reads and returns (InvokeAI's graph JSON). */
export interface BatchGraph {
  id: string;
  nodes: Record<string, { readonly id: string; readonly type: string; readonly [field: string]: unknown }>;
  edges: Array<{
    readonly source: { readonly node_id: string; readonly field: string };
    readonly destination: { readonly node_id: string; readonly field: string };
  }>;
}

/** What `expandBatchNodes` returns: the graph to enqueue and the batch data to expand it with. */
export interface ExpandedBatch {
  graph: BatchGraph;
  data: BatchDatum[][];
}

/** The batch node types, their collection input and the output that carries one item per session. */
export const BATCH_NODE_FIELDS: Readonly<Record<string, { readonly collection: string; readonly output: string }>> = {
  image_batch: { collection: "images", output: "image" },
  string_batch: { collection: "strings", output: "value" },
  integer_batch: { collection: "integers", output: "value" },
  float_batch: { collection: "floats", output: "value" },
};

/** The generator node types and the output a batch node reads. */
export const GENERATOR_NODE_OUTPUTS: Readonly<Record<string, string>> = {
  image_generator: "images",
  string_generator: "strings",
  integer_generator: "integers",
  float_generator: "floats",
};

/** `batch_group_id` values; "None" means "not zipped with anything". */
export const BATCH_GROUP_IDS = ["None", "Group 1", "Group 2", "Group 3", "Group 4", "Group 5"] as const;

/** Options for {@link expandBatchNodes}. */
export interface ExpandBatchOptions {
  /** Resolves `image_generator_images_from_board`; the server prefetches board contents into it. */
  readonly boardImages?: BoardImagesLookup;
}

/** True when the node type is a batch or generator node (removed from the graph before execution). */
export function isBatchOrGeneratorType(type: string): boolean {
  return type in BATCH_NODE_FIELDS || type in GENERATOR_NODE_OUTPUTS;
}

/** Removes batch and generator nodes from `graph` and returns the batch data they stand for. Pure. */
export function expandBatchNodes(graph: BatchGraph, options: ExpandBatchOptions = {}): ExpandedBatch {
  const nodes = Object.values(graph.nodes);
  const batchNodes = nodes.filter((n) => n.type in BATCH_NODE_FIELDS);
  const removed = new Set(nodes.filter((n) => isBatchOrGeneratorType(n.type)).map((n) => n.id));

  for (const edge of graph.edges) {
    const source = graph.nodes[edge.source.node_id];
    const dest = graph.nodes[edge.destination.node_id];
    if (!source) continue;
    if (source.type in GENERATOR_NODE_OUTPUTS && !(dest && dest.type in BATCH_NODE_FIELDS)) {
      throw new BatchExpansionError(
        `Generator node ${source.id} may only feed a batch node's collection input, not ${edge.destination.node_id}.${edge.destination.field}`,
        { node_id: source.id, field: edge.source.field, destination: edge.destination },
      );
    }
    if (source.type in BATCH_NODE_FIELDS && edge.source.field !== BATCH_NODE_FIELDS[source.type].output) {
      throw new BatchExpansionError(
        `Batch node ${source.id}: only its "${BATCH_NODE_FIELDS[source.type].output}" output varies per session; "${edge.source.field}" cannot be batched`,
        { node_id: source.id, field: edge.source.field },
      );
    }
  }

  const groups = new Map<string, Array<{ id: string; items: BatchDatum["items"] }>>();
  for (const node of batchNodes) {
    const groupId = batchGroupId(node);
    const items = batchItems(node, graph, options);
    if (items.length === 0) {
      throw new BatchExpansionError(`Batch node ${node.id} has no items: every batch node needs at least one`, {
        node_id: node.id,
        field: BATCH_NODE_FIELDS[node.type].collection,
      });
    }
    const list = groups.get(groupId) ?? [];
    list.push({ id: node.id, items });
    groups.set(groupId, list);
  }

  const data: BatchDatum[][] = [];
  for (const [groupId, members] of groups) {
    if (groupId !== "None") {
      const size = members[0].items.length;
      const mismatch = members.find((m) => m.items.length !== size);
      if (mismatch) {
        throw new BatchExpansionError(
          `Batch nodes in "${groupId}" must have the same number of items: ${members
            .map((m) => `${m.id} has ${m.items.length}`)
            .join(", ")}`,
          { batch_group_id: groupId, node_id: mismatch.id, sizes: members.map((m) => m.items.length) },
        );
      }
    }
    const zipped: BatchDatum[] = [];
    for (const member of members) {
      const output = BATCH_NODE_FIELDS[graph.nodes[member.id].type].output;
      const datums = graph.edges
        .filter((e) => e.source.node_id === member.id && e.source.field === output)
        .map((e) => ({ node_path: e.destination.node_id, field_name: e.destination.field, items: [...member.items] }));
      if (groupId === "None") {
        if (datums.length > 0) data.push(datums);
      } else {
        zipped.push(...datums);
      }
    }
    if (groupId !== "None" && zipped.length > 0) data.push(zipped);
  }

  const keptNodes: BatchGraph["nodes"] = {};
  for (const node of nodes) if (!removed.has(node.id)) keptNodes[node.id] = node;
  const keptEdges = graph.edges.filter((e) => !removed.has(e.source.node_id) && !removed.has(e.destination.node_id));
  return { graph: { ...graph, nodes: keptNodes, edges: keptEdges }, data };
}

function batchGroupId(node: BatchGraph["nodes"][string]): string {
  const value = node["batch_group_id"];
  if (value === undefined || value === null) return "None";
  if (typeof value !== "string" || !(BATCH_GROUP_IDS as readonly string[]).includes(value)) {
    throw new BatchExpansionError(
      `Batch node ${node.id}: batch_group_id must be one of ${BATCH_GROUP_IDS.map((g) => `"${g}"`).join(", ")}, got ${JSON.stringify(value)}`,
      { node_id: node.id, field: "batch_group_id", value },
    );
  }
  return value;
}

function batchItems(
  node: BatchGraph["nodes"][string],
  graph: BatchGraph,
  options: ExpandBatchOptions,
): BatchDatum["items"] {
  const { collection } = BATCH_NODE_FIELDS[node.type];
  const incoming = graph.edges.find((e) => e.destination.node_id === node.id && e.destination.field === collection);
  if (!incoming) {
    const own = node[collection] ?? [];
    if (!Array.isArray(own)) {
      throw new BatchExpansionError(`Batch node ${node.id}: "${collection}" must be a list`, {
        node_id: node.id,
        field: collection,
        value: own,
      });
    }
    return own as BatchDatum["items"];
  }
  const generator = graph.nodes[incoming.source.node_id];
  const expectedGenerator = node.type.replace("_batch", "_generator");
  if (!generator || generator.type !== expectedGenerator) {
    throw new BatchExpansionError(
      `Batch node ${node.id}: "${collection}" may only be connected to a ${expectedGenerator} node, not ${incoming.source.node_id}`,
      { node_id: node.id, field: collection, source: incoming.source },
    );
  }
  const value = generator["generator"];
  if (typeof value !== "object" || value === null || typeof (value as { type?: unknown }).type !== "string") {
    throw new BatchExpansionError(`Generator node ${generator.id}: "generator" must be an object with a "type"`, {
      node_id: generator.id,
      field: "generator",
      value,
    });
  }
  const g = value as GeneratorValue;
  const where = { nodeId: generator.id };
  switch (generator.type) {
    case "float_generator":
      return floatGeneratorValues(g, where);
    case "integer_generator":
      return integerGeneratorValues(g, where);
    case "string_generator":
      return stringGeneratorValues(g, where);
    default:
      return imageGeneratorValues(g, where, options.boardImages);
  }
}
