import type { InvocationEventBase } from "../events/index.js";
import type { InvocationContextData, InvocationJson } from "./invocation-context-data.js";

/** The user id of events in single-user mode. */
export const SYSTEM_USER_ID = "system";

// iterate/collect nodes carry whole collections; InvokeAI blanks them in events so that progress stays small.
const COLLECTION_NODE_TYPES = new Set(["iterate", "collect"]);

/** The node JSON as events carry it: `collection` blanked on iterate and collect nodes. */
export function invocationForEvent(invocation: InvocationJson): Record<string, unknown> {
  return COLLECTION_NODE_TYPES.has(invocation.type) ? { ...invocation, collection: [] } : { ...invocation };
}

/**
 * The fields every invocation event shares (InvokeAI's InvocationEventBase without `timestamp`): queue, item, batch,
 * origin, destination, user, session, the node JSON and its source id. The processor uses it for
 * started/complete/error, the context for progress.
 */
export function invocationEventBase(data: InvocationContextData): Omit<InvocationEventBase, "timestamp"> {
  const item = data.queueItem;
  return {
    queue_id: item.queue_id,
    item_id: item.item_id,
    batch_id: item.batch_id,
    origin: item.origin ?? null,
    destination: item.destination ?? null,
    user_id: item.user_id ?? SYSTEM_USER_ID,
    session_id: item.session_id,
    invocation: invocationForEvent(data.invocation),
    invocation_source_id: data.sourceNodeId,
  };
}
