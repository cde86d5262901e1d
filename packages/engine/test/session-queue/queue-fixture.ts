// A session queue on a real database (a SQLite file in a temp folder, or a fresh PostgreSQL database) with every
// event it emits recorded.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  EventBus,
  openDatabase,
  SessionQueue,
  type AtelierEvent,
  type DatabaseConfig,
  type OpenedDatabase,
} from "@atelier/engine";
import { createTempDatabase } from "../support/postgres.js";
import { testRegistry } from "./queue-test-nodes.js";

/** Makes the database config of one fixture, and cleans up after it. */
export interface DatabaseTarget {
  config(): Promise<DatabaseConfig>;
  cleanup(): Promise<void>;
}

/** A SQLite file in a fresh temp folder. */
export async function sqliteTarget(): Promise<DatabaseTarget> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "atelier-queue-"));
  return {
    config: async () => ({ db_backend: "sqlite", paths: { db: path.join(dir, "atelier.db") } }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A fresh database on the PostgreSQL server at `serverUrl`. */
export async function postgresTarget(serverUrl: string): Promise<DatabaseTarget> {
  const database = await createTempDatabase(serverUrl);
  return {
    config: async () => ({ db_backend: "postgres", db_url: database.url, paths: { db: "/unused" } }),
    cleanup: () => database.drop(),
  };
}

/** A queue with recorded events. */
export interface QueueFixture {
  opened: OpenedDatabase;
  queue: SessionQueue;
  events: EventBus;
  /** Every event emitted so far, in order. */
  seen: AtelierEvent[];
  /** The payloads of one event kind. */
  payloads<K extends AtelierEvent["name"]>(name: K): Extract<AtelierEvent, { name: K }>["payload"][];
  dispose(): Promise<void>;
}

/** Opens the database of `target` and builds a queue on it. */
export async function queueFixture(
  target: DatabaseTarget,
  options: { maxQueueSize?: number } = {},
): Promise<QueueFixture> {
  const opened = await openDatabase(await target.config());
  const events = new EventBus();
  const seen: AtelierEvent[] = [];
  events.onAny((e) => {
    seen.push(e);
  });
  const queue = new SessionQueue({
    db: opened.db,
    dialect: opened.dialect,
    lookup: testRegistry(),
    events,
    maxQueueSize: options.maxQueueSize,
  });
  return {
    opened,
    queue,
    events,
    seen,
    payloads: (name) => seen.filter((e) => e.name === name).map((e) => e.payload) as never,
    async dispose() {
      await opened.close();
      await target.cleanup();
    },
  };
}
