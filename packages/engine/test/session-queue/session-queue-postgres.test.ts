// The queue suite on a real PostgreSQL server (ATELIER_TEST_PG_URL, started by the global test setup when PostgreSQL
// is installed), plus what only matters with several workers: concurrent claims never take the same item.
import { afterAll, describe, expect, it } from "vitest";
import { postgresTarget, queueFixture, type QueueFixture } from "./queue-fixture.js";
import { defineQueueTests } from "./queue-suite.js";
import { graph } from "./queue-test-nodes.js";

const serverUrl = process.env.ATELIER_TEST_PG_URL;
const opened: QueueFixture[] = [];
afterAll(async () => {
  for (const f of opened) await f.opened.close().catch(() => undefined);
});

describe.skipIf(serverUrl === undefined || serverUrl === "")("SessionQueue on PostgreSQL", () => {
  defineQueueTests(() => postgresTarget(serverUrl!));

  it("lets several workers claim at once without ever taking the same item (FOR UPDATE SKIP LOCKED)", async () => {
    const target = await postgresTarget(serverUrl!);
    const first = await queueFixture(target);
    opened.push(first);
    // Three more processes' worth of queues on the same database, each with its own connection pool.
    const others = await Promise.all(
      [1, 2, 3].map(() => queueFixture({ config: target.config, cleanup: async () => undefined })),
    );
    opened.push(...others);
    const { item_ids: ids } = await first.queue.enqueueBatch("default", {
      graph: graph({ a: { type: "integer" } }),
      data: [[{ node_path: "a", field_name: "value", items: Array.from({ length: 60 }, (_, i) => i) }]],
    });
    const claimedBy = await Promise.all(
      [first, ...others].map(async (f) => {
        const mine: number[] = [];
        for (let item = await f.queue.claimNext("default"); item !== null; item = await f.queue.claimNext("default")) {
          mine.push(item.item_id);
          await f.queue.completeItem(item.item_id);
        }
        return mine;
      }),
    );
    const all = claimedBy.flat().sort((a, b) => a - b);
    expect(all).toEqual(ids);
    expect(await first.queue.getStatus("default")).toMatchObject({
      completed: 60,
      pending: 0,
      in_progress: 0,
      total: 60,
    });
    for (const f of others) await f.opened.close();
    await first.dispose();
    opened.length = 0;
  });
});
