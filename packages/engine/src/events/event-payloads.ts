// Payloads of every event, with InvokeAI's names and fields (events_common.py), so that InvokeAI's web client and
// scripts that listen on its socket read Atelier's events unchanged. Node, output and model config shapes are owned
// by other modules; here they are plain JSON objects.

/** A JSON object (node, node output, model config, model source). */
export type EventJsonObject = { [key: string]: unknown };

/** Every event carries the time it was emitted, in whole seconds since the epoch (InvokeAI's `EventBase`). */
export interface EventBase {
  timestamp: number;
}

/** Queue item status names. */
export type EventQueueItemStatus = "pending" | "in_progress" | "waiting" | "completed" | "failed" | "canceled";

/** Counts of one batch's items by status (InvokeAI's `BatchStatus`). */
export interface BatchStatusPayload {
  queue_id: string;
  batch_id: string;
  origin: string | null;
  destination: string | null;
  pending: number;
  in_progress: number;
  waiting: number;
  completed: number;
  failed: number;
  canceled: number;
  total: number;
}

/** Counts of the queue's items by status and the current item (InvokeAI's `SessionQueueStatus`). */
export interface SessionQueueStatusPayload {
  queue_id: string;
  item_id: number | null;
  batch_id: string | null;
  session_id: string | null;
  pending: number;
  in_progress: number;
  waiting: number;
  completed: number;
  failed: number;
  canceled: number;
  total: number;
  user_pending?: number | null;
  user_in_progress?: number | null;
}

/** Fields of every event about one queue item. */
export interface QueueItemEventBase extends EventBase {
  queue_id: string;
  item_id: number;
  batch_id: string;
  origin: string | null;
  destination: string | null;
  user_id: string;
}

/** Fields of every event about one node of a running session. */
export interface InvocationEventBase extends QueueItemEventBase {
  session_id: string;
  /** The node as JSON (collections blanked for iterate/collect nodes). */
  invocation: EventJsonObject;
  /** The node's id in the graph the user submitted (before iterate expansion). */
  invocation_source_id: string;
}

export type InvocationStartedPayload = InvocationEventBase;

export interface InvocationCompletePayload extends InvocationEventBase {
  /** The node's output as JSON. */
  result: EventJsonObject;
}

export interface InvocationErrorPayload extends InvocationEventBase {
  error_type: string;
  error_message: string;
  error_traceback: string;
}

/** A small preview image sent with progress. */
export interface EventProgressImage {
  width: number;
  height: number;
  /** A data: URL. */
  dataURL: string;
}

export interface InvocationProgressPayload extends InvocationEventBase {
  message: string;
  /** 0..1, or null when unknown. */
  percentage: number | null;
  image: EventProgressImage | null;
  device: string | null;
}

export interface QueueItemStatusChangedPayload extends QueueItemEventBase {
  status: EventQueueItemStatus;
  status_sequence: number | null;
  error_type: string | null;
  error_message: string | null;
  error_traceback: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
  session_id: string;
  batch_status: BatchStatusPayload;
  queue_status: SessionQueueStatusPayload;
}

export interface BatchEnqueuedPayload extends EventBase {
  queue_id: string;
  batch_id: string;
  enqueued: number;
  requested: number;
  priority: number;
  origin: string | null;
  user_id: string;
}

export interface QueueItemsRetriedPayload extends EventBase {
  queue_id: string;
  retried_item_ids: number[];
  user_ids: string[];
  retried_item_ids_by_user: Record<string, number[]>;
}

export interface QueueItemsCanceledPayload extends EventBase {
  queue_id: string;
  canceled_item_ids: number[];
  user_ids: string[];
  canceled_item_ids_by_user: Record<string, number[]>;
}

export interface QueueClearedPayload extends EventBase {
  queue_id: string;
  user_id: string | null;
}

export interface RecallParametersUpdatedPayload extends EventBase {
  queue_id: string;
  user_id: string;
  parameters: EventJsonObject;
}

/** Submodel names (InvokeAI's `EventSubModelType`). */
export type EventSubModelType =
  | "unet"
  | "transformer"
  | "transformer_2"
  | "text_encoder"
  | "text_encoder_2"
  | "text_encoder_3"
  | "tokenizer"
  | "tokenizer_2"
  | "tokenizer_3"
  | "pe"
  | "pe_tokenizer"
  | "vae"
  | "vae_decoder"
  | "vae_encoder"
  | "scheduler"
  | "safety_checker";

