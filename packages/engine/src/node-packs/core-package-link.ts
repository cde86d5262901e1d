import { existsSync, lstatSync, mkdirSync, readlinkSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// A node pack imports "@atelier/core". Node resolves bare specifiers by walking up from the importing file to a
// node_modules folder, so a link at <nodesDir>/node_modules/@atelier/core makes every pack, wherever the root
// folder is, get the running Atelier's own core (the same module instance when it resolves to the same file).

/** The folder of the @atelier/core package this engine runs with (symlinks resolved). */
export function findCorePackageDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, "node_modules", "@atelier", "core");
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no node_modules/@atelier/core above ${from}`);
    dir = parent;
  }
}

/** What `linkCorePackage` did. */
export type CoreLinkOutcome = "created" | "refreshed" | "kept" | "not-a-link";

/**
 * Creates or refreshes the symlink `<nodesDir>/node_modules/@atelier/core` → `corePackageDir`. A real folder in
 * that place (something the user installed) is left alone and reported as `not-a-link`.
 */
export function linkCorePackage(nodesDir: string, corePackageDir: string): CoreLinkOutcome {
  const target = realpathSync(corePackageDir);
  const link = join(nodesDir, "node_modules", "@atelier", "core");
  mkdirSync(dirname(link), { recursive: true });
  let outcome: CoreLinkOutcome = "created";
  const stat = lstatSync(link, { throwIfNoEntry: false });
  if (stat !== undefined) {
    if (!stat.isSymbolicLink()) return "not-a-link";
    if (resolve(dirname(link), readlinkSync(link)) === target) return "kept";
    rmSync(link);
    outcome = "refreshed";
  }
  // "junction" makes a directory link on Windows without admin rights; it is ignored elsewhere.
  symlinkSync(target, link, "junction");
  return outcome;
}
