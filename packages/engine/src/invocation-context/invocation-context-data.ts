import type { JsonDocument } from "../image-files/index.js";

/** The queue item a node runs for (the fields the context and its events need). */
export interface ContextQueueItem {
  readonly item_id: number;
  readonly queue_id: string;
  readonly batch_id: string;
  readonly session_id: string;
  /** The editor workflow that was enqueued; embedded in saved PNGs as `invokeai_workflow`. */
  readonly workflow?: JsonDocument | null;
  readonly origin?: string | null;
  readonly destination?: string | null;
  /** Default "system" (single-user). */
  readonly user_id?: string;
}

/** The queue item's cancellation, seen from a node. */
export interface CancelState {
  isCanceled(): boolean;
  readonly signal: AbortSignal;
}

/** The hydrated node JSON: its attributes and every input value (including `metadata`/`board` of the mixins). */
export type InvocationJson = Readonly<Record<string, unknown>> & { readonly id: string; readonly type: string };

/** Everything `createInvocationContext` binds a context to (InvokeAI's InvocationContextData). */
export interface InvocationContextData {
  readonly queueItem: ContextQueueItem;
  /** The session's source graph (not the execution graph); embedded in saved PNGs as `invokeai_graph`. */
  readonly sourceGraph: JsonDocument | null;
  readonly invocation: InvocationJson;
  /** The node's id in the source graph (before iterate expansion). */
  readonly sourceNodeId: string;
  /** The node's id in the execution graph; default `invocation.id`. Saved images record it as `node_id`. */
  readonly executionId?: string;
  readonly cancel: CancelState;
}
