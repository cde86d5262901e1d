// Imported first by benches that load the engine: the engine imports "@atelier/core", which this points at core's
// TypeScript sources (as vitest's alias does), so a bench needs no build and never runs a stale dist. The engine
// must then be imported dynamically, after this hook is registered.
import { register } from "node:module";

register(
  `data:text/javascript,${encodeURIComponent(`
    const core = ${JSON.stringify(new URL("../packages/core/src/index.ts", import.meta.url).href)};
    export async function resolve(specifier, context, next) {
      return specifier === "@atelier/core" ? next(core, context) : next(specifier, context);
    }`)}`,
);
