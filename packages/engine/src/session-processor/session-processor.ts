import type { EventBus, Unsubscribe } from "../events/index.js";
import type { InvocationCache } from "../invocation-cache/index.js";
import type { SessionStatsSummary } from "../invocation-stats/index.js";
import type { Logger } from "../logging/index.js";
import type { ClaimedQueueItem, QueueTransition, SessionQueue } from "../session-queue/index.js";
import type { ContextFactory, InvocationDefinitions } from "./context-factory.js";
import { ItemRun } from "./item-run.js";
import { ProcessorItemError, ProcessorShutdownError } from "./processor-errors.js";
import { SessionRunner, type SessionRunResult } from "./session-runner.js";

/** InvokeAI's `SessionProcessorStatus`. */
export interface SessionProcessorStatus {
  /** The processor is running and not paused. */
  is_started: boolean;
  /** An item is being run. */
  is_processing: boolean;
}

/** Options of `SessionProcessor`. */
export interface SessionProcessorOptions {
  queue: SessionQueue;
  /** Node definitions (the NodeRegistry). */
  registry: InvocationDefinitions;
  /** Builds each node's context (`services.createContext`). */
  createContext: ContextFactory;
  events?: EventBus;
  logger?: Logger;
  cache?: InvocationCache;
  /** The queue this processor serves (default "default"). */
  queueId?: string;
  /** Config `max_concurrent_nodes` (default 1). */
  maxConcurrentNodes?: number;
  /** How long an idle worker waits before looking again when nothing wakes it (default 1000 ms). */
  pollIntervalMs?: number;
  /** Least time between session checkpoints of a running item (default 2000 ms). */
  checkpointIntervalMs?: number;
  /** Longest run of synchronous nodes before other work gets the event loop (default 20 ms). */
  yieldIntervalMs?: number;
  /** Log a node statistics table per session (default true). */
  logStats?: boolean;
  /**
   * Waits until every object file saved so far (tensors, conditioning, written behind) exists; called before a
   * session is stored, so that a stored session never refers to a file a crash could still lose.
   */
  persistObjects?: () => Promise<void>;
}

/** Options of `stop`. */
export interface StopOptions {
  /** How long to let the running item finish before it is stopped and failed (default 30 s). */
  graceMs?: number;
}

