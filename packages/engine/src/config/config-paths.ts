import { isAbsolute, join, resolve } from "node:path";
import type { AtelierConfigValues } from "./config-schema.js";

/** File name of the SQLite database inside `db_dir`. */
export const DATABASE_FILE_NAME = "atelier.db";

/** Absolute paths derived from the root folder and the `*_dir` fields. */
export interface ConfigPaths {
  root: string;
  configFile: string;
  outputs: string;
  images: string;
  thumbnails: string;
  tensors: string;
  conditioning: string;
  dbDir: string;
  /** The SQLite database file (used unless db_backend is postgres or use_memory_db is set). */
  db: string;
  models: string;
  downloadCache: string;
  legacyConf: string;
  nodes: string;
  stylePresets: string;
  workflowThumbnails: string;
  profiles: string;
}

/** Resolves every configured folder against the root (absolute values are kept as they are). */
export function resolveConfigPaths(root: string, configFile: string, values: AtelierConfigValues): ConfigPaths {
  const under = (dir: string) => (isAbsolute(dir) ? resolve(dir) : resolve(root, dir));
  const outputs = under(values.outputs_dir);
  const images = join(outputs, "images");
  const dbDir = under(values.db_dir);
  return {
    root,
    configFile,
    outputs,
    images,
    thumbnails: join(images, "thumbnails"),
    tensors: join(outputs, "tensors"),
    conditioning: join(outputs, "conditioning"),
    dbDir,
    db: join(dbDir, DATABASE_FILE_NAME),
    models: under(values.models_dir),
    downloadCache: under(values.download_cache_dir),
    legacyConf: under(values.legacy_conf_dir),
    nodes: under(values.custom_nodes_dir),
    stylePresets: under(values.style_presets_dir),
    workflowThumbnails: under(values.workflow_thumbnails_dir),
    profiles: under(values.profiles_dir),
  };
}
