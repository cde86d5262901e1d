import { randomUUID } from "node:crypto";
import { AtelierError } from "../errors.js";
import type { NodeTypeLookup } from "../node-type-info.js";
import { joinContexts } from "./context-join.js";
import {
  ExecutionStateError,
  ExecutionStateRestoreError,
  NodeAlreadyExecutedError,
  UnknownExecutionNodeError,
} from "./execution-errors.js";
import type { Graph } from "./graph.js";
import { IterateCollectError } from "./graph-errors.js";
import type { GraphJSON, GraphNode } from "./graph-types.js";
import { assertValidGraph } from "./graph-validation.js";
import { parseGraph } from "./parse-graph.js";
import { ReadyQueue, compareIterationPaths, type Schedulable } from "./ready-queue.js";
import * as plan from "./source-plan.js";
import { buildSourcePlan, type SourceNode, type SourcePlan } from "./source-plan.js";
import * as special from "./special-nodes.js";

// Module-local copies: some transpilers (tsx) turn every use of an imported binding into a getter call.
const KIND_COLLECT = plan.KIND_COLLECT;
const KIND_IF = plan.KIND_IF;
const KIND_ITERATE = plan.KIND_ITERATE;
const COLLECTION_FIELD = special.COLLECTION_FIELD;
const CONDITION_FIELD = special.CONDITION_FIELD;
const FALSE_INPUT_FIELD = special.FALSE_INPUT_FIELD;
const ITEM_FIELD = special.ITEM_FIELD;
const TRUE_INPUT_FIELD = special.TRUE_INPUT_FIELD;

/** A node's output: a plain object keyed by its output field names. Treated as immutable once completed. */
export type NodeOutput = Readonly<Record<string, unknown>>;

/** A node handed out to run. */
export interface ReadyNode {
  /** Execution id: the source id for a node outside any loop, else `${sourceId}#${iterationPath.join(".")}`. */
  readonly id: string;
  /** The id of the node in the source graph. */
  readonly sourceId: string;
  readonly type: string;
  /** Item index in each enclosing iterator, outer to inner (empty outside loops). */
  readonly iterationPath: readonly number[];
  /** The node JSON with `id` = execution id and its inputs filled from upstream results (edges override literals). */
  readonly node: GraphNode;
}

