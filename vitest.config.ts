import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// Tests run against the TypeScript sources, so no build is needed before `npm test`.
export default defineConfig({
  resolve: {
    alias: {
      "@atelier/core": src("core"),
      "@atelier/engine": src("engine"),
      "@atelier/nodes": src("nodes"),
      "@atelier/server": src("server"),
    },
  },
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    globalSetup: ["test-support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
