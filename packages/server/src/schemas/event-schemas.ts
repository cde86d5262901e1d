import { z } from "zod";
import { JsonObject, named } from "./api-registry.js";
import { BatchStatus, SessionQueueStatus } from "./queue-schemas.js";

// Event models as InvokeAI publishes them in /openapi.json (documentation for socket.io clients; the payloads
// themselves come from the engine's event bus unchanged).

export const ProgressImage = named(
  "ProgressImage",
  z.object({
    width: z.number().int().min(1).describe("The effective width of the image in pixels"),
    height: z.number().int().min(1).describe("The effective height of the image in pixels"),
    dataURL: z.string().describe("The image data as a b64 data URL"),
  }),
  "The progress image sent intermittently during processing",
);

const base = { timestamp: z.number().int().describe("The timestamp of the event") };
const queueItem = {
  ...base,
  queue_id: z.string(),
  item_id: z.number().int(),
  batch_id: z.string(),
  origin: z.string().nullable(),
  destination: z.string().nullable(),
  user_id: z.string(),
};
const invocation = {
  ...queueItem,
  session_id: z.string(),
  invocation: JsonObject.describe("The node, as JSON"),
  invocation_source_id: z.string().describe("The ID of the prepared invocation's source node"),
};

function event(name: string, shape: z.ZodRawShape): void {
  named(
    name,
    z.object(shape),
    `Event model for ${name
      .replace(/Event$/, "")
      .replace(/([a-z])([A-Z])/g, "$1_$2")
      .toLowerCase()}`,
  );
}

event("InvocationStartedEvent", invocation);
event("InvocationCompleteEvent", { ...invocation, result: JsonObject.describe("The result of the invocation") });
event("InvocationErrorEvent", {
  ...invocation,
  error_type: z.string(),
  error_message: z.string(),
  error_traceback: z.string(),
});
event("InvocationProgressEvent", {
  ...invocation,
  message: z.string(),
  percentage: z.number().min(0).max(1).nullable(),
  image: ProgressImage.nullable(),
});
event("QueueItemStatusChangedEvent", {
  ...queueItem,
  status: z.enum(["pending", "in_progress", "waiting", "completed", "failed", "canceled"]),
  status_sequence: z.number().int().nullable(),
  error_type: z.string().nullable(),
  error_message: z.string().nullable(),
  error_traceback: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  session_id: z.string(),
  batch_status: BatchStatus,
  queue_status: SessionQueueStatus,
});
event("BatchEnqueuedEvent", {
  ...base,
  queue_id: z.string(),
  batch_id: z.string(),
  enqueued: z.number().int(),
  requested: z.number().int(),
  priority: z.number().int(),
  origin: z.string().nullable(),
  user_id: z.string(),
});
event("QueueItemsRetriedEvent", { ...base, queue_id: z.string(), retried_item_ids: z.array(z.number().int()) });
event("QueueClearedEvent", { ...base, queue_id: z.string() });
const model = { ...base, config: JsonObject, submodel_type: z.string().nullable() };
event("ModelLoadStartedEvent", model);
event("ModelLoadCompleteEvent", model);
const install = { ...base, id: z.number().int(), source: JsonObject };
event("ModelInstallStartedEvent", install);
event("ModelInstallDownloadsCompleteEvent", install);
event("ModelInstallCancelledEvent", install);
event("ModelInstallCompleteEvent", {
  ...install,
  key: z.string(),
  total_bytes: z.number().int().nullable(),
  config: JsonObject,
});
event("ModelInstallErrorEvent", { ...install, error_type: z.string(), error: z.string() });
const progress = {
  ...install,
  local_path: z.string(),
  bytes: z.number().int(),
  total_bytes: z.number().int(),
  parts: z.array(
    z.object({ url: z.string(), local_path: z.string(), bytes: z.number().int(), total_bytes: z.number().int() }),
  ),
};
event("ModelInstallDownloadStartedEvent", progress);
event("ModelInstallDownloadProgressEvent", progress);
const download = { ...base, source: z.string() };
event("DownloadStartedEvent", { ...download, download_path: z.string() });
event("DownloadProgressEvent", {
  ...download,
  download_path: z.string(),
  current_bytes: z.number().int(),
  total_bytes: z.number().int(),
});
event("DownloadCompleteEvent", { ...download, download_path: z.string(), total_bytes: z.number().int() });
event("DownloadCancelledEvent", download);
event("DownloadPausedEvent", download);
event("DownloadErrorEvent", { ...download, error_type: z.string(), error: z.string() });
const bulk = {
  ...base,
  bulk_download_id: z.string(),
  bulk_download_item_id: z.string(),
  bulk_download_item_name: z.string(),
};
event("BulkDownloadStartedEvent", bulk);
event("BulkDownloadCompleteEvent", bulk);
event("BulkDownloadErrorEvent", { ...bulk, error: z.string() });
