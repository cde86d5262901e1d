import type { Graph } from "./graph.js";
import { findCycle } from "./graph-cycles.js";
import { CyclicalGraphError } from "./graph-errors.js";
import type { Edge, GraphNode } from "./graph-types.js";
import {
  COLLECTION_FIELD,
  COLLECT_TYPE,
  FALSE_INPUT_FIELD,
  IF_TYPE,
  ITERATE_TYPE,
  TRUE_INPUT_FIELD,
} from "./special-nodes.js";

export const KIND_NORMAL = 0;
export const KIND_ITERATE = 1;
export const KIND_COLLECT = 2;
export const KIND_IF = 3;

/** A branch of an `if` node that some nodes exist only to feed. */
export interface BranchGuard<Copy = unknown> {
  readonly ifNode: SourceNode<Copy>;
  readonly field: typeof TRUE_INPUT_FIELD | typeof FALSE_INPUT_FIELD;
}

/**
 * What the scheduler knows about one node of the source graph: static facts computed once, plus the counters
 * that drive materialisation. Internal to ExecutionState.
 */
export interface SourceNode<Copy = unknown> {
  readonly id: string;
  /** `id` with `%` and `#` escaped, so that `${encId}#${path}` execution ids can never collide. */
  readonly encId: string;
  readonly node: GraphNode;
  readonly type: string;
  readonly kind: number;
  /** Position in the topological order. */
  readonly topo: number;
  /** Edges into the node, in graph order. */
  readonly inEdges: readonly Edge[];
  /** Distinct upstream nodes, in order of their first edge. */
  readonly parents: SourceNode<Copy>[];
  /** For each of `inEdges`, the index of its source in `parents`. */
  readonly parentIndexOfEdge: number[];
  /** Distinct downstream nodes. */
  readonly children: SourceNode<Copy>[];
  /** Ranks of the iterators whose scope the node is in, ascending (outer → inner). */
  scope: number[];
  /** Rank among iterate nodes (topological), or -1. */
  iterRank: number;
  /** Index into `SourcePlan.guards` when the node only exists to feed one branch of an `if`, else -1. */
  guard: number;
  // Materialisation state.
  waiting: number;
  prepared: boolean;
  done: boolean;
  copies: Copy[];
  executedCount: number;
  childrenUnprepared: number;
}

/** The static analysis of a source graph. */
export interface SourcePlan<Copy = unknown> {
  /** In topological order. */
  readonly sources: SourceNode<Copy>[];
  readonly byId: Map<string, SourceNode<Copy>>;
  /** Iterate nodes by rank. */
  readonly iterators: SourceNode<Copy>[];
  readonly guards: BranchGuard<Copy>[];
}

const KIND_BY_TYPE: Readonly<Record<string, number>> = {
  [ITERATE_TYPE]: KIND_ITERATE,
  [COLLECT_TYPE]: KIND_COLLECT,
  [IF_TYPE]: KIND_IF,
};

function kindOf(type: string): number {
  return Object.hasOwn(KIND_BY_TYPE, type) ? KIND_BY_TYPE[type] : KIND_NORMAL;
}

/** Escapes the two characters execution ids use as structure. */
export function encodeSourceId(id: string): string {
  return /[%#]/.test(id) ? id.replace(/%/g, "%25").replace(/#/g, "%23") : id;
}

function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  if (a.length === 0) return b as number[];
  if (b.length === 0) return a as number[];
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i] < b[j])) out.push(a[i++]);
    else if (i >= a.length || b[j] < a[i]) out.push(b[j++]);
    else {
      out.push(a[i++]);
      j++;
    }
  }
  return out;
}

/**
 * Builds the plan of a (validated, acyclic) graph in O(nodes + edges · nesting depth):
 * topological order (Kahn, ties in node insertion order), iteration scopes and branch guards.
 *
 * Scope: an iterate node opens a scope that flows along edges; a collect node closes the innermost scopes of its
 * inputs (those iterators that enclose no other iterator of its inputs) and keeps the outer ones.
 * Guard: a node is guarded by branch B of `if` node F when every edge out of it leads into F's B input, directly
 * or through nodes guarded by the same B. Edges into `iterate.collection` never guard (the iterate's size must be
 * known to plan its scope), and a node with several different consumers is not guarded: it runs.
 */
