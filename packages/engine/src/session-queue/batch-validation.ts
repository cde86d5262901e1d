import { randomUUID } from "node:crypto";
import {
  AtelierError,
  formatEdge,
  graphErrors,
  parseGraph,
  type Graph,
  type GraphJSON,
  type NodeTypeLookup,
} from "@atelier/core";
import {
  BatchDuplicateNodeFieldError,
  BatchFieldConnectedError,
  BatchFieldNotFoundError,
  BatchFieldValueError,
  BatchItemsTypeError,
  BatchNodeNotFoundError,
  BatchShapeError,
  BatchZippedLengthError,
  InvalidBatchError,
} from "./queue-errors.js";
import type { BatchDatum } from "./queue-types.js";

/** A batch that passed every check, with defaults filled in. */
export interface ValidatedBatch {
  batch_id: string;
  origin: string | null;
  destination: string | null;
  runs: number;
  /** Null when the batch has no data. */
  data: BatchDatum[][] | null;
  graph: Graph;
  graphJson: GraphJSON;
  workflow: Record<string, unknown> | null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Python's view of a batch item's type: ints and floats are one kind here, as InvokeAI lets them mix. */
function itemKind(v: unknown): string {
  if (v === null) return "None";
  if (Array.isArray(v)) return "list";
  switch (typeof v) {
    case "number":
      return "number";
    case "string":
      return "str";
    case "boolean":
      return "bool";
    case "object":
      return "object";
    default:
      return typeof v;
  }
}

function optionalText(raw: Record<string, unknown>, key: string, problems: AtelierError[]): string | null {
  const v = raw[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") {
    problems.push(new BatchShapeError({ path: key }, "must be a string or null", v));
    return null;
  }
  return v;
}

/**
 * Checks a whole batch (InvokeAI's `Batch` validators and more): the graph is valid against the node types; `runs`
 * is an integer ≥ 1; every datum names an existing node and one of its inputs that no edge feeds, once; the datums
 * zipped together have as many items; the items of a datum are of one type and each is a valid value of its field.
 * Throws the one problem found, or `InvalidBatchError` listing them all.
 */
export function validateBatch(raw: unknown, lookup: NodeTypeLookup): ValidatedBatch {
  if (!isObject(raw)) throw new BatchShapeError({ path: "batch" }, "must be an object", raw);
  const problems: AtelierError[] = [];

  let batchId: string = randomUUID();
  if (raw.batch_id !== undefined && raw.batch_id !== null) {
    if (typeof raw.batch_id === "string" && raw.batch_id !== "") batchId = raw.batch_id;
    else problems.push(new BatchShapeError({ path: "batch_id" }, "must be a non-empty string", raw.batch_id));
  }
  const origin = optionalText(raw, "origin", problems);
  const destination = optionalText(raw, "destination", problems);

  let runs = 1;
  if (raw.runs !== undefined && raw.runs !== null) {
    if (typeof raw.runs === "number" && Number.isInteger(raw.runs) && raw.runs >= 1) runs = raw.runs;
    else problems.push(new BatchShapeError({ path: "runs" }, "must be an integer ≥ 1", raw.runs));
  }

  let workflow: Record<string, unknown> | null = null;
  if (raw.workflow !== undefined && raw.workflow !== null) {
    if (isObject(raw.workflow)) workflow = raw.workflow;
    else problems.push(new BatchShapeError({ path: "workflow" }, "must be a workflow object or null", raw.workflow));
  }

  let graph: Graph | undefined;
  try {
    graph = parseGraph(raw.graph);
    problems.push(...graphErrors(graph, lookup));
  } catch (error) {
    if (!(error instanceof AtelierError)) throw error;
    problems.push(error);
  }

  const data = checkData(raw.data, graph, lookup, problems);

  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new InvalidBatchError(problems);
  return { batch_id: batchId, origin, destination, runs, data, graph: graph!, graphJson: graph!.toJSON(), workflow };
}

function checkData(
  rawData: unknown,
  graph: Graph | undefined,
  lookup: NodeTypeLookup,
  problems: AtelierError[],
): BatchDatum[][] | null {
  if (rawData === undefined || rawData === null) return null;
  if (!Array.isArray(rawData)) {
    problems.push(new BatchShapeError({ path: "data" }, "must be a list of lists of batch datums", rawData));
    return null;
  }
  const data: BatchDatum[][] = [];
  const seen = new Map<string, string>();
  rawData.forEach((group: unknown, g: number) => {
    if (!Array.isArray(group)) {
      problems.push(
        new BatchShapeError({ path: `data[${g}]` }, "must be a list of batch datums (zipped together)", group),
      );
      return;
    }
    const datums: BatchDatum[] = [];
    group.forEach((d: unknown, i: number) => {
      const path = `data[${g}][${i}]`;
      const datum = checkDatum(d, path, graph, lookup, problems);
      if (datum === undefined) return;
      const key = `${datum.node_path}\u0000${datum.field_name}`;
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push(
          new BatchDuplicateNodeFieldError({ path, node_path: datum.node_path, field_name: datum.field_name }, first),
        );
      } else {
        seen.set(key, path);
      }
      datums.push(datum);
    });
    const lengths = datums.map((d, i) => ({
      path: `data[${g}][${i}]`,
      node_path: d.node_path,
      field_name: d.field_name,
      length: d.items.length,
    }));
    if (lengths.some((l) => l.length !== lengths[0].length)) problems.push(new BatchZippedLengthError(g, lengths));
    data.push(datums);
  });
  return data;
}

