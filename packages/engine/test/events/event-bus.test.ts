import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  EVENT_NAMES,
  EventBus,
  EventWaitTimeoutError,
  createLogger,
  eventScope,
  isEventName,
  queueScoped,
  type AtelierEvent,
  type EventInput,
} from "@atelier/engine";

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    { log_format: "json", log_level: "debug" },
    { destination: { write: (chunk: string) => lines.push(JSON.parse(chunk) as Record<string, unknown>) } },
  );
  return { logger, lines };
}

const started: EventInput<"invocation_started"> = {
  queue_id: "default",
  item_id: 4,
  batch_id: "batch-1",
  origin: "workflows",
  destination: "gallery",
  user_id: "system",
  session_id: "session-1",
  invocation: { id: "n1", type: "add", a: 1, b: 2 },
  invocation_source_id: "n1",
};

describe("EventBus", () => {
  it("delivers a payload to the handlers of its event, stamped with the time in seconds", () => {
    const bus = new EventBus();
    const seen: unknown[] = [];
    bus.on("invocation_started", (payload) => {
      seen.push(payload);
    });
    bus.on("invocation_complete", () => {
      throw new Error("must not be called");
    });
    const before = Math.floor(Date.now() / 1000);
    const delivered = bus.emit("invocation_started", started);
    expect(seen).toEqual([delivered]);
    expect(delivered).toMatchObject(started);
    expect(Number.isInteger(delivered.timestamp)).toBe(true);
    expect(delivered.timestamp).toBeGreaterThanOrEqual(before);
    expect(delivered.timestamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  it("keeps a timestamp the emitter set", () => {
    const bus = new EventBus();
    expect(bus.emit("queue_cleared", { queue_id: "default", user_id: null, timestamp: 123 }).timestamp).toBe(123);
  });

  it("calls handlers in subscription order, event handlers before any-handlers", () => {
    const bus = new EventBus();
    const order: string[] = [];
    bus.onAny((event) => {
      order.push(`any:${event.name}`);
    });
    bus.on("queue_cleared", () => {
      order.push("first");
    });
    bus.on("queue_cleared", () => {
      order.push("second");
    });
    bus.emit("queue_cleared", { queue_id: "default", user_id: null });
    expect(order).toEqual(["first", "second", "any:queue_cleared"]);
  });

  it("gives onAny the name and payload of every event", () => {
    const bus = new EventBus();
    const events: AtelierEvent[] = [];
    bus.onAny((event) => {
      events.push(event);
    });
    bus.emit("download_started", { source: "https://example.com/m.safetensors", download_path: "/tmp/m" });
    bus.emit("invocation_started", started);
    expect(events.map((e) => e.name)).toEqual(["download_started", "invocation_started"]);
    const first = events[0];
    if (first.name !== "download_started") throw new Error("narrowing");
    expect(first.payload.download_path).toBe("/tmp/m");
  });

  it("unsubscribes, and a second unsubscribe is harmless", () => {
    const bus = new EventBus();
    let calls = 0;
    const off = bus.on("download_paused", () => {
      calls += 1;
    });
    const offAny = bus.onAny(() => {
      calls += 10;
    });
    bus.emit("download_paused", { source: "s" });
    off();
    off();
    offAny();
    bus.emit("download_paused", { source: "s" });
    expect(calls).toBe(11);
    expect(bus.listenerCount()).toBe(0);
  });

  it("treats the same function subscribed twice as two subscriptions", () => {
    const bus = new EventBus();
    let calls = 0;
    const handler = () => {
      calls += 1;
    };
    const off = bus.on("download_paused", handler);
    bus.on("download_paused", handler);
    off();
    bus.emit("download_paused", { source: "s" });
    expect(calls).toBe(1);
  });

  it("logs a handler that throws or rejects and still calls the others", async () => {
    const { logger, lines } = capturedLogger();
    const bus = new EventBus({ logger });
    const reached: string[] = [];
    bus.on("queue_cleared", () => {
      throw new Error("socket closed");
    });
    bus.on("queue_cleared", async () => {
      await Promise.resolve();
      throw new Error("async failure");
    });
    bus.on("queue_cleared", () => {
      reached.push("third");
    });
    bus.onAny(() => {
      reached.push("any");
    });
    expect(() => bus.emit("queue_cleared", { queue_id: "default", user_id: null })).not.toThrow();
    expect(reached).toEqual(["third", "any"]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const errors = lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(2);
    expect(errors.map((l) => (l.err as { message: string }).message).sort()).toEqual([
      "async failure",
      "socket closed",
    ]);
    expect(errors[0].event).toBe("queue_cleared");
    expect(String(errors[0].msg)).toContain("queue_cleared");
  });

  it("lets a handler unsubscribe itself while the event is being delivered", () => {
    const bus = new EventBus();
    const calls: string[] = [];
    const off = bus.on("download_paused", () => {
      calls.push("once");
      off();
    });
    bus.on("download_paused", () => {
      calls.push("always");
    });
    bus.emit("download_paused", { source: "s" });
    bus.emit("download_paused", { source: "s" });
    expect(calls).toEqual(["once", "always", "always"]);
  });

  it("waits for the next matching event", async () => {
    const bus = new EventBus();
    const waiting = bus.waitFor("invocation_started", (p) => p.item_id === 5, 1000);
    bus.emit("invocation_started", started);
    bus.emit("invocation_started", { ...started, item_id: 5 });
    expect((await waiting).item_id).toBe(5);
    expect(bus.listenerCount("invocation_started")).toBe(0);
  });

  it("rejects a wait that sees no matching event in time", async () => {
    const bus = new EventBus();
    const error = await bus
      .waitFor("queue_cleared", () => true, 20)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(EventWaitTimeoutError);
    expect((error as EventWaitTimeoutError).code).toBe("event_wait_timeout");
    expect(bus.listenerCount()).toBe(0);
  });
});

describe("event names and rooms", () => {
  it("sends queue and invocation events to the queue room, model and download events to everyone", () => {
    for (const name of [
      "invocation_started",
      "invocation_progress",
      "invocation_complete",
      "invocation_error",
      "queue_item_status_changed",
      "batch_enqueued",
      "queue_items_retried",
      "queue_cleared",
    ] as const) {
      expect(queueScoped(name)).toBe(true);
    }
    for (const name of [
      "model_load_started",
      "model_install_complete",
      "download_progress",
      "download_error",
    ] as const) {
      expect(queueScoped(name)).toBe(false);
      expect(eventScope(name)).toBe("broadcast");
    }
    expect(eventScope("bulk_download_complete")).toBe("bulk_download");
    expect(queueScoped("bulk_download_started")).toBe(false);
  });

  it("lists each name once and recognizes only those", () => {
    expect(new Set(EVENT_NAMES).size).toBe(EVENT_NAMES.length);
    expect(isEventName("invocation_complete")).toBe(true);
    expect(isEventName("image_created")).toBe(false);
    expect(isEventName("toString")).toBe(false);
  });

  const openapi = fileURLToPath(new URL("../../../../../shared/invokeai/openapi.json", import.meta.url));
  it.skipIf(!existsSync(openapi))("covers every event of InvokeAI's API schema (multi-user extras aside)", () => {
    const schemas = (JSON.parse(readFileSync(openapi, "utf8")) as { components: { schemas: Record<string, unknown> } })
      .components.schemas;
    const invokeNames = Object.keys(schemas)
      // Workflow sharing and LLM tasks are multi-user / newer extras that Atelier does not emit.
      .filter((name) => name.endsWith("Event") && !name.startsWith("Workflow") && !name.startsWith("LLM"))
      .map((name) =>
        name
          .slice(0, -"Event".length)
          .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
          .toLowerCase(),
      );
    expect([...invokeNames].sort()).toEqual([...EVENT_NAMES].sort());
  });
});
