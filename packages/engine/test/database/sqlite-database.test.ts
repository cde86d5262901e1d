import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompiledQuery, sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import {
  createLogger,
  DatabaseUnavailableError,
  loadConfig,
  openDatabase,
  type DatabaseConfig,
  type OpenedDatabase,
} from "@atelier/engine";
import { defineSchemaTests } from "./schema-suite.js";

const root = mkdtempSync(join(tmpdir(), "atelier-sqlite-"));
let counter = 0;

function sqliteConfig(): DatabaseConfig {
  counter += 1;
  return { db_backend: "sqlite", paths: { db: join(root, `db-${counter}`, "atelier.db") } };
}

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("SQLite schema", () => {
  defineSchemaTests("sqlite", async () => sqliteConfig());
});

describe("SQLite connection", () => {
  it("opens the database file that a loaded config names, with a logger from the same config", async () => {
    const configRoot = join(root, "from-config");
    const config = loadConfig({ root: configRoot, env: {}, onWarning: () => undefined });
    const lines: string[] = [];
    const logger = createLogger(
      { ...config, log_format: "json" },
      { destination: { write: (chunk: string) => lines.push(chunk) } },
    );
    const opened = await openDatabase(config, { logger });
    try {
      expect(opened.location).toBe(join(configRoot, "databases", "atelier.db"));
      expect(existsSync(opened.location)).toBe(true);
      expect(lines.join("")).toContain("Applied database migration 1 (initial-schema)");
    } finally {
      await opened.close();
    }
  });

  it("logs every statement at debug level when log_sql is set", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger(
      { log_format: "json", log_level: "debug" },
      { destination: { write: (chunk: string) => lines.push(JSON.parse(chunk) as Record<string, unknown>) } },
    );
    const opened = await openDatabase({ ...sqliteConfig(), log_sql: true }, { logger });
    try {
      await opened.db.selectFrom("boards").selectAll().where("board_id", "=", "zz").execute();
      const statement = lines.find((l) => l.msg === "SQL" && String(l.sql).includes('from "boards"'));
      expect(statement).toBeDefined();
      expect(typeof statement?.duration_ms).toBe("number");
    } finally {
      await opened.close();
    }
  });

  it("turns on WAL, foreign keys, busy_timeout and synchronous NORMAL", async () => {
    const opened = await openDatabase(sqliteConfig());
    try {
      const pragma = async (name: string) =>
        Object.values((await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(opened.db)).rows[0])[0];
      expect(await pragma("journal_mode")).toBe("wal");
      expect(await pragma("foreign_keys")).toBe(1);
      expect(await pragma("busy_timeout")).toBe(5000);
      expect(await pragma("synchronous")).toBe(1); // NORMAL
    } finally {
      await opened.close();
    }
  });

  it("keeps an in-memory database when use_memory_db is set", async () => {
    const config = { ...sqliteConfig(), use_memory_db: true };
    const opened = await openDatabase(config);
    try {
      expect(opened.location).toBe(":memory:");
      const tables = await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table'`.execute(
        opened.db,
      );
      expect(tables.rows[0].n).toBeGreaterThan(5);
    } finally {
      await opened.close();
    }
  });

  it("says where the database is when it cannot be opened", async () => {
    const notADatabase = join(root, "plain.txt");
    writeFileSync(notADatabase, "this is not an SQLite file, just some text to fill a page".repeat(200));
    const error = await openDatabase({ db_backend: "sqlite", paths: { db: notADatabase } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).message).toContain(notADatabase);
  });

  it("lists a board's gallery page through the gallery index, without sorting", async () => {
    const opened = await openDatabase(sqliteConfig());
    try {
      const page = opened.db
        .selectFrom("images")
        .select("image_name")
        .where("board_id", "=", "b1")
        .where("image_category", "=", "general")
        .where("is_intermediate", "=", 0)
        .where(sql<boolean>`(starred, created_at, image_name) < (${1}, ${"2025-01-01T00:00:00.000Z"}, ${"x.png"})`)
        .orderBy("starred", "desc")
        .orderBy("created_at", "desc")
        .orderBy("image_name", "desc")
        .limit(100)
        .compile();
      const details = await explain(opened, page.sql, page.parameters);
      expect(details.join(" | ")).toContain("images_gallery_starred");
      expect(details.join(" | ")).not.toContain("TEMP B-TREE");

      const claim = opened.db
        .selectFrom("session_queue")
        .select("item_id")
        .where("queue_id", "=", "default")
        .where("status", "=", "pending")
        .orderBy("priority", "desc")
        .orderBy("item_id", "asc")
        .limit(1)
        .compile();
      const claimPlan = (await explain(opened, claim.sql, claim.parameters)).join(" | ");
      expect(claimPlan).toContain("session_queue_claim");
      expect(claimPlan).not.toContain("TEMP B-TREE");
    } finally {
      await opened.close();
    }
  });
});

/** SQLite's query plan lines for a compiled query. */
async function explain(opened: OpenedDatabase, query: string, parameters: readonly unknown[]): Promise<string[]> {
  const result = await opened.db.executeQuery<{ detail: string }>(
    CompiledQuery.raw(`explain query plan ${query}`, [...parameters]),
  );
  return result.rows.map((r) => r.detail);
}
