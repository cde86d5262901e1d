import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import {
  AtelierError,
  CanceledError,
  COLLECT_TYPE,
  ExecutionState,
  Graph,
  ITERATE_TYPE,
  UnknownNodeTypeError,
  parseInvocationInputs,
  parseInvocationOutput,
  type AnyInvocationDefinition,
  type ExecutionErrorRecord,
  type NodeOutput,
  type ReadyNode,
} from "@atelier/core";
import type { EventBus } from "../events/index.js";
import type { JsonDocument } from "../image-files/index.js";
import { invocationEventBase, type InvocationContextData } from "../invocation-context/index.js";
import { invocationCacheKey, type InvocationCache } from "../invocation-cache/index.js";
import { formatStatsTable, InvocationStatsCollector, type SessionStatsSummary } from "../invocation-stats/index.js";
import type { Logger } from "../logging/index.js";
import type { QueueItemError, SessionQueue } from "../session-queue/index.js";
import type { ContextFactory, InvocationDefinitions, ProcessorContext } from "./context-factory.js";
import type { ItemRun } from "./item-run.js";
import { ProcessorShutdownError, SessionStalledError } from "./processor-errors.js";

/** What the runner needs (the processor passes its own). */
export interface SessionRunnerOptions {
  queue: SessionQueue;
  registry: InvocationDefinitions;
  createContext: ContextFactory;
  events?: EventBus;
  logger?: Logger;
  cache?: InvocationCache;
  /** Ready nodes of one session run at the same time, at most this many (config `max_concurrent_nodes`). */
  maxConcurrentNodes: number;
  /** Least time between session checkpoints; grows with the time a checkpoint takes, to stay ≤ 5% of the run. */
  checkpointIntervalMs: number;
  /** Longest stretch of synchronous nodes before the event loop gets a turn (cancel requests, HTTP). */
  yieldIntervalMs: number;
  /** How long a graceful shutdown waits, named in the error of an item it had to stop. */
  shutdownGraceMs: () => number;
  /** Log the per-session node statistics table (default true). */
  logStats: boolean;
  /** Waits until the object files saved so far exist (see SessionProcessorOptions). */
  persistObjects?: () => Promise<void>;
}

/** How a run ended. */
export interface SessionRunResult {
  status: "completed" | "failed" | "canceled";
  stats: SessionStatsSummary;
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
}

function errorFields(error: unknown): QueueItemError {
  if (error instanceof Error)
    return { error_type: error.name, error_message: error.message, error_traceback: error.stack ?? null };
  return { error_type: typeof error, error_message: String(error), error_traceback: null };
}

function recordFields(record: ExecutionErrorRecord): QueueItemError {
  return {
    error_type: record.error_type,
    error_message: record.error_message,
    error_traceback: record.error_traceback ?? null,
  };
}

/**
 * Runs one claimed queue item through its ExecutionState: per node it parses the inputs (typed errors naming node
 * and field), serves the output from the invocation cache or builds a fresh context and invokes the node, validates
 * the output, completes the node in the state and emits the invocation events (each only built when someone
 * listens). Nothing is written to the database per node: the session is checkpointed on a timer and stored with the
 * final status in one transaction. A failing node fails the item; a canceled item stops at the next node boundary.
 */
export class SessionRunner {
  readonly #o: SessionRunnerOptions;

  constructor(options: SessionRunnerOptions) {
    this.#o = options;
  }

