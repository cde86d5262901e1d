import { randomBytes } from "node:crypto";
import type { Dirent } from "node:fs";
import { mkdir, open, readdir, readFile, rename, stat, unlink, writeFile, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AtelierError } from "@atelier/core";
import { BlobNotFoundError, BlobStorageError } from "./blob-errors.js";
import { TEMP_FILE_PREFIX, validateBlobKey, validateBlobPrefix } from "./blob-keys.js";
import type { BlobData, BlobStat, BlobStore } from "./blob-store.js";

/** Options of the local file-system blob store. */
export interface FsBlobStoreOptions {
  /**
   * fsync each file before the rename. Off by default: the rename already protects against a crashed process;
   * fsync only adds protection against power loss, at a cost of milliseconds per write.
   */
  readonly fsync?: boolean;
}

// Errors that mean "there is no (regular) file at this key" rather than a storage failure.
const ABSENT_CODES = new Set(["ENOENT", "ENOTDIR", "EISDIR"]);

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Writes the parts in order with gathered writes, resuming after a short write. */
async function writeAll(handle: FileHandle, parts: readonly Uint8Array[]): Promise<void> {
  let rest = parts.filter((p) => p.byteLength > 0);
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest);
    while (rest.length > 0 && bytesWritten >= rest[0]!.byteLength) {
      bytesWritten -= rest[0]!.byteLength;
      rest = rest.slice(1);
    }
    if (bytesWritten > 0) rest = [rest[0]!.subarray(bytesWritten), ...rest.slice(1)];
  }
}

/** A BlobStore on the local file system, rooted at one folder; key `a/b.png` is the file `<root>/a/b.png`. */
export class FsBlobStore implements BlobStore {
  readonly root: string;
  readonly description: string;
  private readonly fsync: boolean;
  // Folders already created by this process: saves a mkdir syscall per write on hot paths (tensors).
  private readonly knownDirs = new Set<string>();

  constructor(root: string, options: FsBlobStoreOptions = {}) {
    this.root = path.resolve(root);
    this.description = `folder ${this.root}`;
    this.fsync = options.fsync ?? false;
  }

  /** File path of `key` under the root (the key is validated first). */
  localPath(key: string): string {
    validateBlobKey(key);
    return path.join(this.root, ...key.split("/"));
  }

  /** Writes to a temp file in the target folder, then renames it over the key. */
  async put(key: string, data: BlobData): Promise<void> {
    const target = this.localPath(key);
    const dir = path.dirname(target);
    // Buffers can be retried if a folder vanished under us; a stream cannot be replayed.
    const attempts = data instanceof Uint8Array || Array.isArray(data) ? 2 : 1;
    for (let attempt = 1; ; attempt++) {
      const temp = path.join(dir, `${TEMP_FILE_PREFIX}${randomBytes(8).toString("hex")}`);
      try {
        await this.ensureDir(dir);
        await this.writeTemp(temp, data);
        await rename(temp, target);
        return;
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        if (attempt < attempts && errnoOf(error) === "ENOENT" && this.knownDirs.delete(dir)) continue;
        if (error instanceof AtelierError) throw error;
        throw new BlobStorageError("put", key, this.description, error);
      }
    }
  }

  /** Reads the whole file. */
  async get(key: string): Promise<Uint8Array> {
    const file = this.localPath(key);
    try {
      return await readFile(file);
    } catch (error) {
      throw this.readError("get", key, error);
    }
  }

  /** Opens the file first so that a missing blob fails here, not later inside the stream. */
  async getStream(key: string): Promise<Readable> {
    const file = this.localPath(key);
    try {
      const handle = await open(file, "r");
      const info = await handle.stat();
      if (!info.isFile()) {
        await handle.close();
        throw Object.assign(new Error("not a regular file"), { code: "EISDIR" });
      }
      return handle.createReadStream();
    } catch (error) {
      throw this.readError("get", key, error);
    }
  }

  /** True when a regular file exists at the key. */
  async exists(key: string): Promise<boolean> {
    const file = this.localPath(key);
    try {
      return (await stat(file)).isFile();
    } catch (error) {
      if (ABSENT_CODES.has(errnoOf(error) ?? "")) return false;
      throw new BlobStorageError("stat", key, this.description, error);
    }
  }

