// Starts the services the tests need, once per `npm test`: a throwaway PostgreSQL server when PostgreSQL is installed
// (as on CI) and no server was named in ATELIER_TEST_PG_URL. Tests that need it read ATELIER_TEST_PG_URL.
import {
  findPostgresBin,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from "../packages/engine/test/support/postgres.js";

let server: ThrowawayPostgres | undefined;

export async function setup(): Promise<void> {
  if (process.env.ATELIER_TEST_PG_URL || process.env.ATELIER_TEST_NO_PG) return;
  if (findPostgresBin() === undefined) {
    console.warn("PostgreSQL is not installed: PostgreSQL tests are skipped");
    return;
  }
  server = await startThrowawayPostgres();
  process.env.ATELIER_TEST_PG_URL = server.url;
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
