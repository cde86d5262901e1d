// Throwaway PostgreSQL servers and databases for tests (see STACK.md "Services for tests").
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import pg from "pg";

const run = promisify(execFile);

/** A running server and how to reach and stop it. */
export interface ThrowawayPostgres {
  /** Superuser URL of the `postgres` database, e.g. postgres://postgres@127.0.0.1:54321/postgres. */
  url: string;
  /** Stops the server and deletes its files. */
  stop(): Promise<void>;
}

/** The newest installed PostgreSQL bin folder, or undefined when none is installed. */
export function findPostgresBin(): string | undefined {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, "bin", "initdb")))
    .sort((a, b) => Number(a) - Number(b));
  return versions.length === 0 ? undefined : join(base, versions[versions.length - 1], "bin");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/** Runs a PostgreSQL tool; as root through `su postgres`, since the server refuses to run as root. */
async function runAsPostgres(command: string, args: string[]): Promise<void> {
  if (process.getuid?.() === 0) {
    await run("su", ["postgres", "-c", [command, ...args].map(quote).join(" ")]);
  } else {
    await run(command, args);
  }
}

/** Starts a fresh server (initdb into a temp folder, pg_ctl start on a free loopback port, trust auth). */
export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = findPostgresBin();
  if (bin === undefined) throw new Error("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)");
  const dir = await mkdtemp(join(tmpdir(), "atelier-pg-"));
  if (process.getuid?.() === 0) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, "data");
  await runAsPostgres(join(bin, "initdb"), [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth=trust",
    "-E",
    "UTF8",
    "--locale=C.UTF-8",
    "--no-sync",
  ]);
  // A port can be taken between the probe and the start; retry a few times with a new one.
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await runAsPostgres(join(bin, "pg_ctl"), [
        "-D",
        data,
        "-l",
        join(dir, "server.log"),
        "-o",
        `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
        "-w",
        "start",
      ]);
      break;
    } catch (error) {
      if (attempt >= 2) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await runAsPostgres(join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A database created for one test file on a server, and how to drop it. */
export interface TempDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database with a random name on the server at `serverUrl`. */
export async function createTempDatabase(serverUrl: string): Promise<TempDatabase> {
  const name = `atelier_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