export interface ModelLoadPayload extends EventBase {
  /** The model config as JSON. */
  config: EventJsonObject;
  submodel_type: EventSubModelType | null;
  user_id: string;
}

/** Where a model is installed from: `{type: "local", path}`, `{type: "hf", repo_id, …}`, `{type: "url", url}`… */
export type ModelSourcePayload = EventJsonObject & { type: string };

/** Fields of every model install event; `id` is the install job id. */
export interface ModelInstallEventBase extends EventBase {
  id: number;
  source: ModelSourcePayload;
}

/** One file of a multi-file download. */
export interface DownloadPartPayload {
  url: string;
  local_path: string;
  bytes: number;
  total_bytes: number;
  [key: string]: unknown;
}

export interface ModelInstallDownloadPayload extends ModelInstallEventBase {
  local_path: string;
  bytes: number;
  total_bytes: number;
  parts: DownloadPartPayload[];
}

export type ModelInstallDownloadsCompletePayload = ModelInstallEventBase;
export type ModelInstallStartedPayload = ModelInstallEventBase;
export type ModelInstallCancelledPayload = ModelInstallEventBase;

export interface ModelInstallCompletePayload extends ModelInstallEventBase {
  /** Key of the installed model. */
  key: string;
  total_bytes: number | null;
  config: EventJsonObject;
}

export interface ModelInstallErrorPayload extends ModelInstallEventBase {
  error_type: string;
  error: string;
}

/** Fields of every download event; `source` is the URL. */
export interface DownloadEventBase extends EventBase {
  source: string;
}

export interface DownloadStartedPayload extends DownloadEventBase {
  download_path: string;
}

export interface DownloadProgressPayload extends DownloadEventBase {
  download_path: string;
  current_bytes: number;
  total_bytes: number;
}

export interface DownloadCompletePayload extends DownloadEventBase {
  download_path: string;
  total_bytes: number;
}

export type DownloadCancelledPayload = DownloadEventBase;
export type DownloadPausedPayload = DownloadEventBase;

export interface DownloadErrorPayload extends DownloadEventBase {
  error_type: string;
  error: string;
}

/** Fields of every bulk download (zip of images) event. */
export interface BulkDownloadPayload extends EventBase {
  bulk_download_id: string;
  bulk_download_item_id: string;
  bulk_download_item_name: string;
  user_id: string;
}

export interface BulkDownloadErrorPayload extends BulkDownloadPayload {
  error: string;
}

/** Every event name with its payload. */
export interface EventPayloads {
  invocation_started: InvocationStartedPayload;
  invocation_progress: InvocationProgressPayload;
  invocation_complete: InvocationCompletePayload;
  invocation_error: InvocationErrorPayload;
  queue_item_status_changed: QueueItemStatusChangedPayload;
  batch_enqueued: BatchEnqueuedPayload;
  queue_items_retried: QueueItemsRetriedPayload;
  queue_items_canceled: QueueItemsCanceledPayload;
  queue_cleared: QueueClearedPayload;
  recall_parameters_updated: RecallParametersUpdatedPayload;
  model_load_started: ModelLoadPayload;
  model_load_complete: ModelLoadPayload;
  model_install_download_started: ModelInstallDownloadPayload;
  model_install_download_progress: ModelInstallDownloadPayload;
  model_install_downloads_complete: ModelInstallDownloadsCompletePayload;
  model_install_started: ModelInstallStartedPayload;
  model_install_complete: ModelInstallCompletePayload;
  model_install_cancelled: ModelInstallCancelledPayload;
  model_install_error: ModelInstallErrorPayload;
  download_started: DownloadStartedPayload;
  download_progress: DownloadProgressPayload;
  download_complete: DownloadCompletePayload;
  download_cancelled: DownloadCancelledPayload;
  download_paused: DownloadPausedPayload;
  download_error: DownloadErrorPayload;
  bulk_download_started: BulkDownloadPayload;
  bulk_download_complete: BulkDownloadPayload;
  bulk_download_error: BulkDownloadErrorPayload;
}

/** Every event name. */
export type EventName = keyof EventPayloads;

/** One event: its name and payload, discriminated by name. */
export type AtelierEvent = { [K in EventName]: { name: K; payload: EventPayloads[K] } }[EventName];
