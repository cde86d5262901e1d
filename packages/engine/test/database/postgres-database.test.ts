// Runs the schema suite on a real PostgreSQL when ATELIER_TEST_PG_URL names a server (a superuser URL of any
// database; each test gets a fresh database there). test/support/postgres.ts can start a throwaway server.
import { afterAll, describe, expect, it } from "vitest";
import pg from "pg";
import {
  createLogger,
  DatabaseUnavailableError,
  MIGRATIONS,
  openDatabase,
  redactDatabaseUrl,
  type DatabaseConfig,
} from "@atelier/engine";
import { createTempDatabase, type TempDatabase } from "../support/postgres.js";
import { defineSchemaTests } from "./schema-suite.js";

const serverUrl = process.env.ATELIER_TEST_PG_URL;
const created: TempDatabase[] = [];

afterAll(async () => {
  for (const database of created) await database.drop();
});

describe.skipIf(serverUrl === undefined || serverUrl === "")("PostgreSQL schema", () => {
  defineSchemaTests("postgres", async (): Promise<DatabaseConfig> => {
    const database = await createTempDatabase(serverUrl!);
    created.push(database);
    return { db_backend: "postgres", db_url: database.url, paths: { db: "/unused/atelier.db" } };
  });
});

describe.skipIf(serverUrl === undefined || serverUrl === "")("PostgreSQL migrations from several processes", () => {
  it("applies each migration once when two servers start together", async () => {
    const database = await createTempDatabase(serverUrl!);
    created.push(database);
    const config: DatabaseConfig = { db_backend: "postgres", db_url: database.url, paths: { db: "/unused" } };
    const [a, b] = await Promise.all([openDatabase(config), openDatabase(config)]);
    try {
      expect([...a.migrations.applied, ...b.migrations.applied]).toEqual(MIGRATIONS.map((m) => m.id));
      const rows = await a.db.selectFrom("migrations").select("id").execute();
      expect(rows).toHaveLength(MIGRATIONS.length);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe.skipIf(serverUrl === undefined || serverUrl === "")("PostgreSQL connections the server closes", () => {
  it("logs an idle connection the server terminates, keeps the process alive and answers the next query", async () => {
    const database = await createTempDatabase(serverUrl!);
    created.push(database);
    const lines: string[] = [];
    const logger = createLogger(
      { log_level: "warning", log_format: "json" },
      { destination: { write: (chunk: string) => lines.push(chunk) } },
    );
    const opened = await openDatabase(
      { db_backend: "postgres", db_url: database.url, paths: { db: "/unused" } },
      { logger },
    );
    try {
      await opened.db.selectFrom("migrations").select("id").execute(); // leaves an idle client in the pool
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      try {
        const name = new URL(database.url).pathname.slice(1);
        const result = await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
          [name],
        );
        expect(result.rowCount).toBeGreaterThan(0);
      } finally {
        await admin.end();
      }
      const deadline = Date.now() + 5000;
      while (!lines.some((l) => l.includes("closed an idle connection")) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(lines.some((l) => l.includes("closed an idle connection"))).toBe(true);
      const rows = await opened.db.selectFrom("migrations").select("id").execute();
      expect(rows).toHaveLength(MIGRATIONS.length);
    } finally {
      await opened.close();
    }
  });
});

describe("PostgreSQL connection errors", () => {
  it("names the server (without its password) when it cannot be reached", async () => {
    const url = "postgres://atelier:s3cret@127.0.0.1:1/atelier";
    const error = await openDatabase({ db_backend: "postgres", db_url: url, paths: { db: "/unused" } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).message).toContain("127.0.0.1:1");
    expect((error as Error).message).not.toContain("s3cret");
    expect(redactDatabaseUrl(url)).toBe("postgres://atelier:***@127.0.0.1:1/atelier");
  });
});
