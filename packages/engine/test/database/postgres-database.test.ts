// Runs the schema suite on a real PostgreSQL when ATELIER_TEST_PG_URL names a server (a superuser URL of any
// database; each test gets a fresh database there). test/support/postgres.ts can start a throwaway server.
import { afterAll, describe, expect, it } from "vitest";
import {
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
