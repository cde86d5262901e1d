import { readdir, rm, stat } from "node:fs/promises";
import { extname, join, relative, resolve, sep } from "node:path";
import { MODEL_FILE_EXTENSIONS } from "../probe/model-on-disk.js";
import type { ModelRecords } from "../records/model-records.js";
import { INSTALL_TEMP_PREFIX } from "./model-install-service.js";
import { isInside } from "./model-files.js";

/** A folder under models_dir that holds model files no record points to (InvokeAI's OrphanedModelInfo). */
export interface OrphanedModelInfo {
  /** Relative to models_dir, with `/`. */
  path: string;
  absolute_path: string;
  /** The model files in it, relative to it. */
  files: string[];
  /** Size of every file in it. */
  size_bytes: number;
}

/** What `deleteOrphanedModels` did (InvokeAI's DeleteOrphanedModelsResponse). */
export interface DeleteOrphanedModelsResult {
  deleted: string[];
  /** Path → why it was not deleted. */
  errors: Record<string, string>;
}

/** How deep a legacy layout (`<base>/<type>/<name>/…`) is searched for orphans. */
const MAX_DEPTH = 4;

interface FolderScan {
  modelFiles: string[];
  sizeBytes: number;
}

async function scanFolder(folder: string): Promise<FolderScan> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const out: FolderScan = { modelFiles: [], sizeBytes: 0 };
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.sizeBytes += (await stat(path)).size;
    if (MODEL_FILE_EXTENSIONS.has(extname(entry.name).toLowerCase()))
      out.modelFiles.push(relative(folder, path).split(sep).join("/"));
  }
  out.modelFiles.sort();
  return out;
}

/** Folders the model manager keeps for itself: hidden ones (download cache, cover images) and install temp folders. */
function isManagerFolder(name: string): boolean {
  return name.startsWith(".") || name.startsWith(INSTALL_TEMP_PREFIX);
}

/**
 * Finds folders under models_dir holding model files that no record points to (files left behind when a record
 * was removed without its files). A folder that holds a registered model, or lies inside one, is never an orphan;
 * a folder that only contains registered models is searched further (legacy `<base>/<type>/<name>` layouts).
 */
export async function findOrphanedModels(records: ModelRecords): Promise<OrphanedModelInfo[]> {
  const modelsDir = records.modelsDir;
  const registered = [...(await records.allPaths())].map((p) => records.toAbsolutePath(p));
  const out: OrphanedModelInfo[] = [];
  const walk = async (folder: string, depth: number): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!entry.isDirectory() || isManagerFolder(entry.name)) continue;
      const path = join(folder, entry.name);
      // Registered here or below: not an orphan itself, but a sibling of the registered model may be one.
      if (registered.some((r) => r === path || isInside(path, r))) continue;
      if (registered.some((r) => isInside(r, path))) {
        if (depth < MAX_DEPTH) await walk(path, depth + 1);
        continue;
      }
      const scan = await scanFolder(path);
      if (scan.modelFiles.length === 0) continue;
      out.push({
        path: relative(modelsDir, path).split(sep).join("/"),
        absolute_path: path,
        files: scan.modelFiles,
        size_bytes: scan.sizeBytes,
      });
    }
  };
  await walk(modelsDir, 0);
  return out;
}

/**
 * Deletes orphaned folders given by their paths relative to models_dir. Each path must be one that
 * `findOrphanedModels` reports now (so a registered model, a folder outside models_dir or a manager folder is
 * never deleted); the others are reported in `errors`.
 */
export async function deleteOrphanedModels(
  records: ModelRecords,
  paths: readonly string[],
): Promise<DeleteOrphanedModelsResult> {
  const orphans = new Map((await findOrphanedModels(records)).map((o) => [o.path, o]));
  const result: DeleteOrphanedModelsResult = { deleted: [], errors: {} };
  for (const path of paths) {
    const normalised = relative(records.modelsDir, resolve(records.modelsDir, path)).split(sep).join("/");
    const orphan = orphans.get(normalised);
    if (orphan === undefined) {
      result.errors[path] = `${path} is not an orphaned model folder inside ${records.modelsDir}`;
      continue;
    }
    try {
      await rm(orphan.absolute_path, { recursive: true, force: true });
      result.deleted.push(path);
    } catch (error) {
      result.errors[path] = `could not delete ${orphan.absolute_path}: ${(error as Error).message}`;
    }
  }
  return result;
}
