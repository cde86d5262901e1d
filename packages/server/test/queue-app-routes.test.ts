import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, graph, startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    allow_origins: ["http://ui.example"],
    remote_api_tokens: [{ url_regex: "example", token: "secret-token" }],
  });
});

afterAll(async () => {
  await server.dispose();
});

const Q = "/api/v1/queue/default";

async function waitFor(itemId: number): Promise<{ status: string }> {
  return (await api<{ status: string }>(server, "GET", `${Q}/i/${itemId}/wait?timeout=20`)).body;
}

async function enqueue(nodes: Record<string, Record<string, unknown>>, extra: Record<string, unknown> = {}) {
  return api<{
    item_ids: number[];
    batch: { batch_id: string };
    enqueued: number;
    requested: number;
    queue_id: string;
    priority: number;
  }>(server, "POST", `${Q}/enqueue_batch`, { batch: { graph: graph(nodes), runs: 1, ...extra }, prepend: false });
}

describe("queue routes", () => {
  it("enqueues batches with InvokeAI's result shape and runs zipped batch data", async () => {
    const result = await enqueue(
      { a: { type: "add", a: 1 } },
      { destination: "gallery", origin: "tests", data: [[{ node_path: "a", field_name: "b", items: [1, 2, 3] }]] },
    );
    expect(result.status).toBe(201);
    expect(result.body).toMatchObject({ queue_id: "default", enqueued: 3, requested: 3, priority: 0 });
    expect(result.body.item_ids).toHaveLength(3);
    for (const id of result.body.item_ids) expect((await waitFor(id)).status).toBe("completed");
    const items = await api<
      { item_id: number; field_values: unknown[]; session: { results: Record<string, { value: number }> } }[]
    >(server, "POST", `${Q}/items_by_ids`, { item_ids: [...result.body.item_ids].reverse() });
    expect(items.body.map((i) => i.item_id)).toEqual([...result.body.item_ids].reverse());
    expect(items.body.map((i) => i.session.results.a.value).sort()).toEqual([2, 3, 4]);
    expect(items.body[0].field_values).toHaveLength(1);
    const summaries = await api<Record<string, unknown>[]>(server, "POST", `${Q}/item_summaries_by_ids`, {
      item_ids: result.body.item_ids,
    });
    expect(Object.keys(summaries.body[0])).toEqual(
      expect.arrayContaining(["item_id", "status", "batch_id", "created_at", "destination"]),
    );
    const batch = await api<{ completed: number; total: number }>(
      server,
      "GET",
      `${Q}/b/${result.body.batch.batch_id}/status`,
    );
    expect(batch.body).toMatchObject({ completed: 3, total: 3 });
    const counts = await api<{ completed: number; destination: string }>(
      server,
      "GET",
      `${Q}/counts_by_destination?destination=gallery`,
    );
    expect(counts.body).toMatchObject({ destination: "gallery", completed: 3 });
    const ids = await api<{ item_ids: number[]; total_count: number }>(server, "GET", `${Q}/item_ids?order_dir=ASC`);
    expect(ids.body.total_count).toBeGreaterThanOrEqual(3);
    const all = await api<unknown[]>(server, "GET", `${Q}/list_all?destination=gallery`);
    expect(all.body).toHaveLength(3);
    const removed = await api<{ deleted: number }>(server, "DELETE", `${Q}/d/gallery`);
    expect(removed.body.deleted).toBe(3);
  });

  it("pauses, cancels pending items, retries them, and reports status", async () => {
    const paused = await api<{ is_started: boolean }>(server, "PUT", `${Q}/processor/pause`);
    expect(paused.body.is_started).toBe(false);
    const first = await enqueue({ s: { type: "test_sleep", ms: 10, value: 1 } });
    const second = await enqueue({ s: { type: "test_sleep", ms: 10, value: 2 } });
    const status = await api<{
      queue: { pending: number };
      processor: { is_started: boolean; is_processing: boolean };
    }>(server, "GET", `${Q}/status`);
    expect(status.body.queue.pending).toBe(2);
    expect(status.body.processor).toEqual({ is_started: false, is_processing: false });
    const next = await api<{ item_id: number }>(server, "GET", `${Q}/next`);
    expect(next.body.item_id).toBe(first.body.item_ids[0]);
    expect((await api(server, "GET", `${Q}/current`)).body).toBeNull();

    const canceled = await api<{ status: string }>(server, "PUT", `${Q}/i/${first.body.item_ids[0]}/cancel`);
    expect(canceled.body.status).toBe("canceled");
    const byBatch = await api<{ canceled: number }>(server, "PUT", `${Q}/cancel_by_batch_ids`, {
      batch_ids: [second.body.batch.batch_id],
    });
    expect(byBatch.body.canceled).toBe(1);
    // As InvokeAI, the result lists the items that were retried; the new item points back at its original.
    const retried = await api<{ retried_item_ids: number[] }>(server, "PUT", `${Q}/retry_items_by_id`, [
      first.body.item_ids[0],
    ]);
    expect(retried.body.retried_item_ids).toEqual([first.body.item_ids[0]]);
    const copies = (
      await api<{ item_id: number; retried_from_item_id: number | null }[]>(server, "GET", `${Q}/list_all`)
    ).body.filter((i) => i.retried_from_item_id === first.body.item_ids[0]);
    expect(copies).toHaveLength(1);
    const resumed = await api<{ is_started: boolean }>(server, "PUT", `${Q}/processor/resume`);
    expect(resumed.body.is_started).toBe(true);
    expect((await waitFor(copies[0].item_id)).status).toBe("completed");

    const pruned = await api<{ deleted: number }>(server, "PUT", `${Q}/prune`);
    expect(pruned.body.deleted).toBeGreaterThanOrEqual(3);
    const third = await enqueue({ s: { type: "test_sleep", ms: 2000 } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const current = await api<{ item_id: number }>(server, "GET", `${Q}/current`);
    expect(current.body.item_id).toBe(third.body.item_ids[0]);
    const exceptCurrent = await api<{ canceled: number }>(server, "PUT", `${Q}/cancel_all_except_current`);
    expect(exceptCurrent.body.canceled).toBe(0);
    const cleared = await api<{ deleted: number }>(server, "PUT", `${Q}/clear`);
    expect(cleared.body.deleted).toBeGreaterThanOrEqual(1);
    expect((await api(server, "GET", `${Q}/i/${third.body.item_ids[0]}`)).status).toBe(404);
    const after = await api<{ queue: { total: number } }>(server, "GET", `${Q}/status`);
    expect(after.body.queue.total).toBe(0);
  });

  it("deletes items, all but the current one, and cancels by destination", async () => {
    await api(server, "PUT", `${Q}/processor/pause`);
    const one = await enqueue({ s: { type: "test_sleep", ms: 10 } }, { destination: "canvas" });
    const two = await enqueue({ s: { type: "test_sleep", ms: 10 } }, { destination: "canvas" });
    const three = await enqueue({ s: { type: "test_sleep", ms: 10 } });
    expect((await api(server, "DELETE", `${Q}/i/${one.body.item_ids[0]}`)).status).toBe(200);
    expect((await api(server, "GET", `${Q}/i/${one.body.item_ids[0]}`)).status).toBe(404);
    const byDestination = await api<{ canceled: number }>(
      server,
      "PUT",
      `${Q}/cancel_by_destination?destination=canvas`,
    );
    expect(byDestination.body.canceled).toBe(1);
    expect((await api<{ status: string }>(server, "GET", `${Q}/i/${two.body.item_ids[0]}`)).body.status).toBe(
      "canceled",
    );
    const deleted = await api<{ deleted: number }>(server, "PUT", `${Q}/delete_all_except_current`);
    expect(deleted.body.deleted).toBeGreaterThanOrEqual(1);
    expect((await api(server, "GET", `${Q}/i/${three.body.item_ids[0]}`)).status).toBe(404);
    await api(server, "PUT", `${Q}/processor/resume`);
    await api(server, "PUT", `${Q}/clear`);
  });

  it("refuses bad batches whole, with errors naming the node and field", async () => {
    const unknownType = await enqueue({ x: { type: "no_such_node" } });
    expect(unknownType.status).toBe(422);
    expect(JSON.stringify(unknownType.body)).toContain("no_such_node");
    const badDatum = await api<{ message: string }>(server, "POST", `${Q}/enqueue_batch`, {
      batch: { graph: graph({ a: { type: "add" } }), data: [[{ node_path: "a", field_name: "zzz", items: [1] }]] },
    });
    expect(badDatum.status).toBeGreaterThanOrEqual(400);
    expect(badDatum.status).toBeLessThan(500);
    expect(badDatum.body.message).toContain("zzz");
    const noGraph = await api<{ detail: { loc: string[] }[] }>(server, "POST", `${Q}/enqueue_batch`, {
      batch: { runs: 1 },
    });
    expect(noGraph.status).toBe(422);
    expect(noGraph.body.detail[0].loc).toEqual(["body", "batch", "graph"]);
    const zeroRuns = await api<{ detail: { loc: string[] }[] }>(server, "POST", `${Q}/enqueue_batch`, {
      batch: { graph: graph({}), runs: 0 },
    });
    expect(zeroRuns.body.detail[0].loc).toEqual(["body", "batch", "runs"]);
    expect((await api(server, "GET", `${Q}/i/abc`)).status).toBe(422);
    expect((await api(server, "GET", `${Q}/i/424242`)).status).toBe(404);
    expect((await api(server, "PUT", `${Q}/i/424242/cancel`)).status).toBe(404);
    expect((await api(server, "PUT", `${Q}/cancel_by_destination`)).status).toBe(422);
    expect((await api(server, "PUT", `${Q}/retry_items_by_id`, { ids: [1] })).status).toBe(422);
  });
});

describe("app routes", () => {
  it("reports version, deps, runtime config without secrets, and the log level", async () => {
    expect((await api<{ version: string }>(server, "GET", "/api/v1/app/version")).body.version).toMatch(
      /^\d+\.\d+\.\d+/,
    );
    expect((await api<Record<string, string>>(server, "GET", "/api/v1/app/app_deps")).body.node).toBe(
      process.versions.node,
    );
    expect((await api(server, "GET", "/api/v1/app/patchmatch_status")).body).toBe(false);
    const config = await api<{ config: Record<string, unknown>; set_fields: string[] }>(
      server,
      "GET",
      "/api/v1/app/runtime_config",
    );
    expect(config.body.config.port).toBe(0);
    expect(config.body.config.remote_api_tokens).toBe("********");
    expect(JSON.stringify(config.body)).not.toContain("secret-token");
    expect(config.body.config).not.toHaveProperty("paths");
    expect((await api(server, "GET", "/api/v1/app/logging")).body).toBe(20);
    expect((await api(server, "POST", "/api/v1/app/logging", 5)).status).toBe(422);
    expect((await api(server, "POST", "/api/v1/app/logging", 40)).body).toBe(40);
    expect((await api(server, "GET", "/api/v1/app/logging")).body).toBe(40);
    expect((await api(server, "POST", "/api/v1/app/logging", 20)).body).toBe(20);
  });

  it("shows, disables, enables and clears the invocation cache", async () => {
    const cached = graph({ a: { type: "add", a: 20, b: 22 } });
    const before = (
      await api<{ hits: number; enabled: boolean; max_size: number }>(
        server,
        "GET",
        "/api/v1/app/invocation_cache/status",
      )
    ).body;
    expect(before.enabled).toBe(true);
    expect(before.max_size).toBe(512);
    for (let i = 0; i < 2; i++) {
      const run = await api<{ item_ids: number[] }>(server, "POST", "/api/v1/graphs/run", { graph: cached });
      await waitFor(run.body.item_ids[0]);
    }
    const after = (await api<{ hits: number; size: number }>(server, "GET", "/api/v1/app/invocation_cache/status"))
      .body;
    expect(after.hits).toBeGreaterThan(before.hits);
    expect(after.size).toBeGreaterThan(0);
    await api(server, "PUT", "/api/v1/app/invocation_cache/disable");
    expect((await api<{ enabled: boolean }>(server, "GET", "/api/v1/app/invocation_cache/status")).body.enabled).toBe(
      false,
    );
    await api(server, "PUT", "/api/v1/app/invocation_cache/enable");
    await api(server, "DELETE", "/api/v1/app/invocation_cache");
    const cleared = (
      await api<{ enabled: boolean; size: number }>(server, "GET", "/api/v1/app/invocation_cache/status")
    ).body;
    expect(cleared).toMatchObject({ enabled: true, size: 0 });
  });

  it("answers CORS preflights from configured origins only", async () => {
    const ok = await fetch(`${server.url}/api/v1/app/version`, {
      method: "OPTIONS",
      headers: { origin: "http://ui.example", "access-control-request-method": "GET" },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://ui.example");
    const other = await fetch(`${server.url}/api/v1/app/version`, { headers: { origin: "http://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});