function checkDatum(
  d: unknown,
  path: string,
  graph: Graph | undefined,
  lookup: NodeTypeLookup,
  problems: AtelierError[],
): BatchDatum | undefined {
  if (!isObject(d)) {
    problems.push(new BatchShapeError({ path }, "must be an object {node_path, field_name, items}", d));
    return undefined;
  }
  const { node_path: nodePath, field_name: fieldName, items } = d;
  let ok = true;
  if (typeof nodePath !== "string" || nodePath === "") {
    problems.push(new BatchShapeError({ path: `${path}.node_path` }, "must be a non-empty string", nodePath));
    ok = false;
  }
  if (typeof fieldName !== "string" || fieldName === "") {
    problems.push(new BatchShapeError({ path: `${path}.field_name` }, "must be a non-empty string", fieldName));
    ok = false;
  }
  if (!Array.isArray(items)) {
    problems.push(new BatchShapeError({ path: `${path}.items` }, "must be a list", items));
    ok = false;
  }
  if (!ok) return undefined;
  const loc = { path, node_path: nodePath as string, field_name: fieldName as string };
  const list = items as unknown[];

  const kinds: string[] = [];
  let firstBad = -1;
  for (let i = 0; i < list.length; i++) {
    const k = itemKind(list[i]);
    if (!kinds.includes(k)) {
      kinds.push(k);
      if (kinds.length === 2) firstBad = i;
    }
  }
  if (kinds.length > 1) problems.push(new BatchItemsTypeError(loc, kinds, firstBad));

  const node = graph?.findNode(loc.node_path);
  if (graph !== undefined && node === undefined) {
    problems.push(new BatchNodeNotFoundError(loc));
  } else if (node !== undefined) {
    const info = lookup.get(node.type);
    // An unknown node type is already reported by graph validation.
    if (info !== undefined) {
      const input = Object.hasOwn(info.inputs, loc.field_name) ? info.inputs[loc.field_name] : undefined;
      if (input === undefined || loc.field_name === "id" || loc.field_name === "type") {
        problems.push(new BatchFieldNotFoundError(loc, node.type));
      } else {
        const edges = graph!.inputEdges(loc.node_path, loc.field_name);
        if (edges.length > 0) problems.push(new BatchFieldConnectedError(loc, formatEdge(edges[0])));
        else if (kinds.length <= 1) checkValues(info.validateValues, node.type, loc, list, problems);
      }
    }
  }
  return { node_path: loc.node_path, field_name: loc.field_name, items: list };
}

function checkValues(
  validate: (node: Readonly<Record<string, unknown>>) => { field: string; message: string }[],
  type: string,
  loc: { path: string; node_path: string; field_name: string },
  items: readonly unknown[],
  problems: AtelierError[],
): void {
  // Items repeat (seeds, prompts): check each distinct primitive once.
  const checked = new Set<unknown>();
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    const primitive = v === null || typeof v !== "object";
    if (primitive && checked.has(v)) continue;
    const issue = validate({ type, [loc.field_name]: v }).find((x) => x.field === loc.field_name);
    if (issue !== undefined) {
      problems.push(new BatchFieldValueError(loc, i, issue.message, v));
      return;
    }
    if (primitive) checked.add(v);
  }
}

/** The number of sessions a batch makes: runs × the product of each zipped group's length (InvokeAI's `calc_session_count`). */
export function sessionCount(batch: Pick<ValidatedBatch, "runs" | "data">): number {
  let n = batch.runs;
  for (const group of batch.data ?? []) if (group.length > 0) n *= group[0].items.length;
  return n;
}
