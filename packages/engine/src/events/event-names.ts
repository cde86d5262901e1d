import type { EventName } from "./event-payloads.js";

/** Which socket.io room an event goes to: the queue's room, the bulk download's room, or every client. */
export type EventScope = "queue" | "bulk_download" | "broadcast";

// A Record (not a list) so that adding an event to EventPayloads without classifying it fails to compile.
const EVENT_SCOPES: Record<EventName, EventScope> = {
  invocation_started: "queue",
  invocation_progress: "queue",
  invocation_complete: "queue",
  invocation_error: "queue",
  queue_item_status_changed: "queue",
  batch_enqueued: "queue",
  queue_items_retried: "queue",
  queue_items_canceled: "queue",
  queue_cleared: "queue",
  recall_parameters_updated: "queue",
  model_load_started: "broadcast",
  model_load_complete: "broadcast",
  model_install_download_started: "broadcast",
  model_install_download_progress: "broadcast",
  model_install_downloads_complete: "broadcast",
  model_install_started: "broadcast",
  model_install_complete: "broadcast",
  model_install_cancelled: "broadcast",
  model_install_error: "broadcast",
  download_started: "broadcast",
  download_progress: "broadcast",
  download_complete: "broadcast",
  download_cancelled: "broadcast",
  download_paused: "broadcast",
  download_error: "broadcast",
  bulk_download_started: "bulk_download",
  bulk_download_complete: "bulk_download",
  bulk_download_error: "bulk_download",
};

/** Every event name, in a stable order. */
export const EVENT_NAMES: readonly EventName[] = Object.freeze(Object.keys(EVENT_SCOPES) as EventName[]);

/** True when `name` is an event Atelier emits. */
export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(EVENT_SCOPES, name);
}

/** The room an event is sent to: the payload's `queue_id`, its `bulk_download_id`, or all clients. */
export function eventScope(name: EventName): EventScope {
  return EVENT_SCOPES[name];
}

/** True for events that go to the queue's room (keyed by the payload's `queue_id`) rather than to every client. */
export function queueScoped(name: EventName): boolean {
  return EVENT_SCOPES[name] === "queue";
}
