// A model manager on a temp root with a real SQLite database and a captured event log.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  EventBus,
  loadConfig,
  ModelManager,
  openDatabase,
  type AtelierConfigInput,
  type AtelierEvent,
  type OpenedDatabase,
} from "@atelier/engine";
import { writeZeroSafetensors, type TensorSpec } from "./model-fixtures.js";

/** The manager, its database and root, and every event it emitted. */
export interface ManagerFixture {
  root: string;
  manager: ModelManager;
  database: OpenedDatabase;
  events: EventBus;
  log: AtelierEvent[];
  /** Names of the events emitted so far, in order. */
  names(): string[];
  dispose(): Promise<void>;
}

/** Builds a manager; `overrides` are config values, `hfEndpoint` the fake hub. */
export async function managerFixture(
  options: {
    overrides?: Partial<Record<keyof AtelierConfigInput, unknown>>;
    hfEndpoint?: string;
    root?: string;
    start?: boolean;
  } = {},
): Promise<ManagerFixture> {
  const root = options.root ?? (await mkdtemp(join(tmpdir(), "atelier-models-")));
  const config = loadConfig({
    root,
    env: {},
    onWarning: () => undefined,
    overrides: { allow_private_download_urls: true, ...options.overrides },
  });
  const database = await openDatabase(config);
  const events = new EventBus();
  const log: AtelierEvent[] = [];
  events.onAny((event) => void log.push(event));
  const manager = new ModelManager({
    db: database.db,
    config,
    events,
    hfEndpoint: options.hfEndpoint,
    downloads: { retryDelayMs: 20, progressIntervalMs: 0 },
  });
  if (options.start ?? true) await manager.start();
  return {
    root,
    manager,
    database,
    events,
    log,
    names: () => log.map((e) => e.name),
    async dispose() {
      await manager.close();
      await database.close();
      if (options.root === undefined) await rm(root, { recursive: true, force: true });
    },
  };
}

/** A safetensors file with these tensors and random data (so that a resumed download is checked byte for byte). */
export async function randomSafetensors(path: string, tensors: Record<string, TensorSpec>): Promise<Buffer> {
  await writeZeroSafetensors(path, tensors);
  const bytes = await readFile(path);
  const headerEnd = 8 + Number(bytes.readBigUInt64LE(0));
  randomBytes(bytes.length - headerEnd).copy(bytes, headerEnd);
  return bytes;
}
