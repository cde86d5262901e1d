import type { Server as HttpServer } from "node:http";
import { eventScope, isEventName, type AtelierEvent } from "@atelier/engine";
import { Server as SocketServer, type Socket } from "socket.io";

/** Where the socket.io endpoint lives (what InvokeAI clients connect to). */
export const SOCKET_PATH = "/ws/socket.io";

/** Subscribes to every engine event (the EventBus's `onAny`); returns the unsubscribe function. */
export type SubscribeAll = (listener: (event: AtelierEvent) => void) => () => void;

/** Who receives an event: the subscribers of a queue or bulk download room, or every client. */
export type EventRoute = { room: string } | { broadcast: true };

/**
 * InvokeAI's single-user routing (v6): queue and invocation events go to the room named by their `queue_id`,
 * bulk download events to the room named by their `bulk_download_id`, model and download events to everyone.
 */
export function routeEvent(event: AtelierEvent): EventRoute {
  const payload = event.payload as unknown as Record<string, unknown>;
  const scope = isEventName(event.name) ? eventScope(event.name) : "broadcast";
  const key = scope === "queue" ? "queue_id" : scope === "bulk_download" ? "bulk_download_id" : undefined;
  const room = key === undefined ? undefined : payload[key];
  return typeof room === "string" && room !== "" ? { room } : { broadcast: true };
}

function roomFrom(data: unknown, key: string): string | undefined {
  if (typeof data === "object" && data !== null) {
    const value = (data as Record<string, unknown>)[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

/** A running socket.io bridge. */
export interface SocketBridge {
  io: SocketServer;
  close(): Promise<void>;
}

/**
 * Attaches socket.io to the HTTP server at `/ws/socket.io` and forwards engine events to clients. Clients join a
 * queue's room with `subscribe_queue {queue_id}` and leave it with `unsubscribe_queue`; likewise
 * `subscribe_bulk_download {bulk_download_id}`. The event name is the engine's and the payload is passed unchanged.
 */
export function attachSocketBridge(
  server: HttpServer,
  subscribe: SubscribeAll,
  options: { corsOrigins?: readonly string[] } = {},
): SocketBridge {
  const io = new SocketServer(server, {
    path: SOCKET_PATH,
    cors: { origin: options.corsOrigins && options.corsOrigins.length > 0 ? [...options.corsOrigins] : "*" },
    serveClient: false,
  });
  io.on("connection", (socket: Socket) => {
    socket.on("subscribe_queue", (data: unknown) => {
      const room = roomFrom(data, "queue_id");
      if (room !== undefined) void socket.join(room);
    });
    socket.on("unsubscribe_queue", (data: unknown) => {
      const room = roomFrom(data, "queue_id");
      if (room !== undefined) void socket.leave(room);
    });
    socket.on("subscribe_bulk_download", (data: unknown) => {
      const room = roomFrom(data, "bulk_download_id");
      if (room !== undefined) void socket.join(room);
    });
    socket.on("unsubscribe_bulk_download", (data: unknown) => {
      const room = roomFrom(data, "bulk_download_id");
      if (room !== undefined) void socket.leave(room);
    });
  });
  const unsubscribe = subscribe((event) => {
    const route = routeEvent(event);
    if ("room" in route) io.to(route.room).emit(event.name, event.payload);
    else io.emit(event.name, event.payload);
  });
  return {
    io,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        io.disconnectSockets(true);
        // io.close() would also close the HTTP server, which Fastify owns; only the engine.io side is closed here.
        io.engine.close();
        resolve();
      }),
  };
}
