import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const resolver = fileURLToPath(new URL("./source-resolver.mjs", import.meta.url));
const mainTs = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

/** What a CLI child process did. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `atelier <args>` as a child process from the sources and hands it back (for long-running commands). */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ["--import", "tsx", "--import", resolver, mainTs, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env, NO_COLOR: "1" },
  });
}

/** Runs `atelier <args>` as a child process from the TypeScript sources (tsx + a resolver for workspace packages). */
export function runCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--import", resolver, mainTs, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...options.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 90_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
