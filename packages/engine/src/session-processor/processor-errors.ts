import { AtelierError } from "@atelier/core";

/** The processor was stopped while an item ran and the item did not finish within the shutdown grace period. */
export class ProcessorShutdownError extends AtelierError {
  constructor(itemId: number, graceMs: number) {
    super(
      "processor_shutdown",
      `Queue item ${itemId} was stopped because the session processor shut down (it did not finish within ${graceMs} ms)`,
      { status: 503, details: { item_id: itemId, grace_ms: graceMs } },
    );
  }
}

/** A session that has nodes left but none that can run (should not happen with a valid graph). */
export class SessionStalledError extends AtelierError {
  constructor(itemId: number, sessionId: string) {
    super(
      "session_stalled",
      `Queue item ${itemId} (session ${sessionId}) stopped with nodes left to run but none ready`,
      {
        status: 500,
        details: { item_id: itemId, session_id: sessionId },
      },
    );
  }
}

/** The processor hit an unexpected error around an item (not inside a node); the item is failed, the loop goes on. */
export class ProcessorItemError extends AtelierError {
  constructor(itemId: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("processor_item_error", `Queue item ${itemId} failed outside its nodes: ${reason}`, {
      status: 500,
      details: { item_id: itemId },
      cause,
    });
  }
}
