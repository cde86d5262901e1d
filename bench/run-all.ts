// Runs every benchmark in this folder one after another (`npm run bench`), or those whose file names contain one of
// the command-line arguments (`npm run bench -- queue image`). Each benchmark prints its own medians and ratios, in a
// process started with the launcher's malloc settings, as `npm start` and `atelier` run.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { envWithoutMalloc, launcherMallocEnv } from "./launcher-malloc.js";

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join(here, file)], {
    stdio: "inherit",
    env: { ...envWithoutMalloc(), ...launcherMallocEnv() },
  });
  if (r.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
