import { AtelierError } from "../errors.js";

/** A call that does not fit the state of an execution node (completing one that was not handed out, …). */
export class ExecutionStateError extends AtelierError {
  constructor(message: string, details: Record<string, unknown>) {
    super("invalid_execution_call", message, { status: 409, details });
  }
}

/** An execution id that this session never prepared. */
export class UnknownExecutionNodeError extends AtelierError {
  constructor(execId: string, sourceId: string | undefined) {
    super(
      "execution_node_not_found",
      sourceId === undefined
        ? `No prepared execution node "${execId}" in this session`
        : `Node "${sourceId}" has no prepared execution copy "${execId}" in this session`,
      { status: 404, details: { exec_id: execId, ...(sourceId === undefined ? {} : { node_id: sourceId }) } },
    );
  }
}

/** `complete`/`fail` on an execution node that already finished. */
export class NodeAlreadyExecutedError extends AtelierError {
  constructor(sourceId: string, execId: string, iteration: string) {
    super("node_already_executed", `Node "${sourceId}"${iteration} has already been executed`, {
      status: 409,
      details: { node_id: sourceId, exec_id: execId },
    });
  }
}

/** Stored execution state JSON that cannot be restored (bad shape, or a log that does not replay). */
export class ExecutionStateRestoreError extends AtelierError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("invalid_execution_state", `Cannot restore execution state: ${message}`, { status: 422, details });
  }
}