  /** Runs the item to its end; never throws for node errors (only for a broken database). */
  async run(run: ItemRun): Promise<SessionRunResult> {
    const { queue, logger } = this.#o;
    const item = run.item;
    const stats = new InvocationStatsCollector(item.session_id);
    let state: ExecutionState;
    try {
      state = this.#createState(run);
    } catch (error) {
      await queue.failItem(item.item_id, errorFields(error));
      stats.finish();
      return { status: "failed", stats: stats.summary() };
    }
    // The graph the session was built from (with the batch's field values), for `invokeai_graph` in saved images.
    const sourceGraph = item.graph as unknown as JsonDocument;

    const env: NodeEnv = { run, state, stats, sourceGraph };
    const nextCheckpoint = { at: performance.now() + this.#o.checkpointIntervalMs };
    if (this.#o.maxConcurrentNodes <= 1) await this.#runSequential(env, nextCheckpoint);
    else await this.#runConcurrent(env, nextCheckpoint);

    stats.finish();
    await this.#persistObjects();
    const summary = stats.summary();
    if (this.#o.logStats && logger !== undefined && summary.node_stats.length > 0) {
      logger.info(formatStatsTable(summary), { queue_item_id: item.item_id, session_id: item.session_id });
    }
    const session = JSON.stringify(state.toJSON());
    if (run.stopped) {
      if (run.reason === "shutdown") {
        await queue.failItem(
          item.item_id,
          errorFields(new ProcessorShutdownError(item.item_id, this.#o.shutdownGraceMs())),
          session,
        );
        return { status: "failed", stats: summary };
      }
      await queue.storeFinalSession(item.item_id, session);
      return { status: "canceled", stats: summary };
    }
    if (state.hasError()) {
      const record = state.errors.values().next().value as ExecutionErrorRecord;
      await queue.failItem(item.item_id, recordFields(record), session);
      return { status: "failed", stats: summary };
    }
    if (!state.isComplete()) {
      await queue.failItem(item.item_id, errorFields(new SessionStalledError(item.item_id, item.session_id)), session);
      return { status: "failed", stats: summary };
    }
    // completeItem refuses to leave a terminal status: an item canceled at the last moment stays canceled.
    const completed = await queue.completeItem(item.item_id, session);
    if (!completed) await queue.storeFinalSession(item.item_id, session);
    return { status: completed ? "completed" : "canceled", stats: summary };
  }

  #createState(run: ItemRun): ExecutionState {
    const { registry } = this.#o;
    const item = run.item;
    if (item.checkpoint !== null) {
      // Resumed after a crash: nodes that were running when the checkpoint was taken run again.
      const state = ExecutionState.fromJSON(item.checkpoint, registry, { validate: false });
      for (const id of state.inFlight()) state.requeue(id);
      return state;
    }
    // The graph was validated against the registry at enqueue time.
    // Graph.fromParts skips parseGraph's checks and copies: create() makes its own copy anyway.
    const g = item.graph;
    return ExecutionState.create(Graph.fromParts(g.id, Object.entries(g.nodes), g.edges), registry, {
      validate: false,
      id: item.session_id,
    });
  }

  async #runSequential(env: NodeEnv, next: { at: number }): Promise<void> {
    let lastYield = performance.now();
    for (;;) {
      if (env.run.stopped) return;
      const node = env.state.next();
      if (node === undefined) return;
      if (!(await this.#runNode(env, node))) return;
      const now = performance.now();
      if (now >= next.at) {
        await this.#checkpoint(env, next);
        lastYield = performance.now();
      } else if (now - lastYield >= this.#o.yieldIntervalMs) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
  }

  async #runConcurrent(env: NodeEnv, next: { at: number }): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    // GPU-bound nodes run one at a time; those handed out while the GPU is busy wait here in order.
    const waitingForGpu: ReadyNode[] = [];
    let gpuBusy = false;
    let failed = false;
    const isGpu = (node: ReadyNode) => this.#o.registry.get(node.type)?.bottleneck === "gpu";
    const takeNext = (): ReadyNode | undefined => {
      if (!gpuBusy && waitingForGpu.length > 0) return waitingForGpu.shift();
      for (let node = env.state.next(); node !== undefined; node = env.state.next()) {
        if (!gpuBusy || !isGpu(node)) return node;
        waitingForGpu.push(node);
      }
      return undefined;
    };
    for (;;) {
      while (!env.run.stopped && !failed && inFlight.size < this.#o.maxConcurrentNodes) {
        const node = takeNext();
        if (node === undefined) break;
        const gpu = isGpu(node);
        if (gpu) gpuBusy = true;
        const p: Promise<void> = this.#runNode(env, node).then((ok) => {
          if (!ok) failed = true;
          if (gpu) gpuBusy = false;
          inFlight.delete(p);
        });
        inFlight.add(p);
      }
      if (inFlight.size === 0) return;
      await Promise.race(inFlight);
      if (performance.now() >= next.at) await this.#checkpoint(env, next);
    }
  }

  /** Stores the session so far; a row no longer in progress (canceled by another process) stops the run. */
  async #checkpoint(env: NodeEnv, next: { at: number }): Promise<void> {
    const started = performance.now();
    await this.#persistObjects();
    const stillRunning = await this.#o.queue.saveSession(env.run.item.item_id, JSON.stringify(env.state.toJSON()));
    const took = performance.now() - started;
    next.at = performance.now() + Math.max(this.#o.checkpointIntervalMs, took * 20);
    if (!stillRunning) env.run.stop("canceled");
  }

  /**
   * Waits for the object files written behind. A failed write is only logged here: the value is gone from memory
   * too, so the node that loads it fails with an error naming it, and a resumed session fails the same way.
   */
  async #persistObjects(): Promise<void> {
    try {
      await this.#o.persistObjects?.();
    } catch (error) {
      this.#o.logger?.error("Could not write every saved tensor and conditioning file", { err: error });
    }
  }

  /** Runs one node; false when it failed or was canceled (the run must stop). */
  async #runNode(env: NodeEnv, node: ReadyNode): Promise<boolean> {
    const { registry, cache } = this.#o;
    const { run, state, stats } = env;
    const started = performance.now();
    const def = registry.get(node.type);
    // One object per node: `invocation` becomes the parsed inputs once they are known. The event fields shared by
    // started/complete/error are built from it at most once (see #eventBase); no closures per node.
    const nodeRun: NodeRun = {
      data: {
        queueItem: run.queueItem,
        sourceGraph: env.sourceGraph,
        invocation: node.node,
        sourceNodeId: node.sourceId,
        executionId: node.id,
        cancel: run.cancel,
      },
      base: undefined,
      announced: false,
    };
    const data = nodeRun.data;
    let output: NodeOutput;
    let cached = false;
    try {
      if (def === undefined) throw new UnknownNodeTypeError(node.sourceId, node.type);
      if (node.type === ITERATE_TYPE) {
        this.#announce(nodeRun);
        // The collection arrives by reference; validating it on each of its N copies would cost O(N²).
        const collection = node.node.collection as unknown[];
        const index = node.node.index as number;
        output = { item: collection[index], index, total: collection.length, type: def.outputType };
      } else if (node.type === COLLECT_TYPE) {
        this.#announce(nodeRun);
        output = { collection: node.node.collection, type: def.outputType };
      } else {
        const self = parseInvocationInputs(def, node.node);
        data.invocation = self;
        this.#announce(nodeRun);
        const key =
          cache !== undefined && cache.enabled && self.use_cache
            ? invocationCacheKey(def.type, def.version, self)
            : undefined;
        const hit = key === undefined ? undefined : cache!.get(key);
        if (hit !== undefined) {
          output = hit;
          cached = true;
        } else {
          // A node that returns synchronously (and signals no progress) is finished without an await.
          const result = this.#invoke(def, self, data);
          output = isPromiseLike(result) ? await result : result;
          if (key !== undefined) cache!.save(key, output);
        }
      }
      state.complete(node.id, output);
    } catch (error) {
      this.#nodeFailed(env, node, nodeRun, error);
      return false;
    }
    const ended = performance.now();
    stats.record(node.type, ended - started, ended, cached);
    const events = this.#o.events;
    if (events !== undefined && events.listenerCount("invocation_complete") > 0) {
      const payload = { ...this.#eventBase(nodeRun), result: output as Record<string, unknown> };
      events.emit("invocation_complete", payload);
    }
    return true;
  }

  /** The event fields of this node run, stamped with the time of the first event (built once, on demand). */
  #eventBase(nodeRun: NodeRun): EventBase {
    if (nodeRun.base === undefined) {
      // Stamped here so that the bus does not copy each payload to stamp it.
      const base = invocationEventBase(nodeRun.data) as EventBase;
      base.timestamp = Math.floor(Date.now() / 1000);
      nodeRun.base = base;
    }
    return nodeRun.base;
  }

  /** Emits invocation_started once per node run, when someone listens. */
  #announce(nodeRun: NodeRun): void {
    if (nodeRun.announced) return;
    nodeRun.announced = true;
    const events = this.#o.events;
    if (events !== undefined && events.listenerCount("invocation_started") > 0)
      events.emit("invocation_started", this.#eventBase(nodeRun));
  }

  /** Records a node failure in the state, emits invocation_error and logs it; a cancel is not a failure. */
  #nodeFailed(env: NodeEnv, node: ReadyNode, nodeRun: NodeRun, error: unknown): void {
    const { run, state } = env;
    const events = this.#o.events;
    if (run.stopped && (error instanceof CanceledError || (error as { name?: string })?.name === "AbortError")) return;
    // complete() records an iterate whose collection is not a list itself before throwing.
    if (!state.hasError()) state.fail(node.id, error);
    this.#announce(nodeRun);
    if (events !== undefined && events.listenerCount("invocation_error") > 0) {
      const fields = errorFields(error);
      events.emit("invocation_error", {
        ...this.#eventBase(nodeRun),
        error_type: fields.error_type,
        error_message: fields.error_message,
        error_traceback: fields.error_traceback ?? "",
      });
    }
    this.#o.logger?.error(
      `Node ${node.sourceId} (${node.type}) failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        queue_item_id: run.item.item_id,
        session_id: run.item.session_id,
        node_id: node.sourceId,
        node_type: node.type,
        ...(error instanceof AtelierError ? {} : { err: error }),
      },
    );
  }

  /** Invokes the node with a fresh context; a promise only when the node or its progress events need waiting for. */
  #invoke(
    def: AnyInvocationDefinition,
    self: Record<string, unknown> & { id: string; type: string },
    data: InvocationContextData,
  ): NodeOutput | Promise<NodeOutput> {
    const context = this.#o.createContext(data);
    const raw: unknown = def.invoke.call(self as never, context);
    if (isPromiseLike(raw) || (context.settle !== undefined && context.settled !== true))
      return this.#finishAsync(def, self, context, raw);
    return parseInvocationOutput(def.output, raw, { nodeType: def.type, nodeId: self.id });
  }

  async #finishAsync(
    def: AnyInvocationDefinition,
    self: Record<string, unknown> & { id: string; type: string },
    context: ProcessorContext,
    pending: unknown,
  ): Promise<NodeOutput> {
    const raw: unknown = isPromiseLike(pending) ? await pending : pending;
    const output = parseInvocationOutput(def.output, raw, { nodeType: def.type, nodeId: self.id });
    // Progress events the node signalled go out before its invocation_complete.
    if (context.settle !== undefined) await context.settle();
    return output;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

type EventBase = ReturnType<typeof invocationEventBase> & { timestamp: number };

/** Per-node bookkeeping of #runNode. */
interface NodeRun {
  readonly data: Mutable<InvocationContextData>;
  base: EventBase | undefined;
  announced: boolean;
}

interface NodeEnv {
  readonly run: ItemRun;
  readonly state: ExecutionState;
  readonly stats: InvocationStatsCollector;
  readonly sourceGraph: JsonDocument;
}
