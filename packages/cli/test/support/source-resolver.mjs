// Lets a child process run the CLI from TypeScript sources without a build: `@atelier/*` resolves to each
// package's src/index.ts (as the vitest aliases do); tsx (loaded before this) compiles the .ts files.
import { register } from "node:module";

register("./source-resolver-hooks.mjs", import.meta.url);
