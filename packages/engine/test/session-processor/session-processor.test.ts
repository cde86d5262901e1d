import { afterEach, describe, expect, it } from "vitest";
import type { ExecutionStateJSON } from "@atelier/core";
import { runtimeFixture, type RuntimeFixture } from "./runtime-fixture.js";
import {
  addChain,
  graph,
  invocations,
  iterateGraph,
  pollContexts,
  pollObservations,
  spans,
} from "../session-queue/queue-test-nodes.js";

const Q = "default";
const fixtures: RuntimeFixture[] = [];

async function setup(options: Parameters<typeof runtimeFixture>[0] = {}): Promise<RuntimeFixture> {
  const f = await runtimeFixture(options);
  fixtures.push(f);
  return f;
}

afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.dispose();
});

function results(item: { session: ExecutionStateJSON }): Record<string, Record<string, unknown>> {
  return item.session.results as Record<string, Record<string, unknown>>;
}

describe("SessionProcessor", () => {
  it("runs a chain to completion, stores the session and emits started/complete per node with the typed output", async () => {
    const f = await setup();
    const {
      item_ids: [id],
    } = await f.rt.queue.enqueueBatch(Q, { graph: addChain(5) });
    const item = await f.waitFor(id);
    expect(item.status).toBe("completed");
    expect(results(item).n4).toEqual({ value: 5, type: "integer_output" });
    expect(item.session.executed_history).toEqual(["n0", "n1", "n2", "n3", "n4"]);
    const mine = f.seen.filter((e) => (e.payload as { session_id?: string }).session_id === item.session_id);
    const trace = mine.map(
      (e) =>
        `${e.name}:${(e.payload as { invocation_source_id?: string; status?: string }).invocation_source_id ?? (e.payload as { status: string }).status}`,
    );
    expect(trace).toEqual([
      "queue_item_status_changed:in_progress",
      ...["n0", "n1", "n2", "n3", "n4"].flatMap((n) => [`invocation_started:${n}`, `invocation_complete:${n}`]),
      "queue_item_status_changed:completed",
    ]);
    const complete = f.payloads("invocation_complete").find((p) => p.invocation_source_id === "n2")!;
    expect(complete.result).toEqual({ value: 3, type: "integer_output" });
    expect(complete).toMatchObject({ queue_id: Q, item_id: id, batch_id: item.batch_id, user_id: "system" });
    expect(complete.invocation).toMatchObject({
      id: "n2",
      type: "add",
      a: 2,
      b: 1,
      use_cache: true,
      is_intermediate: false,
    });
    expect(f.payloads("queue_item_status_changed").at(-1)?.queue_status).toMatchObject({
      completed: 1,
      in_progress: 0,
    });
  });

  it("stores the session only once the object files saved so far are written", async () => {
    let open!: () => void;
    const written = new Promise<void>((resolve) => (open = resolve));
    let waits = 0;
    const f = await setup({
      runtime: {
        persistObjects: async () => {
          waits++;
          await written;
        },
      },
    });
    const {
      item_ids: [id],
    } = await f.rt.queue.enqueueBatch(Q, { graph: addChain(3) });
    const deadline = Date.now() + 10_000;
    while (f.payloads("invocation_complete").length < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    expect(waits).toBe(1);
    expect((await f.rt.queue.getItem(Q, id)).status).toBe("in_progress"); // every node ran; the files are not written
    open();
    expect((await f.waitFor(id)).status).toBe("completed");
  });

  it("runs range → iterate → add → collect, blanking collections in events, and stores each value once", async () => {
    const f = await setup();
    const {
      item_ids: [id],
    } = await f.rt.queue.enqueueBatch(Q, { graph: iterateGraph(6) });
    const item = await f.waitFor(id);
    expect(item.status).toBe("completed");
    expect(results(item).col).toEqual({ collection: [1, 2, 3, 4, 5, 6], type: "collect_output" });
    expect(results(item)["it#3"]).toEqual({ item: 3, index: 3, total: 6, type: "iterate_output" });
    const iterStarts = f.payloads("invocation_started").filter((p) => p.invocation_source_id === "it");
    expect(iterStarts).toHaveLength(6);
    expect(
      iterStarts.every(
        (p) => Array.isArray(p.invocation.collection) && (p.invocation.collection as unknown[]).length === 0,
      ),
    ).toBe(true);
    expect(iterStarts.map((p) => p.invocation.id)).toEqual(["it#0", "it#1", "it#2", "it#3", "it#4", "it#5"]);
  });

  it("fails an item whose node throws, records the error, emits invocation_error, and goes on with the next item", async () => {
    const f = await setup();
    const bad = await f.rt.queue.enqueueBatch(Q, {
      graph: graph(
        { a: { type: "integer", value: 1 }, f: { type: "test_fail", message: "kaput" }, c: { type: "add" } },
        ["a.value -> f.value", "f.value -> c.a"],
      ),
    });
    const good = await f.rt.queue.enqueueBatch(Q, { graph: addChain(2) });
    const failed = await f.waitFor(bad.item_ids[0]);
    expect(failed).toMatchObject({ status: "failed", error_type: "RangeError", error_message: "kaput" });
    expect(failed.error_traceback).toContain("RangeError: kaput");
    expect(failed.session.errors).toHaveProperty("f");
    expect(Object.keys(results(failed))).toEqual(["a"]);
    expect(f.payloads("invocation_error")).toEqual([
      expect.objectContaining({
        invocation_source_id: "f",
        error_type: "RangeError",
        error_message: "kaput",
        item_id: bad.item_ids[0],
      }),
    ]);
    expect(f.payloads("invocation_error")[0].error_traceback).toContain("RangeError: kaput");
    expect(
      f.payloads("invocation_started").some((p) => p.invocation_source_id === "c" && p.item_id === bad.item_ids[0]),
    ).toBe(false);
    expect((await f.waitFor(good.item_ids[0])).status).toBe("completed");
  });

  it("checks inputs before invoke and fails with a typed error naming the node and the field", async () => {
    const f = await setup();
    const {
      item_ids: [id],
    } = await f.rt.queue.enqueueBatch(Q, { graph: graph({ x: { type: "test_needs_edge" } }) });
    const item = await f.waitFor(id);
    expect(item.status).toBe("failed");
    expect(item.error_type).toBe("RequiredConnectionError");
    expect(item.error_message).toBe('Node test_needs_edge missing connections for field value (node id "x")');
  });

  it("fails the item when an iterate gets something that is not a list, naming the node", async () => {
    const f = await setup();
    const {
      item_ids: [id],
    } = await f.rt.queue.enqueueBatch(Q, {
      graph: graph(
        { pick: { type: "if", condition: true, true_input: 5 }, it: { type: "iterate" }, plus: { type: "add" } },
        ["pick.value -> it.collection", "it.item -> plus.a"],
      ),
    });
    const item = await f.waitFor(id);
    expect(item.status).toBe("failed");
    expect(item.error_type).toBe("IterateCollectError");
    expect(item.error_message).toContain('Iterate node "it"');
    expect(item.error_message).toContain("pick.value produced number");
  });

  describe("cancel", () => {
    it("canceling a pending item never touches the running one", async () => {
      const f = await setup();
      const running = await f.rt.queue.enqueueBatch(Q, {
        graph: graph({ s: { type: "test_sleep", ms: 300, value: 7 } }),
      });
      const pending = await f.rt.queue.enqueueBatch(Q, {
        graph: graph({ s: { type: "test_sleep", ms: 1, value: 8 } }),
      });
      await f.started("s");
      await f.rt.queue.cancelItem(Q, pending.item_ids[0]);
      const done = await f.waitFor(running.item_ids[0]);
      expect(done.status).toBe("completed");
      expect(results(done).s).toEqual({ value: 7, type: "integer_output" });
      expect((await f.rt.queue.getItem(Q, pending.item_ids[0])).status).toBe("canceled");
      expect(invocations.test_sleep).toBe(1);
    });

    it("canceling the running item flips isCanceled() and aborts the signal at once, and stops at the node boundary", async () => {
      const f = await setup();
      const {
        item_ids: [id],
      } = await f.rt.queue.enqueueBatch(Q, {
        graph: graph({ p: { type: "test_poll", ms: 10_000 }, after: { type: "add" } }, ["p.value -> after.a"]),
      });
      await f.started("p");
      const began = Date.now();
      const canceled = await f.rt.queue.cancelItem(Q, id);
      expect(canceled.status).toBe("canceled");
      expect(pollContexts[0].util.isCanceled()).toBe(true);
      expect(pollContexts[0].util.signal.aborted).toBe(true);
      await f.idle();
      expect(Date.now() - began).toBeLessThan(5000);
      expect(pollObservations).toEqual([{ canceled: true, aborted: true }]);
      expect(f.payloads("invocation_started").map((p) => p.invocation_source_id)).toEqual(["p"]);
      expect(f.payloads("invocation_error")).toEqual([]);
      const item = await f.rt.queue.getItem(Q, id);
      expect(item.status).toBe("canceled");
      expect(item.session.results).toEqual({});
      expect(f.rt.processor.getStatus().is_processing).toBe(false);
    });

    it("a node that awaits the AbortSignal stops mid-node; the next item then runs", async () => {
      const f = await setup();
      const first = await f.rt.queue.enqueueBatch(Q, { graph: graph({ s: { type: "test_sleep", ms: 10_000 } }) });
      const second = await f.rt.queue.enqueueBatch(Q, { graph: addChain(1) });
      await f.started("s");
      await f.rt.queue.cancelItem(Q, first.item_ids[0]);
      expect((await f.waitFor(second.item_ids[0])).status).toBe("completed");
      expect((await f.rt.queue.getItem(Q, first.item_ids[0])).status).toBe("canceled");
      expect(spans).toEqual([]);
    });

    it("a cancel written by another process stops the run at its next checkpoint", async () => {
      const f = await setup({ runtime: { checkpointIntervalMs: 0 } });
      const chain = graph(
        Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`s${i}`, { type: "test_sleep", ms: 60, value: i }])),
        Array.from({ length: 5 }, (_, i) => `s${i}.value -> s${i + 1}.value`),
      );
      const {
        item_ids: [id],
      } = await f.rt.queue.enqueueBatch(Q, { graph: chain });
      await f.started("s1");
      // Another process cancels: the row changes, but no in-process listener hears of it.
      await f.fx.services.db
        .updateTable("session_queue")
        .set({ status: "canceled" })
        .where("item_id", "=", id)
        .execute();
      await f.idle();
      const item = await f.rt.queue.getItem(Q, id);
      expect(item.status).toBe("canceled");
      expect(invocations.test_sleep).toBeLessThanOrEqual(3);
      expect(f.rt.processor.getStatus().is_processing).toBe(false);
    });

    it("canceling after completion changes nothing", async () => {
      const f = await setup();
      const {
        item_ids: [id],
      } = await f.rt.queue.enqueueBatch(Q, { graph: addChain(1) });
      const done = await f.waitFor(id);
      const after = await f.rt.queue.cancelItem(Q, id);
      expect([after.status, after.status_sequence, after.completed_at]).toEqual([
        "completed",
        done.status_sequence,
        done.completed_at,
      ]);
    });
  });

  it("pauses and resumes; reports is_started and is_processing", async () => {
    const f = await setup();
    expect(f.rt.processor.getStatus()).toEqual({ is_started: true, is_processing: false });
    expect(f.rt.processor.pause()).toEqual({ is_started: false, is_processing: false });
    const {
      item_ids: [id],
    } = await f.rt.queue.enqueueBatch(Q, { graph: graph({ s: { type: "test_sleep", ms: 300 } }) });
    await new Promise((r) => setTimeout(r, 250));
    expect((await f.rt.queue.getItem(Q, id)).status).toBe("pending");
    f.rt.processor.resume();
    await f.started("s");
    expect(f.rt.processor.getStatus()).toEqual({ is_started: true, is_processing: true });
    expect((await f.waitFor(id)).status).toBe("completed");
    expect(f.rt.processor.getStatus().is_processing).toBe(false);
  });

  it("shuts down gracefully: lets a short item finish, fails one that outlasts the grace period", async () => {
    const f = await setup();
    const short = await f.rt.queue.enqueueBatch(Q, { graph: graph({ s: { type: "test_sleep", ms: 200 } }) });
    await f.started("s");
    await f.rt.processor.stop({ graceMs: 5000 });
    expect((await f.rt.queue.getItem(Q, short.item_ids[0])).status).toBe("completed");
    expect(f.rt.processor.getStatus()).toEqual({ is_started: false, is_processing: false });

    f.rt.processor.start();
    const long = await f.rt.queue.enqueueBatch(Q, { graph: graph({ p: { type: "test_poll", ms: 20_000 } }) });
    await f.started("p");
    const began = Date.now();
    await f.rt.processor.stop({ graceMs: 100 });
    expect(Date.now() - began).toBeLessThan(5000);
    const item = await f.waitFor(long.item_ids[0]);
    expect(item.status).toBe("failed");
    expect(item.error_type).toBe("ProcessorShutdownError");
    expect(item.error_message).toMatch(/session processor shut down/);
  });

  it("runs ready nodes of one session in parallel up to max_concurrent_nodes", async () => {
    const twoSleeps = graph(
      { s1: { type: "test_sleep", ms: 150 }, s2: { type: "test_sleep", ms: 150 }, sum: { type: "add" } },
      ["s1.value -> sum.a", "s2.value -> sum.b"],
    );
    const overlap = () => {
      const [a, b] = spans;
      return Math.min(a.ended, b.ended) - Math.max(a.started, b.started);
    };
    const parallel = await setup({ overrides: { max_concurrent_nodes: 2 } });
    const p = await parallel.rt.queue.enqueueBatch(Q, { graph: twoSleeps });
    expect((await parallel.waitFor(p.item_ids[0])).status).toBe("completed");
    expect(overlap()).toBeGreaterThan(50);

    const serial = await setup({ overrides: { max_concurrent_nodes: 1 } });
    const s = await serial.rt.queue.enqueueBatch(Q, { graph: twoSleeps });
    expect((await serial.waitFor(s.item_ids[0])).status).toBe("completed");
    expect(overlap()).toBeLessThanOrEqual(0);
  });

  it("never runs two GPU-bound nodes of a session at once, while CPU nodes still overlap", async () => {
    const f = await setup({ overrides: { max_concurrent_nodes: 4 } });
    const mixed = graph({
      g1: { type: "test_gpu_sleep", ms: 120 },
      g2: { type: "test_gpu_sleep", ms: 120 },
      c1: { type: "test_sleep", ms: 120 },
      c2: { type: "test_sleep", ms: 120 },
    });
    const { item_ids } = await f.rt.queue.enqueueBatch(Q, { graph: mixed });
    expect((await f.waitFor(item_ids[0])).status).toBe("completed");
    const span = (id: string) => spans.find((s) => s.id === id)!;
    const overlap = (a: string, b: string) =>
      Math.min(span(a).ended, span(b).ended) - Math.max(span(a).started, span(b).started);
    expect(spans).toHaveLength(4);
    expect(overlap("g1", "g2")).toBeLessThanOrEqual(0);
    expect(overlap("c1", "c2")).toBeGreaterThan(50);
  });

  it("keeps per-node statistics and logs them as a table per session", async () => {
    const f = await setup();
    const {
      item_ids: [id],
    } = await f.rt.queue.enqueueBatch(Q, { graph: iterateGraph(4) });
    const item = await f.waitFor(id);
    await f.idle();
    const stats = f.rt.processor.lastStats!;
    expect(stats.graph_execution_state_id).toBe(item.session_id);
    const calls = Object.fromEntries(stats.node_stats.map((s) => [s.node_type, s.num_calls]));
    expect(calls).toEqual({ range: 1, iterate: 4, add: 4, collect: 1 });
    expect(stats.peak_rss_gb).toBeGreaterThan(0);
    const table = f.fx.logs.find(
      (l) => typeof l.msg === "string" && (l.msg as string).startsWith(`Graph stats: ${item.session_id}`),
    );
    expect(table?.msg).toMatch(/iterate\s+4\s+0\s+\d+\.\d{3}s/);
    expect(table?.msg).toMatch(/TOTAL GRAPH EXECUTION TIME/);
  });

  it("sends a node's progress events before its invocation_complete", async () => {
    const f = await setup();
    const {
      item_ids: [id],
    } = await f.rt.queue.enqueueBatch(Q, { graph: graph({ pr: { type: "test_progress" } }) });
    await f.waitFor(id);
    const names = f.seen
      .filter((e) => (e.payload as { invocation_source_id?: string }).invocation_source_id === "pr")
      .map((e) => (e.name === "invocation_progress" ? `progress:${e.payload.message}` : e.name));
    expect(names).toEqual(["invocation_started", "progress:first", "progress:second", "invocation_complete"]);
  });
});
