import { cp, mkdir, readdir, rename, rm, rmdir, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { ModelPathError } from "../model-errors.js";

/** Whether `path` lies strictly inside `folder`. */
export function isInside(path: string, folder: string): boolean {
  const rel = relative(resolve(folder), resolve(path));
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

/** Renames, or copies then removes when the two paths are on different filesystems. */
export async function movePath(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
    await cp(from, to, { recursive: true, errorOnExist: true, force: false });
    await rm(from, { recursive: true, force: true });
  }
}

/**
 * Moves a model into `models/<key>/`: a file to `models/<key>/<file name>`, a folder's contents to `models/<key>/`
 * (InvokeAI's layout). Returns the new path. Refuses when the destination exists.
 */
export async function moveModelIntoPlace(source: string, modelsDir: string, key: string): Promise<string> {
  const destDir = join(modelsDir, key);
  if (
    await stat(destDir).then(
      () => true,
      () => false,
    )
  ) {
    throw new ModelPathError(`Cannot install into ${destDir}: it already exists`, { path: destDir });
  }
  const info = await stat(source);
  if (info.isDirectory()) {
    await movePath(source, destDir);
    return destDir;
  }
  const dest = join(destDir, basename(source));
  await movePath(source, dest);
  return dest;
}

/**
 * Deletes a model's files, only when they live inside the models folder (a model registered in place elsewhere is
 * the user's, and stays). Removes the `models/<key>/` folder too once it is empty. Returns whether files went.
 */
export async function deleteModelFiles(path: string, modelsDir: string): Promise<boolean> {
  if (!isInside(path, modelsDir)) return false;
  await rm(path, { recursive: true, force: true });
  const parent = dirname(path);
  if (isInside(parent, modelsDir)) {
    const left = await readdir(parent).catch(() => undefined);
    if (left !== undefined && left.length === 0) await rmdir(parent).catch(() => undefined);
  }
  return true;
}