export function buildSourcePlan<Copy>(graph: Graph): SourcePlan<Copy> {
  const byId = new Map<string, SourceNode<Copy>>();
  const ids = graph.nodeIds();
  const position = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) position.set(ids[i], i);
  const indegree = new Array<number>(ids.length);
  const order: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    indegree[i] = graph.inputEdges(ids[i]).length;
    if (indegree[i] === 0) order.push(ids[i]);
  }
  for (let i = 0; i < order.length; i++) {
    for (const e of graph.outputEdges(order[i])) {
      const d = position.get(e.destination.node_id)!;
      if (--indegree[d] === 0) order.push(ids[d]);
    }
  }
  if (order.length !== ids.length) throw new CyclicalGraphError(findCycle(graph) ?? []);

  const sources: SourceNode<Copy>[] = [];
  const iterators: SourceNode<Copy>[] = [];
  order.forEach((id, topo) => {
    const node = graph.findNode(id)!;
    const inEdges = graph.inputEdges(id);
    const parents: SourceNode<Copy>[] = [];
    const parentIndexOfEdge: number[] = [];
    for (const e of inEdges) {
      const p = byId.get(e.source.node_id)!;
      let idx = parents.indexOf(p);
      if (idx < 0) {
        idx = parents.length;
        parents.push(p);
      }
      parentIndexOfEdge.push(idx);
    }
    const kind = kindOf(node.type);
    const src: SourceNode<Copy> = {
      id,
      encId: encodeSourceId(id),
      node,
      type: node.type,
      kind,
      topo,
      inEdges,
      parents,
      parentIndexOfEdge,
      children: [],
      scope: [],
      iterRank: kind === KIND_ITERATE ? iterators.length : -1,
      guard: -1,
      waiting: parents.length,
      prepared: false,
      done: false,
      copies: [],
      executedCount: 0,
      childrenUnprepared: 0,
    };
    for (const p of parents) {
      p.children.push(src);
      p.childrenUnprepared++;
    }
    if (kind === KIND_ITERATE) {
      iterators.push(src);
      // An iterate also waits for its collection to be computed, not just planned.
      src.waiting += 1;
    }
    let scope: number[] = [];
    for (const p of parents) scope = mergeSorted(scope, p.scope);
    if (kind === KIND_ITERATE) scope = [...scope, src.iterRank];
    else if (kind === KIND_COLLECT && scope.length > 0) {
      const inner = scope.filter((j) => !scope.some((k) => k !== j && iterators[k].scope.includes(j)));
      scope = scope.filter((j) => !inner.includes(j));
    }
    src.scope = scope;
    byId.set(id, src);
    sources.push(src);
  });

  const guards: BranchGuard<Copy>[] = [];
  const guardIndex = new Map<string, number>();
  const guardOf = (ifNode: SourceNode<Copy>, field: BranchGuard["field"]): number => {
    const key = `${ifNode.topo}:${field}`;
    let g = guardIndex.get(key);
    if (g === undefined) {
      g = guards.length;
      guards.push({ ifNode, field });
      guardIndex.set(key, g);
    }
    return g;
  };
  for (let i = sources.length - 1; i >= 0; i--) {
    const src = sources[i];
    const outs = graph.outputEdges(src.id);
    if (outs.length === 0) continue;
    let guard: number | undefined;
    for (const e of outs) {
      const to = byId.get(e.destination.node_id)!;
      const f = e.destination.field;
      let g: number;
      if (to.kind === KIND_IF && (f === TRUE_INPUT_FIELD || f === FALSE_INPUT_FIELD)) g = guardOf(to, f);
      else if (to.kind === KIND_ITERATE && f === COLLECTION_FIELD) g = -1;
      else g = to.guard; // also for `if.condition`: needed exactly when the `if` is
      if (g < 0 || (guard !== undefined && guard !== g)) {
        guard = -1;
        break;
      }
      guard = g;
    }
    src.guard = guard ?? -1;
  }
  return { sources, byId, iterators, guards };
}