  /** Unlinks the file; empty folders are left in place (they are cheap and may be reused). */
  async delete(key: string): Promise<boolean> {
    const file = this.localPath(key);
    try {
      await unlink(file);
      return true;
    } catch (error) {
      const code = errnoOf(error) ?? "";
      if (ABSENT_CODES.has(code)) return false;
      // Linux answers EISDIR for a folder, other systems EPERM: a folder is not a blob either way.
      if (code === "EPERM" && (await stat(file).catch(() => null))?.isDirectory()) return false;
      throw new BlobStorageError("delete", key, this.description, error);
    }
  }

  /** Size and modification time of the file. */
  async stat(key: string): Promise<BlobStat> {
    const file = this.localPath(key);
    let info;
    try {
      info = await stat(file);
    } catch (error) {
      throw this.readError("stat", key, error);
    }
    if (!info.isFile()) throw new BlobNotFoundError(key, this.description);
    return { size: info.size, modifiedAt: info.mtime };
  }

  /** Walks the folder holding the prefix and yields matching keys in sorted order; in-progress writes are skipped. */
  async *list(prefix: string): AsyncIterable<string> {
    validateBlobPrefix(prefix);
    const base = prefix.slice(0, prefix.lastIndexOf("/") + 1);
    const keys: string[] = [];
    try {
      await this.walk(base, prefix, (key) => {
        if (key.startsWith(prefix)) keys.push(key);
      });
    } catch (error) {
      throw new BlobStorageError("list", prefix, this.description, error);
    }
    keys.sort();
    yield* keys;
  }

  /**
   * Removes temp files left by a crashed process, older than `olderThanMs` (so that writes in flight in another
   * process are spared). Returns how many were removed.
   */
  async removeStaleTempFiles(olderThanMs = 60 * 60 * 1000): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    await this.walk(
      "",
      "",
      () => undefined,
      async (file) => {
        const info = await stat(file).catch(() => null);
        if (
          info !== null &&
          info.mtimeMs < cutoff &&
          (await unlink(file).then(
            () => true,
            () => false,
          ))
        )
          removed++;
      },
    );
    return removed;
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.knownDirs.add(dir);
  }

  private async writeTemp(temp: string, data: BlobData): Promise<void> {
    if (Array.isArray(data)) {
      const handle = await open(temp, "wx");
      try {
        await writeAll(handle, data as readonly Uint8Array[]);
        if (this.fsync) await handle.sync();
      } finally {
        await handle.close();
      }
      return;
    }
    if (data instanceof Uint8Array) {
      if (!this.fsync) {
        await writeFile(temp, data, { flag: "wx" });
        return;
      }
      const handle = await open(temp, "wx");
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return;
    }
    const handle = await open(temp, "wx");
    const sink = handle.createWriteStream({ flush: this.fsync });
    const source = data instanceof Readable ? data : Readable.from(data, { objectMode: false });
    await pipeline(source, sink);
  }

  private readError(operation: "get" | "stat", key: string, error: unknown): AtelierError {
    if (ABSENT_CODES.has(errnoOf(error) ?? "")) return new BlobNotFoundError(key, this.description);
    return new BlobStorageError(operation, key, this.description, error);
  }

  // Depth-first walk below `relDir` (a key prefix ending in '/' or ""), entering only folders that can hold keys
  // starting with `prefix`; a missing folder lists as empty.
  private async walk(
    relDir: string,
    prefix: string,
    onKey: (key: string) => void,
    onTemp?: (file: string) => Promise<void>,
  ): Promise<void> {
    const dir = path.join(this.root, ...relDir.split("/").filter((s) => s !== ""));
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (ABSENT_CODES.has(errnoOf(error) ?? "")) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(TEMP_FILE_PREFIX)) {
        if (entry.isFile() && onTemp !== undefined) await onTemp(path.join(dir, entry.name));
      } else if (entry.isDirectory()) {
        const sub = `${relDir}${entry.name}/`;
        if (sub.startsWith(prefix) || prefix.startsWith(sub)) await this.walk(sub, prefix, onKey, onTemp);
      } else if (entry.isFile()) {
        onKey(`${relDir}${entry.name}`);
      }
    }
  }
}
