import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe } from "vitest";
import type { DatabaseConfig } from "@atelier/engine";
import { createTempDatabase, type TempDatabase } from "../support/postgres.js";
import { defineImageRecordsTests } from "./image-records-suite.js";

const root = mkdtempSync(join(tmpdir(), "atelier-image-records-"));
let counter = 0;
const serverUrl = process.env.ATELIER_TEST_PG_URL;
const created: TempDatabase[] = [];

afterAll(async () => {
  for (const database of created) await database.drop();
  rmSync(root, { recursive: true, force: true });
});

describe("ImageRecords on SQLite", () => {
  defineImageRecordsTests("sqlite", async (): Promise<DatabaseConfig> => {
    counter += 1;
    return { db_backend: "sqlite", paths: { db: join(root, `db-${counter}`, "atelier.db") } };
  });
});

describe.skipIf(serverUrl === undefined || serverUrl === "")("ImageRecords on PostgreSQL", () => {
  defineImageRecordsTests("postgres", async (): Promise<DatabaseConfig> => {
    const database = await createTempDatabase(serverUrl!);
    created.push(database);
    return { db_backend: "postgres", db_url: database.url, paths: { db: "/unused/atelier.db" } };
  });
});
