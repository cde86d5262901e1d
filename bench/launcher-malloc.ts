import { readFileSync } from "node:fs";

/**
 * The glibc malloc settings `npm start` and the `atelier` launcher start node with (read from the start script,
 * which a CLI test keeps equal to the launcher's shebang). They must be in the environment when a process starts.
 */
export function launcherMallocEnv(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    scripts: Record<string, string>;
  };
  return Object.fromEntries([...pkg.scripts.start.matchAll(/\b(MALLOC_\w+)=(\d+)/g)].map((m) => [m[1], m[2]]));
}

/** The current environment without any MALLOC_ setting (glibc's defaults). */
export function envWithoutMalloc(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("MALLOC_")));
}
