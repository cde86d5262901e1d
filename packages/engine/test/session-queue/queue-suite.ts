// The session queue's behaviour, run on SQLite and on PostgreSQL (see the two *.test.ts files beside this one).
import { afterEach, describe, expect, it } from "vitest";
import { UnknownNodeTypeError } from "@atelier/core";
import {
  BatchDuplicateNodeFieldError,
  BatchFieldConnectedError,
  BatchFieldNotFoundError,
  BatchFieldValueError,
  BatchIdInUseError,
  BatchItemsTypeError,
  BatchNodeNotFoundError,
  BatchShapeError,
  BatchZippedLengthError,
  InvalidBatchError,
  QueueItemNotFoundError,
  type QueueTransition,
} from "@atelier/engine";
import { queueFixture, type DatabaseTarget, type QueueFixture } from "./queue-fixture.js";
import { graph } from "./queue-test-nodes.js";

const Q = "default";

/** A 3-node graph: a (integer) → b (add) → c (add). */
function threeNodes() {
  return graph(
    {
      a: { type: "integer", value: 1 },
      b: { type: "add", b: 2 },
      c: { type: "add", b: 3 },
      s: { type: "string", value: "x" },
    },
    ["a.value -> b.a", "b.value -> c.a"],
  );
}

async function error(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e as Error,
  );
}

