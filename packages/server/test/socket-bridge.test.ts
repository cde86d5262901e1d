import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as connect, type Socket } from "socket.io-client";
import { EventBus } from "@atelier/engine";
import { buildServer, type AtelierServer } from "../src/build-server.js";
import { SOCKET_PATH, routeEvent } from "../src/events/socket-bridge.js";

let bus: EventBus;
let server: AtelierServer;
let url: string;

beforeAll(async () => {
  bus = new EventBus();
  server = await buildServer({
    version: "test",
    root: "/tmp",
    routes: [],
    nodeSchemas: () => ({}),
    subscribeEvents: (listener) => bus.onAny(listener),
    uploadMaxBytes: 1024,
  });
  url = await server.listen("127.0.0.1", 0);
});

afterAll(async () => {
  await server.close();
});

function client(): Promise<Socket> {
  const socket = connect(url, { path: SOCKET_PATH, transports: ["websocket"], forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

/** Round-trips a no-op through the server so that earlier emits (joins) are processed before the test goes on. */
async function settle(socket: Socket, event: string, data: unknown): Promise<void> {
  socket.emit(event, data);
  await new Promise((r) => setTimeout(r, 50));
}

const queueEvent = {
  queue_id: "default",
  item_id: 1,
  batch_id: "b",
  origin: null,
  destination: null,
  user_id: "system",
  status: "in_progress",
  status_sequence: 1,
  error_type: null,
  error_message: null,
  error_traceback: null,
  created_at: "t",
  updated_at: "t",
  started_at: "t",
  completed_at: null,
  session_id: "s",
  batch_status: {
    queue_id: "default",
    batch_id: "b",
    origin: null,
    destination: null,
    pending: 0,
    in_progress: 1,
    waiting: 0,
    completed: 0,
    failed: 0,
    canceled: 0,
    total: 1,
  },
  queue_status: {
    queue_id: "default",
    item_id: 1,
    batch_id: "b",
    session_id: "s",
    pending: 0,
    in_progress: 1,
    waiting: 0,
    completed: 0,
    failed: 0,
    canceled: 0,
    total: 1,
  },
};

describe("socket.io bridge", () => {
  it("routes queue events to the queue's room and model events to everyone", () => {
    expect(routeEvent({ name: "queue_cleared", payload: { queue_id: "q1", timestamp: 1 } } as never)).toEqual({
      room: "q1",
    });
    expect(routeEvent({ name: "model_load_started", payload: { timestamp: 1 } } as never)).toEqual({ broadcast: true });
    expect(
      routeEvent({ name: "bulk_download_started", payload: { bulk_download_id: "d", timestamp: 1 } } as never),
    ).toEqual({ room: "d" });
  });

  it("delivers queue events only to subscribers, unchanged, and broadcasts model events", async () => {
    const subscribed = await client();
    const other = await client();
    try {
      await settle(subscribed, "subscribe_queue", { queue_id: "default" });
      const got: unknown[] = [];
      const otherGot: string[] = [];
      subscribed.on("queue_item_status_changed", (p) => got.push(p));
      other.onAny((name: string) => otherGot.push(name));
      const modelSeen = new Promise((resolve) => other.once("model_load_started", resolve));

      const emitted = bus.emit("queue_item_status_changed", queueEvent as never);
      bus.emit("model_load_started", { config: { key: "k" }, submodel_type: null, user_id: "system" } as never);
      await modelSeen;
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual([emitted]);
      expect(otherGot).toEqual(["model_load_started"]);

      await settle(subscribed, "unsubscribe_queue", { queue_id: "default" });
      bus.emit("queue_item_status_changed", queueEvent as never);
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toHaveLength(1);
    } finally {
      subscribed.disconnect();
      other.disconnect();
    }
  });

  it("ignores malformed subscriptions", async () => {
    const socket = await client();
    try {
      await settle(socket, "subscribe_queue", "default");
      await settle(socket, "subscribe_queue", { queue_id: 5 });
      const got: string[] = [];
      socket.onAny((name: string) => got.push(name));
      bus.emit("queue_cleared", { queue_id: "default", user_id: null } as never);
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual([]);
      expect(socket.connected).toBe(true);
    } finally {
      socket.disconnect();
    }
  });
});
