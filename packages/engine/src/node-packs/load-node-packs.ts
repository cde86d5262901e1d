import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { isInvocationDefinition, isOutputDefinition, type NodeRegistry } from "@atelier/core";
import { findCorePackageDir, linkCorePackage } from "./core-package-link.js";

// Custom node packs (InvokeAI's load_custom_nodes): every folder <nodesDir>/<pack>/ with an index.js (ESM) is
// imported and the nodes it exports are registered as belonging to <pack>. A pack can only hurt itself: whatever
// it throws, or if it never finishes loading, it is logged and skipped.

/** Where the loader reports (the engine's Logger satisfies it). */
export interface NodePackLogger {
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

/** Options of `loadNodePacks` / `loadNodePack`. */
export interface NodePackOptions {
  /** The @atelier/core package packs should import; default: the one this engine runs with. */
  readonly corePackageDir?: string;
  /** Imports a pack's entry module by file URL; default: the runtime's dynamic `import()`. */
  readonly importModule?: (url: string) => Promise<Readonly<Record<string, unknown>>>;
  /** Appended to module URLs (`?reload=<token>`) so a reload evaluates the pack's entry again. */
  readonly reloadToken?: string;
  /** How long one pack may take to import before it is given up on (ms, default 30 000). */
  readonly timeoutMs?: number;
}

/** A pack that loaded. */
export interface LoadedNodePack {
  readonly pack: string;
  readonly nodeTypes: readonly string[];
  readonly outputTypes: readonly string[];
  /** Override warnings ("Overriding core node X with pack Y"). */
  readonly warnings: readonly string[];
}

/** A pack that did not load. */
export interface FailedNodePack {
  readonly pack: string;
  readonly error: string;
}

/** What `loadNodePacks` did. */
export interface NodePacksReport {
  readonly loaded: readonly LoadedNodePack[];
  readonly failed: readonly FailedNodePack[];
  /** Folders that are not packs: names starting with `_` or `.`, `node_modules`, folders without index.js. */
  readonly skipped: readonly string[];
}

/** The entry module of a pack. */
export const NODE_PACK_ENTRY = "index.js";

function defaultImport(url: string): Promise<Readonly<Record<string, unknown>>> {
  return import(url) as Promise<Readonly<Record<string, unknown>>>;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish loading within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function isPackFolder(nodesDir: string, name: string): boolean {
  if (name.startsWith("_") || name.startsWith(".") || name === "node_modules") return false;
  try {
    return statSync(join(nodesDir, name)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Imports one pack and registers its exported nodes (and output types) with `node_pack = pack`. Throws when the
 * pack cannot be imported; registers nothing in that case.
 */
export async function loadNodePack(
  nodesDir: string,
  pack: string,
  registry: NodeRegistry,
  logger: NodePackLogger,
  options: NodePackOptions = {},
): Promise<LoadedNodePack> {
  const entry = join(nodesDir, pack, NODE_PACK_ENTRY);
  if (!existsSync(entry)) throw new Error(`node pack ${pack} has no ${NODE_PACK_ENTRY}`);
  const url =
    pathToFileURL(entry).href +
    (options.reloadToken === undefined ? "" : `?reload=${encodeURIComponent(options.reloadToken)}`);
  const importModule = options.importModule ?? defaultImport;
  const exports = await withTimeout(importModule(url), options.timeoutMs ?? 30_000, `node pack ${pack}`);

  const nodeTypes: string[] = [];
  const outputTypes: string[] = [];
  const warnings: string[] = [];
  const seen = new Set<unknown>();
  for (const value of Object.values(exports)) {
    if (seen.has(value)) continue;
    seen.add(value);
    if (isInvocationDefinition(value)) {
      const warning = registry.register(value, { nodePack: pack });
      if (warning !== undefined) {
        warnings.push(warning);
        logger.warning(warning);
      }
      nodeTypes.push(value.type);
    } else if (isOutputDefinition(value)) {
      registry.registerOutput(value, { nodePack: pack });
      outputTypes.push(value.type);
    }
  }
  if (nodeTypes.length === 0) logger.warning(`Node pack ${pack} exports no nodes (made with defineInvocation)`);
  else logger.info(`Loaded node pack ${pack}: ${nodeTypes.join(", ")}`);
  return { pack, nodeTypes, outputTypes, warnings };
}

/**
 * Loads every pack under `nodesDir` (created if missing), in name order, after linking
 * `<nodesDir>/node_modules/@atelier/core` to the running core. Never throws: failures are logged and reported.
 */
export async function loadNodePacks(
  nodesDir: string,
  registry: NodeRegistry,
  logger: NodePackLogger,
  options: NodePackOptions = {},
): Promise<NodePacksReport> {
  const loaded: LoadedNodePack[] = [];
  const failed: FailedNodePack[] = [];
  const skipped: string[] = [];
  let names: string[];
  try {
    mkdirSync(nodesDir, { recursive: true });
    names = readdirSync(nodesDir).sort();
  } catch (err) {
    logger.error(`Cannot read the custom nodes folder ${nodesDir}: ${messageOf(err)}`);
    return { loaded, failed, skipped };
  }
  try {
    const outcome = linkCorePackage(nodesDir, options.corePackageDir ?? findCorePackageDir());
    if (outcome === "not-a-link") {
      logger.warning(
        `${join(nodesDir, "node_modules", "@atelier", "core")} is a folder, not a link: packs use it as is`,
      );
    }
  } catch (err) {
    logger.warning(`Cannot link @atelier/core into ${nodesDir}: ${messageOf(err)}; packs importing it may fail`);
  }

  for (const name of names) {
    if (!isPackFolder(nodesDir, name)) {
      if (name !== "node_modules") skipped.push(name);
      continue;
    }
    if (!existsSync(join(nodesDir, name, NODE_PACK_ENTRY))) {
      logger.info(`Skipping ${join(nodesDir, name)}: no ${NODE_PACK_ENTRY}`);
      skipped.push(name);
      continue;
    }
    try {
      loaded.push(await loadNodePack(nodesDir, name, registry, logger, options));
    } catch (err) {
      const error = messageOf(err);
      logger.error(`Failed to load node pack ${name}: ${error}`);
      failed.push({ pack: name, error });
    }
  }
  return { loaded, failed, skipped };
}

/** Unregisters a pack and imports it afresh (InvokeAI's custom-node reload). */
export async function reloadNodePack(
  nodesDir: string,
  pack: string,
  registry: NodeRegistry,
  logger: NodePackLogger,
  options: NodePackOptions = {},
): Promise<LoadedNodePack> {
  registry.unregisterPack(pack);
  return loadNodePack(nodesDir, pack, registry, logger, {
    ...options,
    reloadToken: options.reloadToken ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`,
  });
}
