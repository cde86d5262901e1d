// Shared by bench/queue*.bench.ts: run against the TypeScript sources (one copy of @atelier/core, never a stale
// dist), medians, CPU time, and a throwaway engine on a temp root.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../", import.meta.url));

/**
 * Makes `@atelier/*` resolve to packages/<pkg>/src (through tsx's tsconfig paths). When the variable is not set yet,
 * re-runs this script with it and exits with the child's status, so callers must import the engine dynamically.
 * BENCH_NODE_ARGS adds node flags to that run (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
export function ensureSourceAliases(script: string): void {
  if (process.env.TSX_TSCONFIG_PATH) return;
  const dir = mkdtempSync(join(tmpdir(), "atelier-bench-"));
  const tsconfig = join(dir, "tsconfig.json");
  const paths: Record<string, string[]> = {};
  for (const pkg of ["core", "engine", "nodes"])
    paths[`@atelier/${pkg}`] = [join(repoRoot, "packages", pkg, "src", "index.ts")];
  writeFileSync(tsconfig, JSON.stringify({ compilerOptions: { paths } }));
  const result = spawnSync(
    process.execPath,
    [
      "--expose-gc",
      ...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean),
      "--import",
      "tsx",
      fileURLToPath(script),
      ...process.argv.slice(2),
    ],
    {
      cwd: repoRoot,
      stdio: "inherit",
      env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig },
    },
  );
  rmSync(dir, { recursive: true, force: true });
  process.exit(result.status ?? 1);
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** CPU time (user + system) of this process, in milliseconds. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Peak RSS of this process so far, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** A line about the machine: wall-clock figures on a shared, loaded machine include waiting for a core. */
export function machineLine(): string {
  return `node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`;
}

/** Runs a full garbage collection when exposed. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** A fresh temp folder, removed by the returned function. */
export function tempRoot(prefix: string): { root: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Runs `n` times (after `warmup` unmeasured runs) and returns the measurements: the steady state of a long-running
 * server. No full collection is forced between runs: V8 restarts with a small young generation after one, which
 * made the next run up to 2.5× slower than any run in steady state (set BENCH_GC=1 to force one anyway).
 */
export async function repeat<T>(n: number, warmup: number, fn: (run: number) => Promise<T>): Promise<T[]> {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    if (process.env.BENCH_GC === "1") collectGarbage();
    out.push(await fn(i));
  }
  return out;
}
