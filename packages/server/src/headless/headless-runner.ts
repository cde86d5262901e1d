import type { NodeTypeLookup } from "@atelier/core";
import {
  collectRunOutputs,
  prepareHeadlessBatch,
  type BatchNodeExpander,
  type RunDocument,
  type StoredSessionView,
} from "@atelier/engine";
import type { SubscribeAll } from "../events/socket-bridge.js";
import type { HeadlessPort, HeadlessRunOptions } from "../routes/headless-routes.js";
import type { BatchInput, QueuePort } from "../routes/queue-routes.js";

const TERMINAL = new Set(["completed", "failed", "canceled"]);

/** The fields of a queue item the runner reads. */
interface QueueItemView {
  item_id: number;
  status: string;
  session_id: string;
  session: StoredSessionView;
  error_type?: string | null;
  error_message?: string | null;
}

/** What an enqueue returns, as far as the runner reads it. */
interface EnqueueView {
  queue_id: string;
  enqueued: number;
  requested: number;
  priority: number;
  item_ids: number[];
  batch: { batch_id?: string };
}

/** Runs documents headlessly through the session queue and waits for items to end, for routes and the CLI. */
export class HeadlessRunner implements Omit<HeadlessPort, "workflows"> {
  constructor(
    private readonly deps: {
      queue: Pick<QueuePort, "enqueueBatch" | "getItem">;
      subscribe: SubscribeAll;
      lookup: NodeTypeLookup;
      /** Builds the batch node expander for a graph (board contents of image generators are read ahead here). */
      batchExpander: (graph: RunDocument["graph"]) => Promise<BatchNodeExpander>;
      /** Turns inputs given by name (models) into the values their fields take. */
      resolveInputs?: (
        graph: RunDocument["graph"],
        inputs: Readonly<Record<string, unknown>>,
      ) => Promise<Record<string, unknown>>;
    },
  ) {}

  /** Applies the inputs, expands batch nodes, enqueues, and returns what was enqueued with the first item. */
  async run(document: RunDocument, options: HeadlessRunOptions): ReturnType<HeadlessPort["run"]> {
    const inputs = this.deps.resolveInputs
      ? await this.deps.resolveInputs(document.graph, options.inputs)
      : options.inputs;
    const batch = prepareHeadlessBatch(document, inputs, {
      lookup: this.deps.lookup,
      expandBatchNodes: await this.deps.batchExpander(document.graph),
      origin: options.origin,
      destination: options.destination,
    });
    const enqueued = (await this.deps.queue.enqueueBatch(
      options.queue_id,
      batch as unknown as BatchInput,
      options.prepend,
    )) as EnqueueView;
    const first = enqueued.item_ids[0];
    const item = first === undefined ? null : await this.deps.queue.getItem(options.queue_id, first);
    return {
      queue_id: enqueued.queue_id,
      batch_id: String(enqueued.batch.batch_id ?? ""),
      item_ids: enqueued.item_ids,
      enqueued: enqueued.enqueued,
      requested: enqueued.requested,
      priority: enqueued.priority,
      item,
      exposed_fields: document.exposedFields,
    };
  }

  /** Resolves when the item is completed, failed or canceled, or when `timeoutMs` passes; with its outputs. */
  async wait(queueId: string, itemId: number, timeoutMs: number): ReturnType<HeadlessPort["wait"]> {
    let timedOut = false;
    // Subscribe before reading the item, so an end that happens in between is not missed.
    let unsubscribe = () => {};
    let timer: NodeJS.Timeout | undefined;
    const ended = new Promise<void>((resolve) => {
      unsubscribe = this.deps.subscribe((event) => {
        if (event.name !== "queue_item_status_changed") return;
        if (
          event.payload.item_id === itemId &&
          event.payload.queue_id === queueId &&
          TERMINAL.has(event.payload.status)
        )
          resolve();
      });
      if (timeoutMs < 2 ** 31 - 1) {
        timer = setTimeout(() => {
          timedOut = true;
          resolve();
        }, timeoutMs);
      }
    });
    try {
      const before = (await this.deps.queue.getItem(queueId, itemId)) as QueueItemView;
      if (!TERMINAL.has(before.status)) await ended;
    } finally {
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
    }
    const item = (await this.deps.queue.getItem(queueId, itemId)) as QueueItemView;
    const done = TERMINAL.has(item.status);
    const collected = collectRunOutputs(item.session ?? {});
    const error =
      collected.error ??
      (item.status === "failed" || item.status === "canceled"
        ? {
            node_id: null,
            error_type: item.error_type ?? (item.status === "canceled" ? "CanceledError" : "Error"),
            error_message: item.error_message ?? `The queue item was ${item.status}`,
          }
        : null);
    return {
      queue_id: queueId,
      item_id: itemId,
      session_id: item.session_id,
      status: item.status as "completed",
      done,
      timed_out: timedOut && !done,
      outputs: collected.outputs,
      images: collected.images.map((image) => ({
        ...image,
        image_url: `api/v1/images/i/${image.image_name}/full`,
        thumbnail_url: `api/v1/images/i/${image.image_name}/thumbnail`,
      })),
      error: item.status === "completed" ? null : error,
    };
  }
}
