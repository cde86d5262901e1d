import { randomUUID } from "node:crypto";
import { Graph } from "./graph.js";
import { GraphParseError, type GraphParseIssue } from "./graph-errors.js";
import { edgeKey, formatEdge, type Edge, type GraphNode } from "./graph-types.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "string" ? `string ${JSON.stringify(v)}` : typeof v;
}

function keyPath(base: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

function parseConnection(
  v: unknown,
  path: string,
  issues: GraphParseIssue[],
): { node_id: string; field: string } | undefined {
  if (!isObject(v)) {
    issues.push({ path, message: `expected an object {node_id, field}, got ${describe(v)}` });
    return undefined;
  }
  let ok = true;
  for (const k of ["node_id", "field"] as const) {
    if (typeof v[k] !== "string" || v[k] === "") {
      issues.push({ path: `${path}.${k}`, message: `expected a non-empty string, got ${describe(v[k])}` });
      ok = false;
    }
  }
  return ok ? { node_id: v.node_id as string, field: v.field as string } : undefined;
}

/**
 * Parses graph JSON (`{id, nodes: {id: node}, edges: [...]}`) into a `Graph`, checking its structure only; every
 * problem is reported at once in a `GraphParseError` whose issues carry JSON paths. A missing `id` gets a uuid, a
 * missing `nodes`/`edges` means none. Node keys are kept as given (key ≠ id is for `graphErrors` to report), and so
 * are several edges into one input; an exact duplicate edge is refused here.
 */
export function parseGraph(json: unknown): Graph {
  const issues: GraphParseIssue[] = [];
  if (!isObject(json)) throw new GraphParseError([{ path: "$", message: `expected an object, got ${describe(json)}` }]);

  let id: string = randomUUID();
  if (json.id !== undefined && json.id !== null) {
    if (typeof json.id === "string" && json.id !== "") id = json.id;
    else issues.push({ path: "id", message: `expected a non-empty string, got ${describe(json.id)}` });
  }

  const nodes: [string, GraphNode][] = [];
  if (json.nodes !== undefined && json.nodes !== null) {
    if (!isObject(json.nodes)) {
      issues.push({ path: "nodes", message: `expected an object of nodes keyed by id, got ${describe(json.nodes)}` });
    } else {
      for (const [key, node] of Object.entries(json.nodes)) {
        const path = keyPath("nodes", key);
        if (!isObject(node)) {
          issues.push({ path, message: `expected a node object, got ${describe(node)}` });
          continue;
        }
        let ok = true;
        for (const k of ["id", "type"] as const) {
          if (typeof node[k] !== "string" || node[k] === "") {
            issues.push({ path: `${path}.${k}`, message: `expected a non-empty string, got ${describe(node[k])}` });
            ok = false;
          }
        }
        if (ok) nodes.push([key, { ...node } as GraphNode]);
      }
    }
  }

  const edges: Edge[] = [];
  if (json.edges !== undefined && json.edges !== null) {
    if (!Array.isArray(json.edges)) {
      issues.push({ path: "edges", message: `expected an array of edges, got ${describe(json.edges)}` });
    } else {
      const seen = new Map<string, number>();
      json.edges.forEach((e: unknown, i: number) => {
        const path = `edges[${i}]`;
        if (!isObject(e)) {
          issues.push({ path, message: `expected an edge object {source, destination}, got ${describe(e)}` });
          return;
        }
        const source = parseConnection(e.source, `${path}.source`, issues);
        const destination = parseConnection(e.destination, `${path}.destination`, issues);
        if (!source || !destination) return;
        const edge: Edge = { source, destination };
        const key = edgeKey(edge);
        const first = seen.get(key);
        if (first !== undefined) {
          issues.push({ path, message: `duplicate of edges[${first}] (${formatEdge(edge)})` });
          return;
        }
        seen.set(key, i);
        edges.push(edge);
      });
    }
  }

  if (issues.length > 0) throw new GraphParseError(issues);
  return Graph.fromParts(id, nodes, edges);
}
