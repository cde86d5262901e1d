/**
 * Typed errors. Every error that can reach a user carries a stable `code`, an HTTP-ish `status`
 * (400 bad input, 404 unknown id, 409 conflict, 422 invalid graph/values) and structured `details`
 * that say where the problem is (node id, field, value).
 */
export class AtelierError extends Error {
  /** Stable machine-readable code, e.g. "node_not_found". */
  readonly code: string;
  /** Suggested HTTP status for the server layer. */
  readonly status: number;
  /** Where the problem is: node_id, field, value, edge… */
  readonly details: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    options: { status?: number; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 400;
    this.details = options.details ?? {};
  }

  /** JSON form used in HTTP bodies and events. */
  toJSON(): { error: string; code: string; message: string; details: Record<string, unknown> } {
    return { error: this.name, code: this.code, message: this.message, details: this.details };
  }
}

/** Raised by long-running work when the queue item was canceled. */
export class CanceledError extends AtelierError {
  constructor(message = "The queue item was canceled") {
    super("canceled", message, { status: 409 });
  }
}