/** Registers the queue behaviour tests against databases made by `makeTarget`. */
export function defineQueueTests(makeTarget: () => Promise<DatabaseTarget>): void {
  const fixtures: QueueFixture[] = [];
  const setup = async (options: { maxQueueSize?: number } = {}) => {
    const f = await queueFixture(await makeTarget(), options);
    fixtures.push(f);
    return f;
  };
  afterEach(async () => {
    for (const f of fixtures.splice(0)) await f.dispose();
  });

  describe("enqueueBatch", () => {
    it("zips inner lists, takes the cartesian product of outer lists, repeats runs, in InvokeAI's order", async () => {
      const { queue, payloads } = await setup();
      const result = await queue.enqueueBatch(Q, {
        graph: threeNodes(),
        runs: 2,
        origin: "workflows",
        destination: "gallery",
        data: [
          [
            { node_path: "a", field_name: "value", items: [10, 20] },
            { node_path: "s", field_name: "value", items: ["cat", "dog"] },
          ],
          [{ node_path: "c", field_name: "b", items: [100, 200, 300] }],
        ],
      });
      expect(result.requested).toBe(12);
      expect(result.enqueued).toBe(12);
      expect(result.item_ids).toHaveLength(12);
      expect(result.priority).toBe(0);
      const items = await queue.itemsByIds(Q, result.item_ids);
      const combos = items.map((it) => it.field_values!.map((v) => v.value));
      const once = [
        [10, "cat", 100],
        [10, "cat", 200],
        [10, "cat", 300],
        [20, "dog", 100],
        [20, "dog", 200],
        [20, "dog", 300],
      ];
      expect(combos).toEqual([...once, ...once]);
      // The session shows its graph with the values applied; the batch graph is untouched.
      expect(items[4].session.graph.nodes.a.value).toBe(20);
      expect(items[4].session.graph.nodes.c.b).toBe(200);
      expect(items[4].session.graph.nodes.s.value).toBe("dog");
      expect(items[4].session.id).toBe(items[4].session_id);
      expect(new Set(items.map((i) => i.session_id)).size).toBe(12);
      expect(
        items.every((i) => i.status === "pending" && i.origin === "workflows" && i.destination === "gallery"),
      ).toBe(true);
      expect(payloads("batch_enqueued")).toEqual([
        expect.objectContaining({
          queue_id: Q,
          batch_id: result.batch.batch_id,
          enqueued: 12,
          requested: 12,
          priority: 0,
          origin: "workflows",
          user_id: "system",
        }),
      ]);
      expect(await queue.getBatchStatus(Q, result.batch.batch_id)).toMatchObject({
        pending: 12,
        total: 12,
        origin: "workflows",
        destination: "gallery",
      });
    });

    it("enqueues `runs` copies of a batch without data, and stores the workflow once for all of them", async () => {
      const { queue } = await setup();
      const workflow = { name: "wf", nodes: [], edges: [] };
      const result = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 3, workflow });
      expect(result.enqueued).toBe(3);
      const items = await queue.listAll(Q);
      expect(items.map((i) => i.field_values)).toEqual([null, null, null]);
      expect(items.every((i) => JSON.stringify(i.workflow) === JSON.stringify(workflow))).toBe(true);
    });

    it("caps what it enqueues at max_queue_size pending items and reports enqueued ≤ requested", async () => {
      const { queue } = await setup({ maxQueueSize: 5 });
      const first = await queue.enqueueBatch(Q, {
        graph: threeNodes(),
        data: [[{ node_path: "a", field_name: "value", items: [1, 2, 3] }]],
      });
      expect([first.enqueued, first.requested]).toEqual([3, 3]);
      const second = await queue.enqueueBatch(Q, {
        graph: threeNodes(),
        data: [[{ node_path: "a", field_name: "value", items: [4, 5, 6, 7] }]],
      });
      expect([second.enqueued, second.requested]).toEqual([2, 4]);
      const values = (await queue.itemsByIds(Q, second.item_ids)).map((i) => i.field_values![0].value);
      expect(values).toEqual([4, 5]);
      const third = await queue.enqueueBatch(Q, { graph: threeNodes() });
      expect([third.enqueued, third.requested, third.item_ids]).toEqual([0, 1, []]);
      expect(await queue.isFull(Q)).toBe(true);
      expect((await queue.getStatus(Q)).pending).toBe(5);
    });

    it("puts a prepended batch ahead of everything pending", async () => {
      const { queue } = await setup();
      const a = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 2 });
      const b = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 2 }, true);
      const c = await queue.enqueueBatch(Q, { graph: threeNodes() }, true);
      expect([a.priority, b.priority, c.priority]).toEqual([0, 1, 2]);
      const order: number[] = [];
      for (let item = await queue.claimNext(Q); item !== null; item = await queue.claimNext(Q))
        order.push(item.item_id);
      expect(order).toEqual([...c.item_ids, ...b.item_ids, ...a.item_ids]);
    });

    it("refuses a reused batch id while that batch is in the queue", async () => {
      const { queue } = await setup();
      await queue.enqueueBatch(Q, { batch_id: "same", graph: threeNodes() });
      const e = await error(queue.enqueueBatch(Q, { batch_id: "same", graph: threeNodes() }));
      expect(e).toBeInstanceOf(BatchIdInUseError);
      expect((await queue.getStatus(Q)).total).toBe(1);
    });

    it("refuses an invalid batch whole, with a typed error that names the datum, node and field", async () => {
      const { queue } = await setup();
      const cases: [unknown, new (...args: never[]) => Error, RegExp][] = [
        [{ graph: graph({ x: { type: "nope" } }) }, UnknownNodeTypeError, /Node "x" has unknown type "nope"/],
        [{ graph: threeNodes(), runs: 0 }, BatchShapeError, /runs: must be an integer ≥ 1/],
        [
          {
            graph: threeNodes(),
            data: [
              [
                { node_path: "a", field_name: "value", items: [1, 2] },
                { node_path: "s", field_name: "value", items: ["x"] },
              ],
            ],
          },
          BatchZippedLengthError,
          /data\[0\].*data\[0\]\[0\] \(a\.value\) has 2, data\[0\]\[1\] \(s\.value\) has 1/,
        ],
        [
          { graph: threeNodes(), data: [[{ node_path: "s", field_name: "value", items: ["x", 3] }]] },
          BatchItemsTypeError,
          /data\[0\]\[0\] \(node "s", field "value"\).*str and number.*items\[1\]/,
        ],
        [
          {
            graph: threeNodes(),
            data: [
              [{ node_path: "a", field_name: "value", items: [1] }],
              [{ node_path: "a", field_name: "value", items: [2] }],
            ],
          },
          BatchDuplicateNodeFieldError,
          /data\[1\]\[0\] \(node "a", field "value"\): this node field is already set by data\[0\]\[0\]/,
        ],
        [
          { graph: threeNodes(), data: [[{ node_path: "zz", field_name: "value", items: [1] }]] },
          BatchNodeNotFoundError,
          /the graph has no node "zz"/,
        ],
        [
          { graph: threeNodes(), data: [[{ node_path: "a", field_name: "nope", items: [1] }]] },
          BatchFieldNotFoundError,
          /node type "integer" has no input "nope"/,
        ],
        [
          { graph: threeNodes(), data: [[{ node_path: "b", field_name: "a", items: [1] }]] },
          BatchFieldConnectedError,
          /fed by the edge a\.value -> b\.a/,
        ],
        [
          { graph: threeNodes(), data: [[{ node_path: "a", field_name: "value", items: [1, 2.5] }]] },
          BatchFieldValueError,
          /items\[1\]/,
        ],
      ];
      for (const [batch, type, message] of cases) {
        const e = await error(queue.enqueueBatch(Q, batch));
        expect(e, JSON.stringify(batch)).toBeInstanceOf(type);
        expect(e.message).toMatch(message);
      }
      const several = await error(
        queue.enqueueBatch(Q, {
          graph: threeNodes(),
          runs: -1,
          data: [[{ node_path: "zz", field_name: "value", items: [1] }]],
        }),
      );
      expect(several).toBeInstanceOf(InvalidBatchError);
      expect((several as InvalidBatchError).errors.map((e) => e.constructor)).toEqual([
        BatchShapeError,
        BatchNodeNotFoundError,
      ]);
      expect((await queue.getStatus(Q)).total).toBe(0);
    });
  });

  describe("claims and transitions", () => {
    it("claims by priority then insertion order, bumps status_sequence, and emits status events with fresh counts", async () => {
      const { queue, payloads } = await setup();
      const { item_ids: ids, batch } = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 2 });
      const claimed = await queue.claimNext(Q);
      expect(claimed?.item_id).toBe(ids[0]);
      expect(claimed?.graph.nodes.a.value).toBe(1);
      expect(claimed?.checkpoint).toBeNull();
      const item = await queue.getItem(Q, ids[0]);
      expect(item.status).toBe("in_progress");
      expect(item.status_sequence).toBe(1);
      expect(item.started_at).not.toBeNull();
      expect(await queue.completeItem(ids[0], JSON.stringify({ version: 1, marker: true }))).toBe(true);
      const done = await queue.getItem(Q, ids[0]);
      expect([done.status, done.status_sequence]).toEqual(["completed", 2]);
      expect(done.completed_at).not.toBeNull();
      expect((done.session as unknown as { marker: boolean }).marker).toBe(true);
      const events = payloads("queue_item_status_changed");
      expect(events.map((e) => [e.item_id, e.status, e.status_sequence])).toEqual([
        [ids[0], "in_progress", 1],
        [ids[0], "completed", 2],
      ]);
      expect(events[0].queue_status).toMatchObject({
        item_id: ids[0],
        batch_id: batch.batch_id,
        pending: 1,
        in_progress: 1,
        total: 2,
      });
      expect(events[0].batch_status).toMatchObject({
        batch_id: batch.batch_id,
        pending: 1,
        in_progress: 1,
        completed: 0,
      });
      expect(events[1].queue_status).toMatchObject({
        item_id: null,
        pending: 1,
        in_progress: 0,
        completed: 1,
        total: 2,
      });
      expect(events[1].batch_status).toMatchObject({ completed: 1, in_progress: 0 });
    });

    it("never leaves a terminal status", async () => {
      const { queue, payloads } = await setup();
      const { item_ids: ids } = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 2 });
      await queue.claimNext(Q);
      await queue.completeItem(ids[0]);
      await queue.cancelItem(Q, ids[0]);
      expect(await queue.failItem(ids[0], { error_type: "X", error_message: "late" })).toBe(false);
      expect((await queue.getItem(Q, ids[0])).status).toBe("completed");
      await queue.cancelItem(Q, ids[1]);
      expect(await queue.completeItem(ids[1])).toBe(false);
      expect(await queue.claimNext(Q)).toBeNull();
      const item = await queue.getItem(Q, ids[1]);
      expect([item.status, item.status_sequence, item.error_message]).toEqual(["canceled", 1, null]);
      expect(payloads("queue_item_status_changed").map((e) => e.status)).toEqual([
        "in_progress",
        "completed",
        "canceled",
      ]);
    });

    it("records errors on failed items", async () => {
      const { queue } = await setup();
      const { item_ids: ids } = await queue.enqueueBatch(Q, { graph: threeNodes() });
      await queue.claimNext(Q);
      await queue.failItem(ids[0], { error_type: "RangeError", error_message: "bad", error_traceback: "at x" });
      expect(await queue.getItem(Q, ids[0])).toMatchObject({
        status: "failed",
        error_type: "RangeError",
        error_message: "bad",
        error_traceback: "at x",
      });
    });

    it("tells in-process listeners of every committed transition at once", async () => {
      const { queue } = await setup();
      const heard: QueueTransition[] = [];
      queue.onTransition((t) => heard.push(t));
      const { item_ids: ids } = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 3 });
      await queue.claimNext(Q);
      await queue.cancelAllExceptCurrent(Q);
      expect(heard.map((t) => [t.item_id, t.previous, t.status])).toEqual([
        [ids[0], "pending", "in_progress"],
        [ids[1], "pending", "canceled"],
        [ids[2], "pending", "canceled"],
      ]);
    });
  });

  describe("reads", () => {
    it("lists in processing order with keyset or offset pages and a destination filter", async () => {
      const { queue } = await setup();
      const a = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 3, destination: "canvas" });
      const b = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 2, destination: "gallery" }, true);
      const order = [...b.item_ids, ...a.item_ids];
      const seen: number[] = [];
      let page = await queue.listItems(Q, { limit: 2 });
      for (;;) {
        seen.push(...page.items.map((i) => i.item_id));
        expect(page.total).toBe(5);
        if (page.next_cursor === null) break;
        page = await queue.listItems(Q, { limit: 2, cursor: page.next_cursor });
      }
      expect(seen).toEqual(order);
      const offset = await queue.listItems(Q, { limit: 2, offset: 2 });
      expect(offset.items.map((i) => i.item_id)).toEqual(order.slice(2, 4));
      expect(offset.has_more).toBe(true);
      const canvas = await queue.listItems(Q, { destination: "canvas" });
      expect([canvas.items.map((i) => i.item_id), canvas.total, canvas.has_more]).toEqual([a.item_ids, 3, false]);
      expect((await queue.listAll(Q, "gallery")).map((i) => i.item_id)).toEqual(b.item_ids);
      expect((await queue.listAll(Q)).map((i) => i.item_id)).toEqual(order);
      await queue.claimNext(Q);
      const pending = await queue.listItems(Q, { status: "pending" });
      expect(pending.items.map((i) => i.item_id)).toEqual(order.slice(1));
    });

    it("answers item ids, items and summaries by ids, current, next, status and counts by destination", async () => {
      const { queue } = await setup();
      const a = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 2, destination: "canvas" });
      const b = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 1, destination: "gallery" });
      const all = [...a.item_ids, ...b.item_ids];
      expect(await queue.itemIds(Q, "ASC")).toEqual({ item_ids: all, total_count: 3 });
      expect((await queue.itemIds(Q, "DESC")).item_ids).toEqual([...all].reverse());
      expect((await queue.itemsByIds(Q, [all[2], 99999, all[0]])).map((i) => i.item_id)).toEqual([all[2], all[0]]);
      const summaries = await queue.itemSummariesByIds(Q, [all[1]]);
      expect(summaries[0]).toMatchObject({ item_id: all[1], status: "pending", destination: "canvas" });
      expect(summaries[0]).not.toHaveProperty("session");
      expect(await queue.getCurrent(Q)).toBeNull();
      expect((await queue.getNext(Q))?.item_id).toBe(all[0]);
      await queue.claimNext(Q);
      expect((await queue.getCurrent(Q))?.item_id).toBe(all[0]);
      expect((await queue.getNext(Q))?.item_id).toBe(all[1]);
      await queue.cancelItem(Q, all[2]);
      expect(await queue.getStatus(Q)).toMatchObject({
        item_id: all[0],
        pending: 1,
        in_progress: 1,
        canceled: 1,
        total: 3,
      });
      expect(await queue.countsByDestination(Q, "canvas")).toMatchObject({
        destination: "canvas",
        pending: 1,
        in_progress: 1,
        total: 2,
      });
      expect(await queue.countsByDestination(Q, "gallery")).toMatchObject({ canceled: 1, total: 1 });
      expect(await queue.isEmpty(Q)).toBe(false);
      const e = await error(queue.getItem(Q, 424242));
      expect(e).toBeInstanceOf(QueueItemNotFoundError);
      expect(e.message).toBe(`Queue item 424242 not found in queue "default"`);
      expect(await error(queue.getItem("other", all[0]))).toBeInstanceOf(QueueItemNotFoundError);
    });
  });

  describe("cancel, delete, retry, clear, prune", () => {
    it("cancels by batch ids and by destination (running item included, with status events), and all except current", async () => {
      const { queue, payloads } = await setup();
      const a = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 2, destination: "canvas" });
      const b = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 2, destination: "gallery" });
      const c = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 2, destination: "gallery" });
      await queue.claimNext(Q); // a[0] runs
      expect(await queue.cancelByBatchIds(Q, [a.batch.batch_id])).toEqual({ canceled: 2 });
      expect((await queue.getItem(Q, a.item_ids[0])).status).toBe("canceled");
      const statusEvents = payloads("queue_item_status_changed").filter((e) => e.status === "canceled");
      expect(statusEvents.map((e) => e.item_id).sort()).toEqual([...a.item_ids].sort());
      expect(statusEvents.at(-1)?.batch_status).toMatchObject({ canceled: 2, pending: 0, in_progress: 0 });
      expect(payloads("queue_items_canceled").at(-1)?.canceled_item_ids.sort()).toEqual([...a.item_ids].sort());
      await queue.claimNext(Q); // b[0] runs
      expect(await queue.cancelAllExceptCurrent(Q)).toEqual({ canceled: 3 });
      expect((await queue.getItem(Q, b.item_ids[0])).status).toBe("in_progress");
      expect(await queue.cancelByDestination(Q, "gallery")).toEqual({ canceled: 1 });
      expect(await queue.getStatus(Q)).toMatchObject({ pending: 0, in_progress: 0, canceled: 6, total: 6 });
      expect(await queue.getBatchStatus(Q, c.batch.batch_id)).toMatchObject({ canceled: 2, total: 2 });
    });

    it("deletes one item, all but the running one, by destination, and prunes finished items; empty batches go", async () => {
      const { queue, opened } = await setup();
      const a = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 3, destination: "canvas" });
      const b = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 2, destination: "gallery" });
      await queue.deleteItem(Q, a.item_ids[2]);
      expect(await error(queue.getItem(Q, a.item_ids[2]))).toBeInstanceOf(QueueItemNotFoundError);
      await queue.claimNext(Q); // a[0]
      await queue.completeItem(a.item_ids[0]);
      await queue.claimNext(Q); // a[1]
      expect(await queue.prune(Q)).toEqual({ deleted: 1 });
      expect(await queue.deleteAllExceptCurrent(Q)).toEqual({ deleted: 2 });
      expect((await queue.listAll(Q)).map((i) => i.item_id)).toEqual([a.item_ids[1]]);
      expect(await queue.getStatus(Q)).toMatchObject({ pending: 0, in_progress: 1, completed: 0, total: 1 });
      const batches = await opened.db
        .withTables<{ session_queue_batch: { batch_id: string } }>()
        .selectFrom("session_queue_batch")
        .select("batch_id")
        .execute();
      expect(batches.map((r) => r.batch_id)).toEqual([a.batch.batch_id]);
      expect(b.item_ids).toHaveLength(2);
      expect(await queue.deleteByDestination(Q, "canvas")).toEqual({ deleted: 1 });
      expect(await queue.getStatus(Q)).toMatchObject({ in_progress: 0, total: 0 });
      expect(await error(queue.deleteItem(Q, 999999))).toBeInstanceOf(QueueItemNotFoundError);
    });

    it("retries failed and canceled items as new items that remember the original", async () => {
      const { queue, payloads } = await setup();
      const { item_ids: ids, batch } = await queue.enqueueBatch(Q, {
        graph: threeNodes(),
        destination: "gallery",
        data: [[{ node_path: "a", field_name: "value", items: [7, 8, 9] }]],
      });
      await queue.claimNext(Q);
      await queue.failItem(ids[0], { error_type: "E", error_message: "m" });
      await queue.cancelItem(Q, ids[1]);
      const result = await queue.retryItemsById(Q, [ids[0], ids[1], ids[2]]);
      expect(result).toEqual({ queue_id: Q, retried_item_ids: [ids[0], ids[1]] });
      expect(payloads("queue_items_retried")).toEqual([
        expect.objectContaining({
          queue_id: Q,
          retried_item_ids: [ids[0], ids[1]],
          user_ids: ["system"],
          retried_item_ids_by_user: { system: [ids[0], ids[1]] },
        }),
      ]);
      const all = await queue.listAll(Q);
      const copies = all.filter((i) => i.retried_from_item_id !== null);
      expect(
        copies.map((i) => [i.retried_from_item_id, i.field_values![0].value, i.status, i.batch_id, i.destination]),
      ).toEqual([
        [ids[0], 7, "pending", batch.batch_id, "gallery"],
        [ids[1], 8, "pending", batch.batch_id, "gallery"],
      ]);
      // A retry of a retry still points at the first item.
      await queue.cancelItem(Q, copies[0].item_id);
      await queue.retryItemsById(Q, [copies[0].item_id]);
      const again = (await queue.listAll(Q)).at(-1)!;
      expect(again.retried_from_item_id).toBe(ids[0]);
      expect(await queue.getBatchStatus(Q, batch.batch_id)).toMatchObject({
        pending: 3,
        failed: 1,
        canceled: 2,
        total: 6,
      });
    });

    it("clear cancels the running item, deletes everything and emits queue_cleared", async () => {
      const { queue, payloads } = await setup();
      const heard: QueueTransition[] = [];
      queue.onTransition((t) => heard.push(t));
      const { item_ids: ids } = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 3 });
      await queue.claimNext(Q);
      expect(await queue.clear(Q)).toEqual({ deleted: 3 });
      expect(heard.at(-1)).toMatchObject({ item_id: ids[0], status: "canceled" });
      expect(payloads("queue_cleared")).toEqual([expect.objectContaining({ queue_id: Q, user_id: null })]);
      expect(await queue.getStatus(Q)).toMatchObject({ total: 0, item_id: null });
      const again = await queue.enqueueBatch(Q, { graph: threeNodes() });
      expect(await queue.getStatus(Q)).toMatchObject({ pending: 1, total: 1 });
      expect(again.enqueued).toBe(1);
    });
  });

  describe("start-up", () => {
    it("fails items a stopped process left running, with an error that says so", async () => {
      const { queue } = await setup();
      const { item_ids: ids } = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 2 });
      await queue.claimNext(Q);
      const report = await queue.recoverInterrupted();
      expect(report).toEqual({ failed: [ids[0]], requeued: [], deleted: 0 });
      const item = await queue.getItem(Q, ids[0]);
      expect(item.status).toBe("failed");
      expect(item.error_type).toBe("SessionInterruptedError");
      expect(item.error_message).toMatch(/interrupted: the process running it stopped/);
      expect((await queue.getItem(Q, ids[1])).status).toBe("pending");
    });

    it("re-queues them with resume_interrupted, keeping their checkpoint", async () => {
      const { queue } = await setup();
      const { item_ids: ids } = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 2 });
      await queue.claimNext(Q);
      expect(
        await queue.saveSession(
          ids[0],
          JSON.stringify({ version: 1, graph: { id: "g", nodes: {}, edges: [] }, ckpt: 1 }),
        ),
      ).toBe(true);
      const report = await queue.applyStartupPolicy({ resume_interrupted: true });
      expect(report.requeued).toEqual([ids[0]]);
      const again = await queue.claimNext(Q);
      expect(again?.item_id).toBe(ids[0]);
      expect((again?.checkpoint as { ckpt: number }).ckpt).toBe(1);
      expect(again?.status_sequence).toBe(3);
    });

    it("keeps only max_queue_history finished items", async () => {
      const { queue } = await setup();
      const { item_ids: ids } = await queue.enqueueBatch(Q, { graph: threeNodes(), runs: 5 });
      for (let i = 0; i < 4; i++) {
        await queue.claimNext(Q);
        await queue.completeItem(ids[i]);
      }
      const report = await queue.applyStartupPolicy({ max_queue_history: 1 });
      expect(report.deleted).toBe(3);
      expect((await queue.listAll(Q)).map((i) => [i.item_id, i.status])).toEqual([
        [ids[3], "completed"],
        [ids[4], "pending"],
      ]);
    });
  });
}
