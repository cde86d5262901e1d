import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as connect, type Socket } from "socket.io-client";
import { SOCKET_PATH } from "../src/events/socket-bridge.js";
import { api, graph, startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.dispose();
});

interface Received {
  name: string;
  payload: Record<string, unknown>;
}

async function subscribedClient(queueId = "default"): Promise<{ socket: Socket; events: Received[] }> {
  const socket = connect(server.url, { path: SOCKET_PATH, transports: ["websocket"], forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  const events: Received[] = [];
  socket.onAny((name: string, payload: Record<string, unknown>) => events.push({ name, payload }));
  socket.emit("subscribe_queue", { queue_id: queueId });
  // socket.io handles a client's packets in order, so a round trip through a later request settles the join.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { socket, events };
}

const RUN = graph(
  {
    r: { type: "range", start: 1, stop: 3, step: 1 },
    it: { type: "iterate" },
    s: { type: "add", b: 10 },
    c: { type: "collect" },
    img: { type: "blank_image", width: 40, height: 20, color: { r: 0, g: 128, b: 255, a: 255 } },
  },
  ["r.collection -> it.collection", "it.item -> s.a", "s.value -> c.item"],
);

describe("a run seen through socket.io and the wait route", () => {
  it("delivers the whole event sequence of a run, in order, with InvokeAI's payload fields", async () => {
    const { socket, events } = await subscribedClient();
    const outsider = connect(server.url, { path: SOCKET_PATH, transports: ["websocket"], forceNew: true });
    const outsiderEvents: string[] = [];
    outsider.onAny((name: string) => outsiderEvents.push(name));
    try {
      const run = await api<{ item_ids: number[]; batch_id: string }>(server, "POST", "/api/v1/graphs/run", {
        graph: RUN,
      });
      expect(run.status).toBe(201);
      const itemId = run.body.item_ids[0];
      const waited = await api<{ status: string; outputs: Record<string, unknown> }>(
        server,
        "GET",
        `/api/v1/queue/default/i/${itemId}/wait?timeout=20`,
      );
      expect(waited.body.status).toBe("completed");
      await new Promise((resolve) => setTimeout(resolve, 100));

      const mine = events.filter((e) => e.payload.item_id === itemId || e.name === "batch_enqueued");
      const names = mine.map((e) => e.name);
      expect(names[0]).toBe("batch_enqueued");
      const statuses = mine.filter((e) => e.name === "queue_item_status_changed").map((e) => e.payload.status);
      expect(statuses).toEqual(["in_progress", "completed"]);
      const firstInvocation = names.findIndex((n) => n.startsWith("invocation_"));
      const inProgressAt = mine.findIndex(
        (e) => e.name === "queue_item_status_changed" && e.payload.status === "in_progress",
      );
      const completedAt = mine.findIndex(
        (e) => e.name === "queue_item_status_changed" && e.payload.status === "completed",
      );
      expect(inProgressAt).toBeLessThan(firstInvocation);
      expect(names.lastIndexOf("invocation_complete")).toBeLessThan(completedAt);

      const started = mine
        .filter((e) => e.name === "invocation_started")
        .map((e) => (e.payload.invocation as { id: string }).id);
      const completed = mine
        .filter((e) => e.name === "invocation_complete")
        .map((e) => (e.payload.invocation as { id: string }).id);
      expect([...completed].sort()).toEqual([...started].sort());
      expect(completed).toHaveLength(7); // r, img, it×2, s×2, c
      for (const id of started) {
        const s = mine.findIndex(
          (e) => e.name === "invocation_started" && (e.payload.invocation as { id: string }).id === id,
        );
        const c = mine.findIndex(
          (e) => e.name === "invocation_complete" && (e.payload.invocation as { id: string }).id === id,
        );
        expect(s).toBeLessThan(c);
      }
      const order = (id: string) => completed.indexOf(id);
      expect(order("r")).toBeLessThan(Math.min(...completed.filter((id) => id.startsWith("it")).map(order)));
      expect(order("c")).toBe(Math.max(...completed.filter((id) => id !== "img").map(order)));

      const complete = mine.find((e) => e.name === "invocation_complete" && e.payload.invocation_source_id === "c")!;
      expect(complete.payload).toMatchObject({
        queue_id: "default",
        item_id: itemId,
        batch_id: run.body.batch_id,
        invocation_source_id: "c",
      });
      expect(typeof complete.payload.session_id).toBe("string");
      expect(typeof complete.payload.timestamp).toBe("number");
      expect(complete.payload.result).toEqual({ type: "collect_output", collection: [11, 12] });
      const statusEvent = mine.find((e) => e.name === "queue_item_status_changed" && e.payload.status === "completed")!;
      expect(statusEvent.payload.batch_status).toMatchObject({ batch_id: run.body.batch_id, completed: 1 });
      expect(statusEvent.payload.queue_status).toMatchObject({ queue_id: "default" });
      expect(mine.some((e) => e.name === "invocation_progress" && e.payload.invocation_source_id === "img")).toBe(true);

      expect(outsiderEvents.filter((n) => n.startsWith("invocation_") || n.startsWith("queue_"))).toEqual([]);
    } finally {
      socket.disconnect();
      outsider.disconnect();
    }
  });

  it("wait returns outputs by source node, lists for iterated nodes, and image URLs", async () => {
    const run = await api<{ item_ids: number[] }>(server, "POST", "/api/v1/graphs/run", {
      graph: RUN,
      inputs: { "r.stop": 4 },
    });
    const waited = await api<{
      status: string;
      done: boolean;
      timed_out: boolean;
      outputs: Record<string, unknown>;
      images: { image_name: string; image_url: string; thumbnail_url: string; node_id: string }[];
      error: unknown;
    }>(server, "GET", `/api/v1/queue/default/i/${run.body.item_ids[0]}/wait?timeout=20`);
    expect(waited.body).toMatchObject({ status: "completed", done: true, timed_out: false, error: null });
    expect(waited.body.outputs.c).toEqual({ type: "collect_output", collection: [11, 12, 13] });
    expect(waited.body.outputs.s).toEqual([11, 12, 13].map((value) => ({ type: "integer_output", value })));
    expect(waited.body.images).toHaveLength(1);
    const image = waited.body.images[0];
    expect(image.node_id).toBe("img");
    const full = await fetch(`${server.url}/${image.image_url}`);
    expect(full.status).toBe(200);
    expect(full.headers.get("content-type")).toBe("image/png");
  });

  it("wait reports a failed node with its error, and a timeout without ending", async () => {
    const mistyped = graph({ i: { type: "blank_image" }, s: { type: "add" } }, ["i.image -> s.a"]);
    // An image into an integer input is refused at enqueue time, whole, naming the edge.
    const refused = await api<{ code: string; message: string }>(server, "POST", "/api/v1/graphs/run", {
      graph: mistyped,
    });
    expect(refused.status).toBe(422);
    expect(refused.body.message).toContain("i.image -> s.a");

    const run = await api<{ item_ids: number[] }>(server, "POST", "/api/v1/graphs/run", {
      graph: graph({ f: { type: "test_fail", message: "no luck" } }),
    });
    const waited = await api<{ status: string; error: { node_id: string; error_type: string; error_message: string } }>(
      server,
      "GET",
      `/api/v1/queue/default/i/${run.body.item_ids[0]}/wait?timeout=20`,
    );
    expect(waited.body.status).toBe("failed");
    expect(waited.body.error).toMatchObject({ node_id: "f", error_type: "RangeError" });
    expect(waited.body.error.error_message).toContain("no luck");

    const slow = await api<{ item_ids: number[] }>(server, "POST", "/api/v1/graphs/run", {
      graph: graph({ z: { type: "test_sleep", ms: 1500 } }),
    });
    const early = await api<{ done: boolean; timed_out: boolean }>(
      server,
      "GET",
      `/api/v1/queue/default/i/${slow.body.item_ids[0]}/wait?timeout=0.2`,
    );
    expect(early.body).toMatchObject({ done: false, timed_out: true });
    const later = await api<{ status: string }>(
      server,
      "GET",
      `/api/v1/queue/default/i/${slow.body.item_ids[0]}/wait?timeout=20`,
    );
    expect(later.body.status).toBe("completed");
    expect((await api(server, "GET", "/api/v1/queue/default/i/999999/wait?timeout=1")).status).toBe(404);
    expect((await api(server, "GET", "/api/v1/queue/default/i/1/wait?timeout=-1")).status).toBe(422);
  });
});
