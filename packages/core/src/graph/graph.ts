import { randomUUID } from "node:crypto";
import {
  CyclicalGraphError,
  InvalidEdgeError,
  InvalidNodeUpdateError,
  NodeAlreadyInGraphError,
  NodeNotFoundError,
} from "./graph-errors.js";
import { edgeKey, formatEdge, type Edge, type GraphJSON, type GraphNode } from "./graph-types.js";
import { COLLECT_TYPE, ITEM_FIELD } from "./special-nodes.js";

const EMPTY: readonly Edge[] = Object.freeze([]);

/**
 * A graph of nodes and edges in InvokeAI's shape. Nodes are kept in insertion order under their key (which
 * validation requires to equal `node.id`); edges in insertion order, with per-node input and output indexes so
 * that "edges into / out of node X" costs O(degree).
 *
 * The mutators check what can be checked without node types (ids exist, duplicates, one edge per input except
 * `collect.item`, no cycle); type compatibility and iterate/collect rules are `graphErrors`'s job.
 */
export class Graph {
  readonly id: string;
  private readonly nodeMap = new Map<string, GraphNode>();
  private readonly edgeList: Edge[] = [];
  /** Edge by exact key; built on the first edit that needs it, so reading and cloning never pay for it. */
  private keyIndex: Map<string, Edge> | undefined;
  private readonly inIndex = new Map<string, Edge[]>();
  private readonly outIndex = new Map<string, Edge[]>();

  constructor(id: string = randomUUID()) {
    this.id = id;
  }

  /**
   * Builds a graph from already-parsed parts without any check; the edges must be distinct and are shared, not
   * copied (edges are immutable). Use `parseGraph` for untrusted JSON.
   */
  static fromParts(id: string, nodes: Iterable<readonly [string, GraphNode]>, edges: Iterable<Edge>): Graph {
    const g = new Graph(id);
    for (const [key, node] of nodes) g.nodeMap.set(key, node);
    for (const e of edges) g.insertEdge(e);
    return g;
  }

  /** Number of nodes. */
  get nodeCount(): number {
    return this.nodeMap.size;
  }

  /** Number of edges. */
  get edgeCount(): number {
    return this.edgeList.length;
  }

  /** All edges in insertion order (a live read-only view). */
  get edges(): readonly Edge[] {
    return this.edgeList;
  }

  /** Whether a node is stored under this id. */
  hasNode(id: string): boolean {
    return this.nodeMap.has(id);
  }

  /** The node stored under `id`; throws `NodeNotFoundError` when there is none. */
  getNode(id: string): GraphNode {
    const node = this.nodeMap.get(id);
    if (!node) throw new NodeNotFoundError(id);
    return node;
  }

  /** The node stored under `id`, or undefined. */
  findNode(id: string): GraphNode | undefined {
    return this.nodeMap.get(id);
  }

  /** Node keys in insertion order. */
  nodeIds(): string[] {
    return [...this.nodeMap.keys()];
  }

  /** `[key, node]` pairs in insertion order. */
  nodeEntries(): IterableIterator<[string, GraphNode]> {
    return this.nodeMap.entries();
  }

  /** Edges into a node (optionally only into one field), in insertion order. */
  inputEdges(nodeId: string, field?: string): readonly Edge[] {
    const list = this.inIndex.get(nodeId) ?? EMPTY;
    return field === undefined ? list : list.filter((e) => e.destination.field === field);
  }

  /** Edges out of a node (optionally only out of one field), in insertion order. */
  outputEdges(nodeId: string, field?: string): readonly Edge[] {
    const list = this.outIndex.get(nodeId) ?? EMPTY;
    return field === undefined ? list : list.filter((e) => e.source.field === field);
  }

  /** Whether exactly this edge exists. */
  hasEdge(edge: Edge): boolean {
    return this.edgesByKey().has(edgeKey(edge));
  }

  /** Adds a node under its own id; throws `NodeAlreadyInGraphError` when the id is taken. */
  addNode(node: GraphNode): void {
    if (this.nodeMap.has(node.id)) throw new NodeAlreadyInGraphError(node.id);
    this.nodeMap.set(node.id, node);
  }

  /** Deletes a node and every edge touching it; throws `NodeNotFoundError` when it is not there. */
  deleteNode(id: string): void {
    if (!this.nodeMap.has(id)) throw new NodeNotFoundError(id);
    for (const e of [...(this.inIndex.get(id) ?? EMPTY), ...(this.outIndex.get(id) ?? EMPTY)]) this.removeEdge(e);
    this.nodeMap.delete(id);
    this.inIndex.delete(id);
    this.outIndex.delete(id);
  }

