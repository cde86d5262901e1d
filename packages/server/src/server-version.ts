import { readFileSync } from "node:fs";

let cached: string | undefined;

/** The version of @atelier/server, read from its package.json (the same path from `src/` and `dist/`). */
export function serverVersion(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
    cached = pkg.version ?? "0.0.0";
  }
  return cached;
}
