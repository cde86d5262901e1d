import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, graph, startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.dispose();
});

// Bounded counts on loopback; the test checks answers and bookkeeping, never timings.
const LISTS = 200;
const ENQUEUES = 50;

describe("load on a running server", () => {
  it(`answers ${LISTS} concurrent list requests and ${ENQUEUES} concurrent enqueues with no error and no lost item`, async () => {
    const listPaths = [
      "/api/v1/images/?limit=10",
      "/api/v1/boards/?all=true",
      "/api/v1/queue/default/list_all",
      "/api/v1/queue/default/status",
      "/api/v1/workflows/",
    ];
    const lists = Array.from({ length: LISTS }, (_, i) => api(server, "GET", listPaths[i % listPaths.length]));
    const enqueues = Array.from({ length: ENQUEUES }, (_, i) =>
      api<{ item_ids: number[] }>(server, "POST", "/api/v1/queue/default/enqueue_batch", {
        batch: { graph: graph({ a: { type: "add", a: i, b: 1000 } }), runs: 1 },
      }),
    );
    const [listed, enqueued] = await Promise.all([Promise.all(lists), Promise.all(enqueues)]);

    expect(listed.filter((r) => r.status !== 200).map((r) => r.status)).toEqual([]);
    expect(enqueued.filter((r) => r.status !== 201).map((r) => r.status)).toEqual([]);
    const ids = enqueued.flatMap((r) => r.body.item_ids);
    expect(new Set(ids).size).toBe(ENQUEUES);

    const results = new Map<number, number>();
    for (const id of ids) {
      const waited = await api<{ status: string; outputs: { a: { value: number } } }>(
        server,
        "GET",
        `/api/v1/queue/default/i/${id}/wait?timeout=60`,
      );
      expect(waited.body.status).toBe("completed");
      results.set(id, waited.body.outputs.a.value);
    }
    expect([...results.values()].sort((x, y) => x - y)).toEqual(Array.from({ length: ENQUEUES }, (_, i) => i + 1000));

    const all = await api<{ item_id: number }[]>(server, "GET", "/api/v1/queue/default/list_all");
    const listedIds = new Set(all.body.map((i) => i.item_id));
    for (const id of ids) expect(listedIds.has(id)).toBe(true);
    const status = await api<{ queue: { completed: number; failed: number; pending: number } }>(
      server,
      "GET",
      "/api/v1/queue/default/status",
    );
    expect(status.body.queue).toMatchObject({ completed: ENQUEUES, failed: 0, pending: 0 });
  });
});
