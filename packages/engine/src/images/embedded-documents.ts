import { parseWorkflow } from "../workflows/workflow-document.js";

/** Why an embedded document was dropped, for the warning logged about it. */
export interface DroppedDocument {
  readonly chunk: string;
  readonly reason: string;
}

/** The three documents an uploaded PNG may carry, each kept as its original text when valid. */
export interface EmbeddedDocuments {
  readonly metadata: string | null;
  readonly workflow: string | null;
  readonly graph: string | null;
  readonly dropped: DroppedDocument[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, reason: `not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** Checks the shape of InvokeAI's graph JSON: `nodes` an object of `{id, type}` nodes, `edges` a list of connections. */
function graphProblem(value: unknown): string | null {
  if (!isRecord(value)) return "must be a JSON object";
  if (value.nodes !== undefined && !isRecord(value.nodes)) return "nodes must be an object keyed by node id";
  for (const [key, node] of Object.entries((value.nodes ?? {}) as Record<string, unknown>)) {
    if (!isRecord(node) || typeof node.id !== "string" || typeof node.type !== "string") {
      return `node ${JSON.stringify(key)} must be an object with string id and type`;
    }
  }
  if (value.edges !== undefined && !Array.isArray(value.edges)) return "edges must be a list";
  for (const [i, edge] of ((value.edges ?? []) as unknown[]).entries()) {
    const ends = isRecord(edge) ? [edge.source, edge.destination] : [];
    if (
      ends.length !== 2 ||
      !ends.every((end) => isRecord(end) && typeof end.node_id === "string" && typeof end.field === "string")
    ) {
      return `edge ${i} must have source and destination {node_id, field}`;
    }
  }
  return null;
}

/**
 * Validates the `invokeai_metadata`, `invokeai_workflow` and `invokeai_graph` texts of an upload the way InvokeAI
 * does: metadata must be a JSON object, the workflow must parse as a workflow, the graph as a graph. Invalid ones
 * are dropped (and listed in `dropped`); the image itself is still accepted.
 */
export function validateEmbeddedDocuments(texts: {
  metadata?: string | null;
  workflow?: string | null;
  graph?: string | null;
}): EmbeddedDocuments {
  const dropped: DroppedDocument[] = [];
  const check = (
    chunk: string,
    text: string | null | undefined,
    problem: (value: unknown) => string | null,
  ): string | null => {
    if (text === undefined || text === null) return null;
    const parsed = parseJson(text);
    const reason = parsed.ok ? problem(parsed.value) : parsed.reason;
    if (reason === null) return text;
    dropped.push({ chunk, reason });
    return null;
  };
  const metadata = check("invokeai_metadata", texts.metadata, (v) => (isRecord(v) ? null : "must be a JSON object"));
  const workflow = check("invokeai_workflow", texts.workflow, (v) => {
    try {
      parseWorkflow(v);
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  });
  const graph = check("invokeai_graph", texts.graph, graphProblem);
  return { metadata, workflow, graph, dropped };
}