/** A recorded failure. Always names the source node; never only an execution id. */
export interface ExecutionErrorRecord {
  readonly node_id: string;
  readonly exec_id: string;
  readonly node_type: string;
  readonly iteration_path: readonly number[];
  readonly error_type: string;
  readonly error_message: string;
  readonly error_traceback?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * One entry of the replay log: a number n = n nodes handed out; a string = that execution id completed;
 * `{failed}` / `{requeued}` = that execution id failed / was put back in the ready queue.
 */
export type ExecutionLogEntry = number | string | { readonly failed: string } | { readonly requeued: string };

/** The stored form of an ExecutionState. `executed_history` and `source_prepared_mapping` are derived, for readers. */
export interface ExecutionStateJSON {
  version: 1;
  id: string;
  graph: GraphJSON;
  results: Record<string, NodeOutput>;
  errors: Record<string, ExecutionErrorRecord>;
  executed_history: string[];
  source_prepared_mapping: Record<string, string[]>;
  log: ExecutionLogEntry[];
}

/** Where an execution node is in its life. */
export type ExecutionNodeStatus = "pending" | "ready" | "running" | "executed" | "skipped" | "failed";

export interface ExecutionStateOptions {
  /** Session id (default: a random uuid). */
  id?: string;
  /** Validate the graph first (default true). Only skip for a graph validated against the same lookup. */
  validate?: boolean;
}

const PENDING = 0;
const READY = 1;
const RUNNING = 2;
const DONE = 3;
const SKIPPED = 4;
const FAILED = 5;
const STATUS_NAMES: readonly ExecutionNodeStatus[] = ["pending", "ready", "running", "executed", "skipped", "failed"];

interface ExecEdge {
  readonly from: ExecNode;
  readonly fromField: string;
  readonly to: ExecNode;
  readonly toField: string;
  /** Dropped because it feeds the unselected branch of an `if`. */
  pruned: boolean;
}

interface ExecNode extends Schedulable {
  readonly id: string;
  readonly src: SourceNode<ExecNode>;
  readonly ctx: number[];
  /** Item index for iterate copies, else -1. */
  readonly index: number;
  readonly inEdges: ExecEdge[];
  readonly outEdges: ExecEdge[];
  /** Input edges whose source has not finished. */
  indegree: number;
  status: number;
  /** Known to be needed. False only for branch-guarded nodes until a consumer is known to be needed. */
  live: boolean;
  /** Output edges known to lead nowhere needed (guarded nodes only). */
  deadOut: number;
  /** For `if` copies: 0 unresolved, 1 true branch, 2 false branch. */
  resolved: number;
  output: NodeOutput | undefined;
}

function iterationText(ctx: readonly number[]): string {
  return ctx.length === 0 ? "" : ` (iteration ${ctx.join(".")})`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The pure, deterministic run state of one session over a source graph (InvokeAI's GraphExecutionState).
 *
 * Source nodes are materialised into execution copies as soon as their parents are (an iterate once its
 * collection is computed): one copy per iteration context, a collect per outer-iteration group. Readiness is
 * tracked with indegree counters and per-type ready queues, so preparing and stepping cost O(nodes + edges)
 * overall. Upstream values are passed by reference, never copied.
 *
 * `if`: nodes whose every consumer leads only into one branch of an `if` are deferred until its condition is
 * known, then run (selected) or are skipped (counted as executed, no result). A node that also feeds anything
 * else is not branch-exclusive and runs regardless; so does a node feeding an `iterate` inside a branch.
 *
 * Any error ends the session: `hasError()` and `isComplete()` become true and `next()` hands out nothing more.
 * `toJSON()` stores the source graph, each result once and a replay log; `fromJSON()` replays it, so a restored
 * state behaves exactly like the original from that point on.
 */
export class ExecutionState {
  /** Session id. */
  readonly id: string;
  /** The source graph (a private copy: never mutate it). */
  readonly graph: Graph;
  private readonly plan: SourcePlan<ExecNode>;
  private readonly execById = new Map<string, ExecNode>();
  private readonly resultMap = new Map<string, NodeOutput>();
  private readonly errorMap = new Map<string, ExecutionErrorRecord>();
  private readonly history: string[] = [];
  private readonly log: ExecutionLogEntry[] = [];
  private readonly ready = new ReadyQueue<ExecNode>();
  private readonly preparable: SourceNode<ExecNode>[] = [];
  private preparableHead = 0;
  private readonly running = new Set<string>();
  private doneSources = 0;
  private seqCounter = 0;

  private constructor(graph: Graph, id: string) {
    this.id = id;
    this.graph = graph;
    this.plan = buildSourcePlan<ExecNode>(graph);
    for (const src of this.plan.sources) if (src.waiting === 0) this.preparable.push(src);
    this.drainPreparable();
  }

  /** Starts a session over a copy of `graph` (validated against `lookup` unless `validate: false`). */
  static create(graph: Graph, lookup: NodeTypeLookup, options: ExecutionStateOptions = {}): ExecutionState {
    if (options.validate !== false) assertValidGraph(graph, lookup);
    return new ExecutionState(graph.clone(), options.id ?? randomUUID());
  }

  /** Restores a state stored with `toJSON()` by replaying its log; throws `ExecutionStateRestoreError` if it cannot. */
  static fromJSON(json: unknown, lookup: NodeTypeLookup, options: { validate?: boolean } = {}): ExecutionState {
    if (!isObject(json)) throw new ExecutionStateRestoreError("expected an object");
    if (json.version !== 1)
      throw new ExecutionStateRestoreError(`unsupported version ${JSON.stringify(json.version)}`, { path: "version" });
    if (typeof json.id !== "string") throw new ExecutionStateRestoreError("id must be a string", { path: "id" });
    if (!isObject(json.results)) throw new ExecutionStateRestoreError("results must be an object", { path: "results" });
    if (!isObject(json.errors)) throw new ExecutionStateRestoreError("errors must be an object", { path: "errors" });
    if (!Array.isArray(json.log)) throw new ExecutionStateRestoreError("log must be an array", { path: "log" });
    const graph = parseGraph(json.graph);
    if (options.validate !== false) assertValidGraph(graph, lookup);
    const state = new ExecutionState(graph, json.id);
    state.replay(json.log as unknown[], json.results, json.errors as Record<string, unknown>);
    return state;
  }

  // ---------------------------------------------------------------- queries

  /** True once every source node has executed (or was skipped / had nothing to run), or any error happened. */
  isComplete(): boolean {
    return this.errorMap.size > 0 || this.doneSources === this.plan.sources.length;
  }

  /** Whether a node failed (which ends the session). */
  hasError(): boolean {
    return this.errorMap.size > 0;
  }

  /** Outputs by execution id, in completion order. */
  get results(): ReadonlyMap<string, NodeOutput> {
    return this.resultMap;
  }

  /** Failures by execution id. */
  get errors(): ReadonlyMap<string, ExecutionErrorRecord> {
    return this.errorMap;
  }

  /** Source node ids in the order their last copy finished. */
  get executedHistory(): readonly string[] {
    return this.history;
  }

  /** Number of nodes ready to be handed out. */
  get readyCount(): number {
    return this.errorMap.size > 0 ? 0 : this.ready.size;
  }

  /** Execution ids handed out and not yet completed, failed or requeued. */
  inFlight(): string[] {
    return [...this.running];
  }

  /** The source node id of an execution id (undefined if unknown). */
  sourceIdOf(execId: string): string | undefined {
    return this.execById.get(execId)?.src.id;
  }

  /** The execution ids prepared so far for a source node, in iteration order. */
  execIdsOf(sourceId: string): string[] {
    return (this.plan.byId.get(sourceId)?.copies ?? []).map((x) => x.id);
  }

  /** The iteration path of an execution id (undefined if unknown). */
  iterationPathOf(execId: string): readonly number[] | undefined {
    return this.execById.get(execId)?.ctx;
  }

  /** Status of an execution id (undefined if unknown). */
  statusOf(execId: string): ExecutionNodeStatus | undefined {
    const x = this.execById.get(execId);
    return x && STATUS_NAMES[x.status];
  }

  // ---------------------------------------------------------------- stepping

  /** Hands out the next ready node with its inputs filled, or undefined when none is ready (or after an error). */
  next(): ReadyNode | undefined {
    if (this.errorMap.size > 0) return undefined;
    const x = this.ready.pop();
    if (!x) return undefined;
    this.handOut(x);
    return this.toReadyNode(x);
  }

  /** Hands out up to `max` ready nodes at once, for running independent nodes concurrently. */
  nextReady(max: number): ReadyNode[] {
    const out: ReadyNode[] = [];
    while (out.length < max) {
      const n = this.next();
      if (!n) break;
      out.push(n);
    }
    return out;
  }

  /**
   * Records the output of a handed-out node and releases what it unblocks. Throws `IterateCollectError` (after
   * recording it) when this output feeds an iterate and is not a list.
   */
  complete(execId: string, output: NodeOutput): void {
    const x = this.runningNode(execId, "completed");
    if (!isObject(output)) {
      throw new ExecutionStateError(
        `Output of node "${x.src.id}"${iterationText(x.ctx)} must be an object of output fields`,
        {
          node_id: x.src.id,
          exec_id: execId,
        },
      );
    }
    x.status = DONE;
    x.output = output;
    this.running.delete(execId);
    this.resultMap.set(execId, output);
    this.log.push(execId);
    this.onExecuted(x);
    for (const e of x.outEdges) {
      if (e.pruned) continue;
      const to = e.to;
      if (to.status !== PENDING) continue;
      if (to.src.kind === KIND_IF && to.resolved === 0 && e.toField === CONDITION_FIELD)
        this.resolve(to, output[e.fromField]);
      to.indegree--;
      this.maybeEnqueue(to);
    }
    this.drainPreparable();
  }

  /** Records that a handed-out node failed; this ends the session. */
  fail(execId: string, error: unknown): void {
    const x = this.runningNode(execId, "failed");
    const record: ExecutionErrorRecord = {
      node_id: x.src.id,
      exec_id: x.id,
      node_type: x.src.type,
      iteration_path: x.ctx,
      error_type: error instanceof Error ? error.name : typeof error,
      error_message: error instanceof Error ? error.message : String(error),
      ...(error instanceof Error && error.stack ? { error_traceback: error.stack } : {}),
      ...(error instanceof AtelierError ? { details: error.details } : {}),
    };
    this.recordFailure(x, record);
    this.log.push({ failed: execId });
  }

  /** Puts a handed-out node back in the ready queue (e.g. after a crash of the worker that ran it). */
  requeue(execId: string): void {
    const x = this.runningNode(execId, "requeued");
    // Keeps its original place in the queue: it was ready before anything enqueued since.
    x.status = READY;
    this.running.delete(execId);
    this.log.push({ requeued: execId });
    this.ready.push(x);
  }

  /** The stored form: source graph, results once, errors, and the replay log (no hydrated copies). */
  toJSON(): ExecutionStateJSON {
    const mapping: Record<string, string[]> = {};
    for (const src of this.plan.sources) mapping[src.id] = src.copies.map((x) => x.id);
    return {
      version: 1,
      id: this.id,
      graph: this.graph.toJSON(),
      results: Object.fromEntries(this.resultMap),
      errors: Object.fromEntries(this.errorMap),
      executed_history: [...this.history],
      source_prepared_mapping: mapping,
      log: [...this.log],
    };
  }

  // ---------------------------------------------------------------- materialisation

  private drainPreparable(): void {
    while (this.preparableHead < this.preparable.length && this.errorMap.size === 0) {
      this.prepare(this.preparable[this.preparableHead++]);
    }
    if (this.preparableHead === this.preparable.length) {
      this.preparable.length = 0;
      this.preparableHead = 0;
    }
  }

  private prepare(src: SourceNode<ExecNode>): void {
    const created: ExecNode[] = [];
    if (src.kind === KIND_ITERATE) this.prepareIterate(src, created);
    else if (src.kind === KIND_COLLECT) this.prepareCollect(src, created);
    else this.prepareJoined(src, created);
    src.prepared = true;
    // Resolve after every copy exists: resolution walks edges to parents and may skip them.
    if (src.kind === KIND_IF) for (const x of created) this.resolveAtCreation(x);
    for (const x of created) this.maybeEnqueue(x);
    for (const c of src.children) if (--c.waiting === 0) this.preparable.push(c);
    for (const p of src.parents) if (--p.childrenUnprepared === 0 && p.guard >= 0) this.sweepUnneeded(p);
    if (src.executedCount === src.copies.length) this.markSourceDone(src);
  }

  private prepareJoined(src: SourceNode<ExecNode>, created: ExecNode[]): void {
    if (src.scope.length === 0) {
      // Outside any loop every parent has exactly one copy (or none, below an empty loop).
      for (const p of src.parents) if (p.copies.length === 0) return;
      const x = this.newExecNode(src, [], -1);
      for (let i = 0; i < src.inEdges.length; i++) {
        const e = src.inEdges[i];
        this.link(src.parents[src.parentIndexOfEdge[i]].copies[0], e.source.field, x, e.destination.field);
      }
      created.push(x);
      return;
    }
    const inputs = src.parents.map((p) => ({ scope: p.scope, copies: p.copies }));
    for (const { ctx, picks } of joinContexts(src.scope, inputs)) {
      const x = this.newExecNode(src, ctx, -1);
      for (let i = 0; i < src.inEdges.length; i++) {
        const e = src.inEdges[i];
        this.link(picks[src.parentIndexOfEdge[i]], e.source.field, x, e.destination.field);
      }
      created.push(x);
    }
  }

  private prepareIterate(src: SourceNode<ExecNode>, created: ExecNode[]): void {
    const i = src.inEdges.findIndex((e) => e.destination.field === COLLECTION_FIELD);
    const edge = src.inEdges[i];
    const parent = src.parents[src.parentIndexOfEdge[i]];
    for (const pc of parent.copies) {
      if (pc.status !== DONE) continue; // skipped: nothing to iterate
      const list = pc.output?.[edge.source.field];
      if (!Array.isArray(list)) {
        const got = list === null ? "null" : list === undefined ? "nothing" : typeof list;
        const error = new IterateCollectError(
          `Iterate node "${src.id}"${iterationText(pc.ctx)} needs a list on input "collection", but ${parent.id}.${edge.source.field} produced ${got}`,
          { node_id: src.id, field: COLLECTION_FIELD, source: `${parent.id}.${edge.source.field}` },
        );
        const execId = pc.ctx.length === 0 ? src.encId : `${src.encId}#${pc.ctx.join(".")}`;
        this.errorMap.set(execId, {
          node_id: src.id,
          exec_id: execId,
          node_type: src.type,
          iteration_path: pc.ctx,
          error_type: error.name,
          error_message: error.message,
          details: error.details,
        });
        throw error;
      }
      for (let k = 0; k < list.length; k++) {
        const x = this.newExecNode(src, [...pc.ctx, k], k);
        this.link(pc, edge.source.field, x, COLLECTION_FIELD);
        created.push(x);
      }
    }
  }

  /**
   * One collect copy per group of the iterators it keeps (a join of those iterators' copies, so a group whose
   * inner loop is empty still gets a copy, yielding []). Inputs: `collection` edges first, then `item` edges;
   * within each, inputs from outside any collapsed loop in edge order, then loop items in iteration order.
   */
  private prepareCollect(src: SourceNode<ExecNode>, created: ExecNode[]): void {
    const keep = src.scope;
    const groups = joinContexts(
      keep,
      keep.map((rank) => {
        const it = this.plan.iterators[rank];
        return { scope: it.scope, copies: it.copies };
      }),
    );
    const posInKeep = new Map<number, number>();
    keep.forEach((r, i) => posInKeep.set(r, i));
    const parentInfo = src.parents.map((p) => {
      const keepPos: number[] = [];
      const sharedK: number[] = [];
      const collapsed: number[] = [];
      p.scope.forEach((r, k) => {
        const pos = posInKeep.get(r);
        if (pos === undefined) collapsed.push(k);
        else {
          keepPos.push(pos);
          sharedK.push(k);
        }
      });
      let index: Map<string, ExecNode[]> | undefined;
      if (sharedK.length > 0) {
        index = new Map();
        for (const c of p.copies) {
          const key = sharedK.map((k) => c.ctx[k]).join(",");
          const list = index.get(key);
          if (list) list.push(c);
          else index.set(key, [c]);
        }
      }
      return { parent: p, keepPos, collapsed, index };
    });
    const sections = [COLLECTION_FIELD, ITEM_FIELD].map((field) =>
      src.inEdges.map((e, i) => ({ e, i })).filter(({ e }) => e.destination.field === field),
    );
    for (const group of groups) {
      const x = this.newExecNode(src, group.ctx, -1);
      for (const section of sections) {
        const outside: { from: ExecNode; field: string; to: string }[] = [];
        const inLoop: { from: ExecNode; field: string; to: string; path: number[] }[] = [];
        let loopEdges = 0;
        for (const { e, i } of section) {
          const info = parentInfo[src.parentIndexOfEdge[i]];
          const copies = info.index
            ? (info.index.get(info.keepPos.map((pos) => group.ctx[pos]).join(",")) ?? [])
            : info.parent.copies;
          if (info.collapsed.length === 0) {
            for (const c of copies) outside.push({ from: c, field: e.source.field, to: e.destination.field });
          } else {
            loopEdges++;
            for (const c of copies) {
              inLoop.push({
                from: c,
                field: e.source.field,
                to: e.destination.field,
                path: info.collapsed.map((k) => c.ctx[k]),
              });
            }
          }
        }
        // Array.prototype.sort is stable: equal paths keep edge order.
        if (loopEdges > 1) inLoop.sort((a, b) => compareIterationPaths(a.path, b.path));
        for (const o of outside) this.link(o.from, o.field, x, o.to);
        for (const o of inLoop) this.link(o.from, o.field, x, o.to);
      }
      created.push(x);
    }
  }

  private newExecNode(src: SourceNode<ExecNode>, ctx: number[], index: number): ExecNode {
    const id = ctx.length === 0 ? src.encId : `${src.encId}#${ctx.join(".")}`;
    const x: ExecNode = {
      id,
      src,
      ctx,
      index,
      queueKey: src.type,
      seq: 0,
      inEdges: [],
      outEdges: [],
      indegree: 0,
      status: PENDING,
      live: src.guard < 0,
      deadOut: 0,
      resolved: 0,
      output: undefined,
    };
    this.execById.set(id, x);
    src.copies.push(x);
    return x;
  }

  private link(from: ExecNode, fromField: string, to: ExecNode, toField: string): void {
    const e: ExecEdge = { from, fromField, to, toField, pruned: false };
    to.inEdges.push(e);
    from.outEdges.push(e);
    if (from.status === SKIPPED) e.pruned = true;
    else if (from.status !== DONE) to.indegree++;
    if (to.live && !from.live && !e.pruned && (to.src.kind !== KIND_IF || toField === CONDITION_FIELD))
      this.release(from);
  }

  private markSourceDone(src: SourceNode<ExecNode>): void {
    if (src.done) return;
    src.done = true;
    this.doneSources++;
    this.history.push(src.id);
    for (const c of src.children) {
      if (c.kind !== KIND_ITERATE) continue;
      const feedsCollection = c.inEdges.some(
        (e) => e.source.node_id === src.id && e.destination.field === COLLECTION_FIELD,
      );
      if (feedsCollection && --c.waiting === 0) this.preparable.push(c);
    }
  }

  private onExecuted(x: ExecNode): void {
    const src = x.src;
    src.executedCount++;
    if (src.prepared && src.executedCount === src.copies.length) this.markSourceDone(src);
  }

  private maybeEnqueue(x: ExecNode): void {
    if (x.status !== PENDING || x.indegree !== 0 || !x.live) return;
    if (x.src.kind === KIND_IF && x.resolved === 0) return;
    x.status = READY;
    x.seq = this.seqCounter++;
    this.ready.push(x);
  }

  // ---------------------------------------------------------------- lazy `if`

  private resolveAtCreation(f: ExecNode): void {
    const ce = f.inEdges.find((e) => e.toField === CONDITION_FIELD);
    if (!ce) this.resolve(f, f.src.node[CONDITION_FIELD]);
    else if (ce.from.status === DONE) this.resolve(f, ce.from.output?.[ce.fromField]);
  }

  /** Fixes the branch of an `if` copy: the selected input is needed (if the `if` is), the other is dropped. */
  private resolve(f: ExecNode, condition: unknown): void {
    f.resolved = condition ? 1 : 2;
    const selected = f.resolved === 1 ? TRUE_INPUT_FIELD : FALSE_INPUT_FIELD;
    for (const e of f.inEdges) {
      if (e.pruned) continue;
      if (e.toField === selected) {
        if (f.live && !e.from.live) this.release(e.from);
      } else if (e.toField === TRUE_INPUT_FIELD || e.toField === FALSE_INPUT_FIELD) {
        e.pruned = true;
        if (e.from.status !== DONE) f.indegree--;
        this.markDead(e.from);
      }
    }
  }

  /** Marks a node (and, transitively, what it needs) as needed. */
  private release(x: ExecNode): void {
    const stack = [x];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n.live || n.status !== PENDING) continue;
      n.live = true;
      this.maybeEnqueue(n);
      const isIf = n.src.kind === KIND_IF;
      for (const e of n.inEdges) {
        if (e.pruned || e.from.live) continue;
        if (isIf && (e.toField === TRUE_INPUT_FIELD || e.toField === FALSE_INPUT_FIELD)) {
          if (n.resolved === 0) continue;
          if (e.toField !== (n.resolved === 1 ? TRUE_INPUT_FIELD : FALSE_INPUT_FIELD)) continue;
        }
        stack.push(e.from);
      }
    }
  }

  /** One more output of a deferred node leads nowhere needed; skip it once all of them do. */
  private markDead(x: ExecNode): void {
    if (x.live || x.status !== PENDING) return;
    x.deadOut++;
    if (x.deadOut >= x.outEdges.length && x.src.childrenUnprepared === 0) this.skip(x);
  }

  /** Skips a deferred node (executed, no result) and, transitively, deferred parents nothing else needs. */
  private skip(x: ExecNode): void {
    const stack = [x];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n.live || n.status !== PENDING) continue;
      n.status = SKIPPED;
      this.onExecuted(n);
      for (const e of n.inEdges) {
        if (e.pruned) continue;
        const p = e.from;
        if (p.live || p.status !== PENDING) continue;
        p.deadOut++;
        if (p.deadOut >= p.outEdges.length && p.src.childrenUnprepared === 0) stack.push(p);
      }
    }
  }

  /** Once all consumers of a guarded source exist, skip its copies that nothing needs (e.g. no consumer at all). */
  private sweepUnneeded(src: SourceNode<ExecNode>): void {
    for (const x of src.copies) {
      if (!x.live && x.status === PENDING && x.deadOut >= x.outEdges.length) this.skip(x);
    }
  }

  // ---------------------------------------------------------------- helpers

  private handOut(x: ExecNode): void {
    x.status = RUNNING;
    this.running.add(x.id);
    const last = this.log.length - 1;
    if (last >= 0 && typeof this.log[last] === "number") (this.log[last] as number)++;
    else this.log.push(1);
  }

  private runningNode(execId: string, verb: string): ExecNode {
    const x = this.execById.get(execId);
    if (!x) {
      const hash = execId.lastIndexOf("#");
      const guess = hash >= 0 ? execId.slice(0, hash) : execId;
      throw new UnknownExecutionNodeError(execId, this.plan.byId.has(guess) ? guess : undefined);
    }
    if (x.status === DONE || x.status === SKIPPED || x.status === FAILED) {
      throw new NodeAlreadyExecutedError(x.src.id, x.id, iterationText(x.ctx));
    }
    if (x.status !== RUNNING) {
      throw new ExecutionStateError(
        `Node "${x.src.id}"${iterationText(x.ctx)} cannot be ${verb}: it was not handed out by next() (it is ${STATUS_NAMES[x.status]})`,
        { node_id: x.src.id, exec_id: x.id },
      );
    }
    return x;
  }

  private recordFailure(x: ExecNode, record: ExecutionErrorRecord): void {
    x.status = FAILED;
    this.running.delete(x.id);
    this.errorMap.set(x.id, record);
  }

  private toReadyNode(x: ExecNode): ReadyNode {
    return { id: x.id, sourceId: x.src.id, type: x.src.type, iterationPath: x.ctx, node: this.hydrate(x) };
  }

  private hydrate(x: ExecNode): GraphNode {
    const src = x.src;
    // Not `{...src.node}`: V8 makes objects cloned by spread slow to extend (measured 20× slower here).
    const node: Record<string, unknown> = Object.assign({}, src.node);
    node.id = x.id;
    if (src.kind === KIND_COLLECT) {
      const out: unknown[] = [];
      if (Array.isArray(src.node[COLLECTION_FIELD]) && !x.inEdges.some((e) => e.toField === COLLECTION_FIELD)) {
        for (const v of src.node[COLLECTION_FIELD] as unknown[]) out.push(v);
      }
      for (const e of x.inEdges) {
        const v = e.from.output?.[e.fromField];
        if (e.toField !== COLLECTION_FIELD) out.push(v);
        else if (Array.isArray(v)) for (const item of v) out.push(item);
      }
      node[COLLECTION_FIELD] = out;
      delete node[ITEM_FIELD];
      node.use_cache = false;
    } else {
      for (const e of x.inEdges) if (!e.pruned) node[e.toField] = e.from.output?.[e.fromField];
      if (src.kind === KIND_ITERATE) {
        node.index = x.index;
        node.use_cache = false;
      } else if (src.kind === KIND_IF) {
        delete node[x.resolved === 1 ? FALSE_INPUT_FIELD : TRUE_INPUT_FIELD];
      }
    }
    return node as GraphNode;
  }

  private replay(log: readonly unknown[], results: Record<string, unknown>, errors: Record<string, unknown>): void {
    log.forEach((entry, i) => {
      const where = { path: `log[${i}]` };
      if (typeof entry === "number") {
        if (!Number.isInteger(entry) || entry < 1)
          throw new ExecutionStateRestoreError(`log[${i}] is not a positive count`, where);
        for (let k = 0; k < entry; k++) {
          const x = this.errorMap.size > 0 ? undefined : this.ready.pop();
          if (!x) throw new ExecutionStateRestoreError(`log[${i}] hands out more nodes than were ready`, where);
          this.handOut(x);
        }
      } else if (typeof entry === "string") {
        const output = results[entry];
        if (!isObject(output))
          throw new ExecutionStateRestoreError(`log[${i}] completes "${entry}", which has no result`, where);
        try {
          this.complete(entry, output);
        } catch (err) {
          if (err instanceof IterateCollectError) return; // re-recorded exactly as the first time
          throw new ExecutionStateRestoreError(`log[${i}]: ${(err as Error).message}`, where);
        }
      } else if (isObject(entry) && typeof entry.failed === "string") {
        const record = errors[entry.failed];
        if (!isObject(record))
          throw new ExecutionStateRestoreError(`log[${i}] fails "${entry.failed}", which has no error record`, where);
        let x: ExecNode;
        try {
          x = this.runningNode(entry.failed, "failed");
        } catch (err) {
          throw new ExecutionStateRestoreError(`log[${i}]: ${(err as Error).message}`, where);
        }
        this.recordFailure(x, record as unknown as ExecutionErrorRecord);
        this.log.push({ failed: entry.failed });
      } else if (isObject(entry) && typeof entry.requeued === "string") {
        try {
          this.requeue(entry.requeued);
        } catch (err) {
          throw new ExecutionStateRestoreError(`log[${i}]: ${(err as Error).message}`, where);
        }
      } else {
        throw new ExecutionStateRestoreError(`log[${i}] is not a log entry`, where);
      }
    });
    const stray = Object.keys(results).find((id) => !this.resultMap.has(id));
    if (stray !== undefined)
      throw new ExecutionStateRestoreError(`result "${stray}" is not produced by the log`, { path: "results" });
    const strayError = Object.keys(errors).find((id) => !this.errorMap.has(id));
    if (strayError !== undefined)
      throw new ExecutionStateRestoreError(`error "${strayError}" is not produced by the log`, { path: "errors" });
  }
}
