// The queue runtime (queue + cache + processor) on real services (temp root, SQLite file, files on disk), with every
// event recorded.
import {
  createQueueRuntime,
  type AtelierEvent,
  type QueueItemStatus,
  type QueueRuntime,
  type QueueRuntimeOptions,
  type SessionQueueItem,
} from "@atelier/engine";
import type { NodeRegistry } from "@atelier/core";
import { testServices, type TestServices } from "../services/service-fixture.js";
import { resetTestNodes, testRegistry } from "../session-queue/queue-test-nodes.js";

/** Services, the runtime on them, and the events seen. */
export interface RuntimeFixture {
  fx: TestServices;
  rt: QueueRuntime;
  seen: AtelierEvent[];
  payloads<K extends AtelierEvent["name"]>(name: K): Extract<AtelierEvent, { name: K }>["payload"][];
  /** Polls until the item has one of `statuses` (default: any terminal one). */
  waitFor(itemId: number, statuses?: QueueItemStatus[], timeoutMs?: number): Promise<SessionQueueItem>;
  /** Polls until the processor runs no item (its run has fully ended). */
  idle(timeoutMs?: number): Promise<void>;
  /** Resolves at the next invocation_started of a node with this source id. */
  started(sourceId: string, timeoutMs?: number): Promise<void>;
  dispose(): Promise<void>;
}

/** Builds services on a temp root and the queue runtime on them. */
export async function runtimeFixture(
  options: {
    overrides?: Record<string, unknown>;
    runtime?: QueueRuntimeOptions;
    root?: string;
    registry?: NodeRegistry;
  } = {},
): Promise<RuntimeFixture> {
  resetTestNodes();
  const fx = await testServices({
    registry: options.registry ?? testRegistry(),
    overrides: options.overrides,
    ...(options.root ? { root: options.root } : {}),
  });
  const seen: AtelierEvent[] = [];
  fx.services.events.onAny((e) => {
    seen.push(e);
  });
  const rt = await createQueueRuntime(fx.services, { pollIntervalMs: 50, ...options.runtime });
  const fixture: RuntimeFixture = {
    fx,
    rt,
    seen,
    payloads: (name) => seen.filter((e) => e.name === name).map((e) => e.payload) as never,
    async waitFor(itemId, statuses = ["completed", "failed", "canceled"], timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const item = await rt.queue.getItem("default", itemId);
        if (statuses.includes(item.status)) return item;
        if (Date.now() > until) throw new Error(`item ${itemId} is still ${item.status} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async idle(timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (rt.processor.getStatus().is_processing) {
        if (Date.now() > until) throw new Error(`the processor is still running item ${rt.processor.currentItemId}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    started(sourceId, timeoutMs = 20_000) {
      return fx.services.events
        .waitFor("invocation_started", (p) => p.invocation_source_id === sourceId, timeoutMs)
        .then(() => undefined);
    },
    async dispose() {
      await rt.close({ graceMs: 2000 });
      await fx.dispose();
    },
  };
  return fixture;
}
