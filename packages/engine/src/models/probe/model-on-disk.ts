import { open, readdir, readFile, stat } from "node:fs/promises";
import { basename, extname, join, relative, sep } from "node:path";
import { readSafetensorsHeader, readSafetensorsHeaderLength, type SafetensorsHeader } from "@atelier/core";
import { InvalidModelError } from "../model-errors.js";

/** Extensions of single-file models (InvokeAI's sanity check). */
export const MODEL_FILE_EXTENSIONS: ReadonlySet<string> = new Set([
  ".safetensors",
  ".ckpt",
  ".pt",
  ".pth",
  ".bin",
  ".gguf",
  ".onnx",
]);

/** Pickle-based formats: reading their tensor names would mean running their code. */
export const PICKLE_EXTENSIONS: ReadonlySet<string> = new Set([".ckpt", ".pt", ".pth", ".bin"]);

/** One tensor as a header describes it. */
export interface TensorInfo {
  readonly dtype: string;
  readonly shape: readonly number[];
}

/** A safetensors file's tensors by name, plus its metadata. */
export interface StateDictKeys {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * A file or folder being identified (InvokeAI's ModelOnDisk). Everything is read lazily and cached: safetensors
 * headers (never the tensor data) and JSON configs. `bytesRead` counts every byte read, so that tests can check that
 * identification never reads weights.
 */
export class ModelOnDisk {
  readonly path: string;
  readonly isDirectory: boolean;
  /** Size of the file, or of every file in the folder. */
  readonly sizeBytes: number;
  #bytesRead = 0;
  readonly #headers = new Map<string, Promise<StateDictKeys>>();
  readonly #json = new Map<string, Promise<unknown>>();
  #files: Promise<string[]> | undefined;

  private constructor(path: string, isDirectory: boolean, sizeBytes: number) {
    this.path = path;
    this.isDirectory = isDirectory;
    this.sizeBytes = sizeBytes;
  }

  /** Opens a path for identification; throws InvalidModelError when it does not exist. */
  static async open(path: string): Promise<ModelOnDisk> {
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new InvalidModelError(path, "no such file or folder");
    }
    if (!info.isDirectory()) return new ModelOnDisk(path, false, info.size);
    const entries = await readdir(path, { recursive: true, withFileTypes: true });
    let size = 0;
    for (const e of entries) if (e.isFile()) size += (await stat(join(e.parentPath, e.name))).size;
    return new ModelOnDisk(path, true, size);
  }

  /** Bytes read so far (headers and JSON files). */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** The file name, or the folder name. */
  get name(): string {
    return basename(this.path);
  }

  /** The file name without its extension (a folder: its name). */
  get stem(): string {
    return this.isDirectory ? this.name : basename(this.path, extname(this.path));
  }

  /** The lower-case extension of a file model ("" for folders). */
  get extension(): string {
    return this.isDirectory ? "" : extname(this.path).toLowerCase();
  }

  /** Every file of a folder model, relative with `/`, sorted; hidden files and folders are left out. */
  files(): Promise<string[]> {
    this.#files ??= (async () => {
      if (!this.isDirectory) return [];
      const entries = await readdir(this.path, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => relative(this.path, join(e.parentPath, e.name)).split(sep).join("/"))
        .filter((p) => !p.split("/").some((part) => part.startsWith(".")))
        .sort();
    })();
    return this.#files;
  }

  /** Whether a folder model has this file (relative path). */
  async hasFile(relativePath: string): Promise<boolean> {
    return (await this.files()).includes(relativePath);
  }

  /**
   * The tensors of a safetensors file (the model itself, or a file inside a folder model), read from its header
   * only. Throws InvalidModelError when the header is corrupt.
   */
  stateDictKeys(relativePath?: string): Promise<StateDictKeys> {
    const file = relativePath === undefined ? this.path : join(this.path, relativePath);
    let cached = this.#headers.get(file);
    if (cached === undefined) {
      cached = this.#readHeader(file);
      this.#headers.set(file, cached);
    }
    return cached;
  }

  /** A JSON file inside a folder model (or beside nothing, for files): parsed, or undefined when absent or broken. */
  readJson(relativePath: string): Promise<unknown> {
    let cached = this.#json.get(relativePath);
    if (cached === undefined) {
      cached = (async () => {
        if (!this.isDirectory) return undefined;
        try {
          const text = await readFile(join(this.path, relativePath), "utf8");
          this.#bytesRead += Buffer.byteLength(text);
          return JSON.parse(text) as unknown;
        } catch {
          return undefined;
        }
      })();
      this.#json.set(relativePath, cached);
    }
    return cached;
  }

  async #readHeader(file: string): Promise<StateDictKeys> {
    const handle = await open(file, "r");
    try {
      const { size } = await handle.stat();
      const prefix = Buffer.alloc(Math.min(8, size));
      await handle.read(prefix, 0, prefix.length, 0);
      this.#bytesRead += prefix.length;
      let header: SafetensorsHeader;
      try {
        const length = readSafetensorsHeaderLength(prefix);
        if (8 + length > size) {
          throw new Error(`header length ${length} (bytes 0-7) goes beyond the file size ${size}`);
        }
        const bytes = Buffer.alloc(8 + length);
        prefix.copy(bytes, 0);
        await handle.read(bytes, 8, length, 8);
        this.#bytesRead += length;
        header = readSafetensorsHeader(bytes, { fileSize: size });
      } catch (error) {
        throw new InvalidModelError(file, `corrupt safetensors header: ${(error as Error).message}`, {
          reason: "corrupt_header",
        });
      }
      const tensors = new Map<string, TensorInfo>();
      for (const entry of header.entries) tensors.set(entry.name, { dtype: entry.dtype, shape: entry.shape });
      return { tensors, metadata: header.metadata };
    } finally {
      await handle.close();
    }
  }
}
