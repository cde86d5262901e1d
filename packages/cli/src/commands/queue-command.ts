import { AtelierError } from "@atelier/core";
import { Command } from "commander";
import { ApiClient } from "../api-client.js";
import type { CliIo } from "../cli-io.js";

/** The queue fields `atelier queue list` prints. */
interface QueueItemRow {
  item_id: number;
  status: string;
  batch_id: string;
  created_at: string;
  error_type?: string | null;
  error_message?: string | null;
}

interface QueueStatusBody {
  queue: Record<string, number | string | null>;
  processor: { is_started: boolean; is_processing: boolean };
}

const DEFAULT_URL = "http://127.0.0.1:9090";

function parseItemIds(values: string[]): number[] {
  return values.map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) {
      throw new AtelierError("invalid_item_id", `"${v}" is not a queue item id (a whole number)`, {
        details: { value: v },
      });
    }
    return n;
  });
}

/** `atelier queue list|status|cancel|retry|clear` against a running server. */
export function queueCommand(io: CliIo): Command {
  const queue = new Command("queue").description("Inspect and control the queue of a running server");
  const common = (cmd: Command) =>
    cmd
      .option("--url <url>", "server URL", process.env.ATELIER_URL ?? DEFAULT_URL)
      .option("--queue <queue_id>", "queue id", "default")
      .option("--json", "print JSON");
  const client = (opts: { url: string }) => new ApiClient(opts.url);
  const base = (opts: { queue: string }) => `api/v1/queue/${encodeURIComponent(opts.queue)}`;

  common(queue.command("list").description("List the queue's items")).action(async (opts) => {
    const items = await client(opts).request<QueueItemRow[]>("GET", `${base(opts)}/list_all`);
    if (opts.json) return io.out(JSON.stringify(items, null, 2));
    if (items.length === 0) return io.out("The queue is empty.");
    for (const item of items) {
      const error = item.error_type ? `  ${item.error_type}: ${item.error_message ?? ""}` : "";
      io.out(
        `${String(item.item_id).padStart(6)}  ${item.status.padEnd(11)}  ${item.created_at}  batch ${item.batch_id}${error}`,
      );
    }
  });

  common(queue.command("status").description("Show counts per status and whether the processor runs")).action(
    async (opts) => {
      const status = await client(opts).request<QueueStatusBody>("GET", `${base(opts)}/status`);
      if (opts.json) return io.out(JSON.stringify(status, null, 2));
      const q = status.queue;
      io.out(
        `pending ${q.pending}, in progress ${q.in_progress}, completed ${q.completed}, failed ${q.failed}, canceled ${q.canceled}, total ${q.total}`,
      );
      io.out(
        `processor: ${status.processor.is_started ? "started" : "paused"}${status.processor.is_processing ? ", processing" : ""}`,
      );
      if (q.item_id !== null && q.item_id !== undefined) io.out(`current item: ${q.item_id}`);
    },
  );

  common(queue.command("cancel").description("Cancel queue items").argument("<item_ids...>", "queue item ids")).action(
    async (ids: string[], opts) => {
      for (const id of parseItemIds(ids)) {
        const item = await client(opts).request<QueueItemRow>("PUT", `${base(opts)}/i/${id}/cancel`);
        io.out(opts.json ? JSON.stringify(item) : `item ${item.item_id}: ${item.status}`);
      }
    },
  );

  common(
    queue.command("retry").description("Retry failed or canceled items").argument("<item_ids...>", "queue item ids"),
  ).action(async (ids: string[], opts) => {
    const result = await client(opts).request<{ retried_item_ids: number[] }>(
      "PUT",
      `${base(opts)}/retry_items_by_id`,
      parseItemIds(ids),
    );
    io.out(opts.json ? JSON.stringify(result) : `retried: ${result.retried_item_ids.join(", ") || "none"}`);
  });

  common(queue.command("clear").description("Cancel the running item and delete every item")).action(async (opts) => {
    const result = await client(opts).request<{ deleted: number }>("PUT", `${base(opts)}/clear`);
    io.out(opts.json ? JSON.stringify(result) : `deleted ${result.deleted} items`);
  });

  return queue;
}