  /**
   * Replaces the node stored under `id` by `node` (same type required). When `node.id` differs, the node moves
   * to the new id in place (order kept) and every edge touching it is rewired.
   */
  updateNode(id: string, node: GraphNode): void {
    const old = this.getNode(id);
    if (old.type !== node.type) {
      throw new InvalidNodeUpdateError(
        `Node "${id}" cannot change type from "${old.type}" to "${node.type}"; delete it and add a new node`,
        { node_id: id, type: old.type, new_type: node.type },
      );
    }
    if (node.id === id) {
      this.nodeMap.set(id, node);
      return;
    }
    if (this.nodeMap.has(node.id)) {
      throw new InvalidNodeUpdateError(`Node "${id}" cannot be renamed to "${node.id}": that id is taken`, {
        node_id: id,
        new_id: node.id,
      });
    }
    const entries = [...this.nodeMap.entries()];
    this.nodeMap.clear();
    for (const [k, n] of entries) {
      if (k === id) this.nodeMap.set(node.id, node);
      else this.nodeMap.set(k, n);
    }
    const rename = (nodeId: string): string => (nodeId === id ? node.id : nodeId);
    const edges = this.edgeList.splice(0);
    this.keyIndex = undefined;
    this.inIndex.clear();
    this.outIndex.clear();
    for (const e of edges) {
      this.insertEdge({
        source: { node_id: rename(e.source.node_id), field: e.source.field },
        destination: { node_id: rename(e.destination.node_id), field: e.destination.field },
      });
    }
  }

  /**
   * Adds an edge after the checks that need no node types: both nodes exist, no duplicate, the destination input
   * has no edge yet (except `collect.item`), and no cycle appears.
   */
  addEdge(edge: Edge): void {
    const src = edge.source.node_id;
    const dst = edge.destination.node_id;
    if (!this.nodeMap.has(src)) throw new NodeNotFoundError(src, edge);
    const dstNode = this.nodeMap.get(dst);
    if (!dstNode) throw new NodeNotFoundError(dst, edge);
    if (this.hasEdge(edge)) {
      throw new InvalidEdgeError(`Edge ${formatEdge(edge)} is already in the graph`, { edge: formatEdge(edge) });
    }
    const manyAllowed = dstNode.type === COLLECT_TYPE && edge.destination.field === ITEM_FIELD;
    if (!manyAllowed) {
      const taken = this.inputEdges(dst, edge.destination.field);
      if (taken.length > 0) {
        throw new InvalidEdgeError(
          `Edge ${formatEdge(edge)}: input ${dst}.${edge.destination.field} already has an edge (${formatEdge(taken[0])})`,
          { edge: formatEdge(edge), node_id: dst, field: edge.destination.field },
        );
      }
    }
    const path = this.pathBetween(dst, src);
    if (path) throw new CyclicalGraphError([src, ...path]);
    this.insertEdge(edge);
  }

  /** Removes an edge; throws `InvalidEdgeError` when it is not there. */
  deleteEdge(edge: Edge): void {
    const stored = this.edgesByKey().get(edgeKey(edge));
    if (!stored) throw new InvalidEdgeError(`Edge ${formatEdge(edge)} is not in the graph`, { edge: formatEdge(edge) });
    this.removeEdge(stored);
  }

  /** InvokeAI's JSON form (shallow copies of the node objects). */
  toJSON(): GraphJSON {
    const nodes: Record<string, GraphNode> = {};
    for (const [k, n] of this.nodeMap) nodes[k] = { ...n };
    return {
      id: this.id,
      nodes,
      edges: this.edges.map((e) => ({
        source: { node_id: e.source.node_id, field: e.source.field },
        destination: { node_id: e.destination.node_id, field: e.destination.field },
      })),
    };
  }

  /** An independent copy (node objects copied shallowly). */
  clone(): Graph {
    return Graph.fromParts(
      this.id,
      [...this.nodeMap].map(([k, n]) => [k, { ...n }] as const),
      this.edges,
    );
  }

  private edgesByKey(): Map<string, Edge> {
    if (!this.keyIndex) {
      this.keyIndex = new Map();
      for (const e of this.edgeList) this.keyIndex.set(edgeKey(e), e);
    }
    return this.keyIndex;
  }

  private insertEdge(edge: Edge): void {
    this.edgeList.push(edge);
    this.keyIndex?.set(edgeKey(edge), edge);
    const ins = this.inIndex.get(edge.destination.node_id);
    if (ins) ins.push(edge);
    else this.inIndex.set(edge.destination.node_id, [edge]);
    const outs = this.outIndex.get(edge.source.node_id);
    if (outs) outs.push(edge);
    else this.outIndex.set(edge.source.node_id, [edge]);
  }

  /** Removes a stored edge object (O(edges) for the ordered list; edits are rare). */
  private removeEdge(edge: Edge): void {
    const i = this.edgeList.indexOf(edge);
    if (i < 0) return;
    this.edgeList.splice(i, 1);
    this.keyIndex?.delete(edgeKey(edge));
    for (const [index, nodeId] of [
      [this.inIndex, edge.destination.node_id],
      [this.outIndex, edge.source.node_id],
    ] as const) {
      const list = index.get(nodeId);
      const j = list ? list.indexOf(edge) : -1;
      if (j >= 0) list!.splice(j, 1);
    }
  }

  /** Node ids of a path `from -> ... -> to` following edges, or undefined (BFS, O(V + E)). */
  private pathBetween(from: string, to: string): string[] | undefined {
    const parent = new Map<string, string>([[from, from]]);
    const queue = [from];
    for (let i = 0; i < queue.length; i++) {
      const cur = queue[i];
      if (cur === to) {
        const path = [cur];
        let p = cur;
        while (p !== from) {
          p = parent.get(p)!;
          path.push(p);
        }
        return path.reverse();
      }
      for (const e of this.outIndex.get(cur) ?? EMPTY) {
        const next = e.destination.node_id;
        if (!parent.has(next)) {
          parent.set(next, cur);
          queue.push(next);
        }
      }
    }
    return undefined;
  }
}
