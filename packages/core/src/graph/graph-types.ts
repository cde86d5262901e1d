/** One end of an edge: a node id and one of its fields (an output field at the source, an input at the destination). */
export interface EdgeConnection {
  readonly node_id: string;
  readonly field: string;
}

/** A connection from one node's output field to another node's input field. */
export interface Edge {
  readonly source: EdgeConnection;
  readonly destination: EdgeConnection;
}

/** A node in a graph: InvokeAI's node JSON, i.e. `id`, `type` and the literal values of its fields. */
export interface GraphNode {
  readonly id: string;
  readonly type: string;
  readonly [field: string]: unknown;
}

/** InvokeAI's JSON form of a graph. */
export interface GraphJSON {
  id: string;
  nodes: Record<string, GraphNode>;
  edges: Edge[];
}

/** Human-readable form of an edge used in every message about it: `a.value -> b.prompt`. */
export function formatEdge(edge: Edge): string {
  return `${edge.source.node_id}.${edge.source.field} -> ${edge.destination.node_id}.${edge.destination.field}`;
}

/** A key that identifies an edge exactly (ids and fields may contain any character, so join with NUL). */
export function edgeKey(edge: Edge): string {
  return `${edge.source.node_id}\u0000${edge.source.field}\u0000${edge.destination.node_id}\u0000${edge.destination.field}`;
}