const RECENT_CANCELS = 256;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves true when `promise` settles within `ms`, else false; the timer never outlives the race. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The worker loop (InvokeAI's DefaultSessionProcessor), in this process: claims the next item, runs it with a
 * SessionRunner, and goes on. It wakes at once when items are enqueued or retried and polls otherwise (another
 * process may enqueue). Canceling the running item sets its flag at once (`isCanceled()` true, AbortSignal
 * aborted) and the run stops at the next node boundary; canceling any other item never touches the running one.
 */
export class SessionProcessor {
  readonly #queue: SessionQueue;
  readonly #runner: SessionRunner;
  readonly #logger: Logger | undefined;
  readonly #queueId: string;
  readonly #pollMs: number;
  #started = false;
  #paused = false;
  #stopping = false;
  #loop: Promise<void> | undefined;
  #current: ItemRun | undefined;
  #wakeUp: (() => void) | undefined;
  /** A wake-up that came while the loop was not sleeping (e.g. during a claim that found nothing). */
  #wakePending = false;
  #graceMs = 30_000;
  #lastStats: SessionStatsSummary | undefined;
  readonly #recentCancels = new Set<number>();
  readonly #unsubscribe: Unsubscribe[] = [];
  readonly #finished = new Set<(itemId: number, result: SessionRunResult) => void>();

  constructor(options: SessionProcessorOptions) {
    this.#queue = options.queue;
    this.#logger = options.logger;
    this.#queueId = options.queueId ?? "default";
    this.#pollMs = options.pollIntervalMs ?? 1000;
    this.#runner = new SessionRunner({
      queue: options.queue,
      registry: options.registry,
      createContext: options.createContext,
      events: options.events,
      logger: options.logger,
      cache: options.cache,
      maxConcurrentNodes: Math.max(1, Math.floor(options.maxConcurrentNodes ?? 1)),
      checkpointIntervalMs: options.checkpointIntervalMs ?? 2000,
      yieldIntervalMs: options.yieldIntervalMs ?? 20,
      shutdownGraceMs: () => this.#graceMs,
      logStats: options.logStats ?? true,
      persistObjects: options.persistObjects,
    });
  }

  /** `is_started` and `is_processing`. */
  getStatus(): SessionProcessorStatus {
    return {
      is_started: this.#started && !this.#paused && !this.#stopping,
      is_processing: this.#current !== undefined,
    };
  }

  /** The id of the item being run, if any. */
  get currentItemId(): number | undefined {
    return this.#current?.item.item_id;
  }

  /** Statistics of the last finished session. */
  get lastStats(): SessionStatsSummary | undefined {
    return this.#lastStats;
  }

  /** Calls `listener` after each item the processor ran has been stored with its final status. */
  onItemFinished(listener: (itemId: number, result: SessionRunResult) => void): Unsubscribe {
    const entry = (id: number, r: SessionRunResult) => listener(id, r);
    this.#finished.add(entry);
    return () => void this.#finished.delete(entry);
  }

  /** Starts the worker loop (a no-op when running). */
  start(): SessionProcessorStatus {
    if (this.#started) return this.getStatus();
    this.#started = true;
    this.#paused = false;
    this.#stopping = false;
    this.#unsubscribe.push(
      this.#queue.onTransition((t) => this.#onTransition(t)),
      this.#queue.onEnqueued((queueId) => {
        if (queueId === this.#queueId) this.#wake();
      }),
    );
    this.#loop = this.#work();
    return this.getStatus();
  }

  /** Stops claiming new items; the running one finishes. */
  pause(): SessionProcessorStatus {
    this.#paused = true;
    return this.getStatus();
  }

  /** Claims items again (starting the processor if needed). */
  resume(): SessionProcessorStatus {
    if (!this.#started) return this.start();
    this.#paused = false;
    this.#wake();
    return this.getStatus();
  }

  /**
   * Graceful shutdown: no new claims; the running item may finish within `graceMs`, else it is stopped at its next
   * node boundary and failed with a ProcessorShutdownError (its session stored). Resolves once the loop is done, or
   * once the item is failed when its node does not return.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    if (!this.#started) return;
    this.#graceMs = options.graceMs ?? 30_000;
    this.#stopping = true;
    this.#wake();
    const loop = this.#loop ?? Promise.resolve();
    const done = await settlesWithin(loop, this.#graceMs);
    if (!done) {
      const run = this.#current;
      if (run !== undefined) {
        run.stop("shutdown");
        // A node that ignores cancellation may never return: record the outcome now rather than leave it running.
        const error = new ProcessorShutdownError(run.item.item_id, this.#graceMs);
        await this.#queue
          .failItem(run.item.item_id, {
            error_type: error.name,
            error_message: error.message,
            error_traceback: error.stack ?? null,
          })
          .catch((e: unknown) => this.#logger?.error("Could not fail the item stopped by shutdown", { err: e }));
      }
      await settlesWithin(loop, 1000);
    }
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.#started = false;
    this.#loop = undefined;
  }

  #onTransition(t: QueueTransition): void {
    if (t.status !== "canceled") return;
    const run = this.#current;
    if (run !== undefined && run.item.item_id === t.item_id) {
      run.stop("canceled");
      return;
    }
    // The cancel may land between our claim and the start of its run: remember it for that moment.
    this.#recentCancels.add(t.item_id);
    if (this.#recentCancels.size > RECENT_CANCELS)
      this.#recentCancels.delete(this.#recentCancels.values().next().value as number);
  }

  #wake(): void {
    const wake = this.#wakeUp;
    this.#wakeUp = undefined;
    if (wake === undefined) this.#wakePending = true;
    else wake();
  }

  #sleep(ms: number): Promise<void> {
    if (this.#wakePending) {
      this.#wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wakeUp = undefined;
        resolve();
      }, ms);
      this.#wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async #work(): Promise<void> {
    while (!this.#stopping) {
      this.#wakePending = false;
      if (this.#paused) {
        await this.#sleep(this.#pollMs);
        continue;
      }
      let item: ClaimedQueueItem | null;
      try {
        item = await this.#queue.claimNext(this.#queueId);
      } catch (error) {
        this.#logger?.error("Could not claim the next queue item", { err: error, queue_id: this.#queueId });
        await this.#sleep(this.#pollMs);
        continue;
      }
      if (item === null) {
        await this.#sleep(this.#pollMs);
        continue;
      }
      await this.#runItem(item);
    }
  }

  async #runItem(item: ClaimedQueueItem): Promise<void> {
    const run = new ItemRun(item);
    this.#current = run;
    if (this.#recentCancels.delete(item.item_id)) run.stop("canceled");
    try {
      const result = await this.#runner.run(run);
      this.#lastStats = result.stats;
      for (const listener of [...this.#finished]) listener(item.item_id, result);
    } catch (error) {
      // Outside any node (the database, a corrupt checkpoint): fail the item, keep the loop alive.
      this.#logger?.error(`Queue item ${item.item_id} failed outside its nodes`, {
        err: error,
        queue_item_id: item.item_id,
      });
      const wrapped = new ProcessorItemError(item.item_id, error);
      await this.#queue
        .failItem(item.item_id, {
          error_type: wrapped.name,
          error_message: wrapped.message,
          error_traceback: error instanceof Error ? (error.stack ?? null) : null,
        })
        .catch((e: unknown) =>
          this.#logger?.error("Could not fail the queue item", { err: e, queue_item_id: item.item_id }),
        );
      if (!this.#stopping) await delay(Math.min(this.#pollMs, 100));
    } finally {
      if (this.#current === run) this.#current = undefined;
    }
  }
}
