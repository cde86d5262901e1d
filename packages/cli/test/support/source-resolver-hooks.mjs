import { fileURLToPath, pathToFileURL } from "node:url";

const packagesDir = fileURLToPath(new URL("../../../", import.meta.url));
const SOURCES = {
  "@atelier/core": "core",
  "@atelier/engine": "engine",
  "@atelier/nodes": "nodes",
  "@atelier/server": "server",
};

/** Node's resolve hook: workspace packages → their TypeScript entry points. */
export async function resolve(specifier, context, nextResolve) {
  const pkg = SOURCES[specifier];
  if (pkg !== undefined) {
    // Handed on, so that tsx's own resolver marks the file as TypeScript for its loader.
    return nextResolve(pathToFileURL(`${packagesDir}${pkg}/src/index.ts`).href, context);
  }
  return nextResolve(specifier, context);
}
