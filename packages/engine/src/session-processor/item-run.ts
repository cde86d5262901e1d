import { CanceledError } from "@atelier/core";
import type { CancelState, ContextQueueItem } from "../invocation-context/index.js";
import type { ClaimedQueueItem } from "../session-queue/index.js";

/** Why a run was stopped early. */
export type StopReason = "canceled" | "shutdown";

/**
 * One claimed item while it runs: its cancel flag and AbortSignal (what `context.util` reads), and the queue item
 * fields every context and event of the run shares.
 */
export class ItemRun {
  readonly item: ClaimedQueueItem;
  readonly queueItem: ContextQueueItem;
  readonly cancel: CancelState;
  readonly #abort = new AbortController();
  #reason: StopReason | undefined;

  constructor(item: ClaimedQueueItem) {
    this.item = item;
    this.queueItem = {
      item_id: item.item_id,
      queue_id: item.queue_id,
      batch_id: item.batch_id,
      session_id: item.session_id,
      workflow: item.workflow,
      origin: item.origin,
      destination: item.destination,
      user_id: item.user_id,
    };
    const signal = this.#abort.signal;
    this.cancel = { isCanceled: () => signal.aborted, signal };
  }

  /** Whether the run was stopped (canceled, or the processor is shutting down). */
  get stopped(): boolean {
    return this.#reason !== undefined;
  }

  /** Why it was stopped, if it was. */
  get reason(): StopReason | undefined {
    return this.#reason;
  }

  /** Stops the run: `isCanceled()` is true from now on and the signal is aborted; the first reason wins. */
  stop(reason: StopReason): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#abort.abort(new CanceledError(reason === "shutdown" ? "The session processor is shutting down" : undefined));
  }
}
