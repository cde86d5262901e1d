import type { NodeTypeLookup } from "@atelier/core";
import { applyRunInputs } from "./run-inputs.js";
import { InvalidWorkflowError } from "./workflow-errors.js";
import { parseWorkflow } from "./workflow-document.js";
import { workflowToGraph, type GraphJSON, type ResolvedExposedField } from "./workflow-to-graph.js";
import type { WorkflowWithoutID } from "./workflow-types.js";

/** What a headless run starts from: a graph, and the workflow it came from when it came from one. */
export interface RunDocument {
  graph: GraphJSON;
  /** Embedded into output PNGs (`invokeai_workflow`) like the UI does. */
  workflow: WorkflowWithoutID | null;
  exposedFields: ResolvedExposedField[];
}

/** One group of batch data (InvokeAI's `BatchDatum`). */
export interface RunBatchDatum {
  node_path: string;
  field_name: string;
  items: unknown[];
}

/** Turns batch and generator nodes into batch data (the nodes package's `expandBatchNodes`). */
export type BatchNodeExpander = (graph: GraphJSON) => { graph: GraphJSON; data: RunBatchDatum[][] };

/** A batch ready for `enqueue_batch`. */
export interface HeadlessBatch {
  graph: GraphJSON;
  data: RunBatchDatum[][] | null;
  workflow: WorkflowWithoutID | null;
  origin: string;
  destination: string | null;
  runs: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkGraphShape(value: Record<string, unknown>, path: string): GraphJSON {
  if (!isRecord(value.nodes))
    throw new InvalidWorkflowError(`${path}.nodes`, "must be an object of nodes keyed by id", value.nodes);
  if (value.edges !== undefined && !Array.isArray(value.edges)) {
    throw new InvalidWorkflowError(`${path}.edges`, "must be a list of edges", value.edges);
  }
  return {
    id: typeof value.id === "string" && value.id !== "" ? value.id : crypto.randomUUID(),
    nodes: value.nodes as GraphJSON["nodes"],
    edges: (value.edges ?? []) as GraphJSON["edges"],
  };
}

/**
 * Reads a graph file or a workflow file: a workflow has a `nodes` list (InvokeAI's UI format) and is converted to
 * its graph; a graph has a `nodes` object. `{"graph": …}` and `{"batch": {"graph": …}}` wrappers are accepted too.
 */
export function parseRunDocument(json: unknown): RunDocument {
  if (!isRecord(json)) throw new InvalidWorkflowError("", "a graph or workflow must be a JSON object", json);
  if (Array.isArray(json.nodes)) {
    const workflow = parseWorkflow(json);
    const converted = workflowToGraph(workflow);
    return { graph: converted.graph, workflow, exposedFields: converted.exposedFields };
  }
  if (isRecord(json.nodes)) return { graph: checkGraphShape(json, "graph"), workflow: null, exposedFields: [] };
  if (isRecord(json.graph)) return { graph: checkGraphShape(json.graph, "graph"), workflow: null, exposedFields: [] };
  if (isRecord(json.batch) && isRecord(json.batch.graph)) {
    return { graph: checkGraphShape(json.batch.graph, "batch.graph"), workflow: null, exposedFields: [] };
  }
  throw new InvalidWorkflowError("nodes", "is neither a workflow's node list nor a graph's node object", json.nodes);
}

/**
 * Builds the batch a headless run enqueues: named inputs written into the graph, then batch/generator nodes turned
 * into batch data the way InvokeAI's UI does before it enqueues (so one run may make several queue items).
 */
export function prepareHeadlessBatch(
  document: RunDocument,
  inputs: Readonly<Record<string, unknown>>,
  options: {
    lookup?: NodeTypeLookup;
    expandBatchNodes?: BatchNodeExpander;
    origin?: string;
    destination?: string | null;
  } = {},
): HeadlessBatch {
  const withInputs = applyRunInputs(document.graph, inputs, options.lookup);
  const expanded = options.expandBatchNodes ? options.expandBatchNodes(withInputs) : { graph: withInputs, data: [] };
  return {
    graph: expanded.graph,
    data: expanded.data.length > 0 ? expanded.data : null,
    workflow: document.workflow,
    origin: options.origin ?? "headless",
    destination: options.destination ?? null,
    runs: 1,
  };
}

/** An image a run produced. */
export interface RunImage {
  image_name: string;
  /** The source node that output it. */
  node_id: string;
}

/** The outputs of a finished session, by source node id. */
export interface RunOutputs {
  /** Source node id → its output; a list of outputs (in iteration order) for nodes that ran once per iteration. */
  outputs: Record<string, unknown>;
  /** Every image named in an output, in execution order, without repeats. */
  images: RunImage[];
  /** The first error of the session, naming the source node. */
  error: { node_id: string; error_type: string; error_message: string } | null;
}

/** The parts of a stored session (`ExecutionStateJSON`) that outputs are read from. */
export interface StoredSessionView {
  results?: Record<string, unknown>;
  errors?: Record<string, { node_id: string; error_type: string; error_message: string }>;
  executed_history?: string[];
  source_prepared_mapping?: Record<string, string[]>;
}

function collectImageNames(value: unknown, into: string[], depth = 0): void {
  if (depth > 4 || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (const item of value) collectImageNames(item, into, depth + 1);
    return;
  }
  const record = value as Record<string, unknown>;
  if (typeof record.image_name === "string") {
    into.push(record.image_name);
    return;
  }
  for (const field of Object.values(record)) collectImageNames(field, into, depth + 1);
}

/** Reads the outputs of a session by source node id, the images they name, and its first error. */
export function collectRunOutputs(session: StoredSessionView): RunOutputs {
  const results = session.results ?? {};
  const mapping = session.source_prepared_mapping ?? {};
  const outputs: Record<string, unknown> = {};
  for (const [sourceId, execIds] of Object.entries(mapping)) {
    const done = execIds.filter((id) => id in results);
    // Execution ids of iterated copies carry their iteration path after '#'; those nodes report a list.
    const iterated = execIds.some((id) => id !== sourceId);
    if (iterated) outputs[sourceId] = done.map((id) => results[id]);
    else if (done.length === 1) outputs[sourceId] = results[done[0]];
  }
  const sourceOf = new Map<string, string>();
  for (const [sourceId, execIds] of Object.entries(mapping)) for (const id of execIds) sourceOf.set(id, sourceId);
  const order = session.executed_history ?? Object.keys(results);
  const seen = new Set<string>();
  const images: RunImage[] = [];
  for (const execId of order) {
    const names: string[] = [];
    collectImageNames(results[execId], names);
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      images.push({ image_name: name, node_id: sourceOf.get(execId) ?? execId });
    }
  }
  const firstError = Object.values(session.errors ?? {})[0];
  return {
    outputs,
    images,
    error:
      firstError === undefined
        ? null
        : { node_id: firstError.node_id, error_type: firstError.error_type, error_message: firstError.error_message },
  };
}
