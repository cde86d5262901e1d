import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const mallocSettings = (text: string): Record<string, string> =>
  Object.fromEntries([...text.matchAll(/\b(MALLOC_\w+)=(\d+)/g)].map((m) => [m[1], m[2]]));

describe("the atelier launcher", () => {
  const shebang = readFileSync(new URL("../src/main.ts", import.meta.url), "utf8").split("\n")[0];
  const startScript = (
    JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
      scripts: Record<string, string>;
    }
  ).scripts.start;

  it("starts node with the same malloc settings as npm start", () => {
    expect(shebang.startsWith("#!/usr/bin/env -S ")).toBe(true);
    expect(Object.keys(mallocSettings(shebang))).toEqual(["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"]);
    expect(mallocSettings(startScript)).toEqual(mallocSettings(shebang));
  });

  it("has a shebang this system's env runs, handing node the settings", () => {
    const [envPath, ...args] = shebang.slice(2).split(" ");
    const split = args.slice(1).join(" "); // what follows -S, as the kernel passes it: one argument
    const run = spawnSync(envPath, ["-S", split, "-e", "console.log(JSON.stringify(process.env))"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH },
    });
    expect(run.stderr).toBe("");
    expect(
      mallocSettings(
        Object.entries(JSON.parse(run.stdout) as Record<string, string>)
          .map(([k, v]) => `${k}=${v}`)
          .join(" "),
      ),
    ).toEqual(mallocSettings(shebang));
  });
});
