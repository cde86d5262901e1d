import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const coreSrc = join(repoRoot, "packages", "core", "src");

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/**
 * Writes a separate, runnable copy of the @atelier/core package into `target` (package.json + dist/*.js, its zod
 * linked to the repository's): what a node pack gets when it resolves its own @atelier/core. Transpiling (no type
 * check) takes a second, and unlike packages/core/dist it can never be stale or missing.
 */
export function writeTranspiledCoreCopy(target: string): string {
  for (const file of tsFiles(coreSrc)) {
    const out = join(target, "dist", relative(coreSrc, file)).replace(/\.ts$/, ".js");
    const { outputText } = ts.transpileModule(readFileSync(file, "utf8"), {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2023,
        verbatimModuleSyntax: true,
      },
    });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  writeFileSync(
    join(target, "package.json"),
    JSON.stringify({ name: "@atelier/core", type: "module", exports: { ".": "./dist/index.js" } }),
  );
  mkdirSync(join(target, "node_modules"), { recursive: true });
  symlinkSync(join(repoRoot, "node_modules", "zod"), join(target, "node_modules", "zod"), "junction");
  return join(target, "dist", "index.js");
}
