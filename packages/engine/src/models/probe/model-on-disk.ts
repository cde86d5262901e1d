import { open, readdir, readFile, stat } from "node:fs/promises";
import { basename, extname, join, relative, sep } from "node:path";
import { readSafetensorsHeader, readSafetensorsHeaderLength, type SafetensorsHeader } from "@atelier/core";
import { InvalidModelError } from "../model-errors.js";
import { readGgufHeader } from "./gguf-header.js";

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
  /** safetensors dtype (`F16`, `U8`…) or, in a GGUF file, the ggml type (`Q4_K`, `F16`…). */
  readonly dtype: string;
  /** PyTorch-order shape. */
  readonly shape: readonly number[];
  /** `[begin, end)` of its bytes in the file (safetensors only). */
  readonly fileRange?: readonly [number, number];
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
   * The tensors of a safetensors or GGUF file (the model itself, or a file inside a folder model), read from its
   * header only. Throws InvalidModelError when the header is corrupt.
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

  /**
   * The bytes of one small tensor of a safetensors file (e.g. a bitsandbytes `quant_state` blob, which holds the
   * original shape of a packed weight); undefined when it is absent or larger than `maxBytes`.
   */
  async readTensorBytes(name: string, maxBytes = 4096, relativePath?: string): Promise<Buffer | undefined> {
    const range = (await this.stateDictKeys(relativePath)).tensors.get(name)?.fileRange;
    if (range === undefined || range[1] - range[0] > maxBytes) return undefined;
    const handle = await open(relativePath === undefined ? this.path : join(this.path, relativePath), "r");
    try {
      const bytes = Buffer.alloc(range[1] - range[0]);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, range[0]);
      this.#bytesRead += bytesRead;
      return bytes.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async #readGguf(file: string): Promise<StateDictKeys> {
    const handle = await open(file, "r");
    try {
      const { size } = await handle.stat();
      let header;
      try {
        header = await readGgufHeader(handle, size);
      } catch (error) {
        throw new InvalidModelError(file, `corrupt GGUF header: ${(error as Error).message}`, {
          reason: "corrupt_header",
        });
      }
      this.#bytesRead += header.bytesRead;
      const tensors = new Map<string, TensorInfo>();
      for (const t of header.tensors) tensors.set(t.name, { dtype: t.type, shape: t.shape });
      const metadata: Record<string, string> = {};
      for (const [key, value] of header.metadata) {
        if (
          typeof value === "string" ||
          typeof value === "number" ||
          typeof value === "boolean" ||
          typeof value === "bigint"
        )
          metadata[key] = String(value);
      }
      metadata["gguf.version"] = String(header.version);
      return { tensors, metadata };
    } finally {
      await handle.close();
    }
  }

  async #readHeader(file: string): Promise<StateDictKeys> {
    if (extname(file).toLowerCase() === ".gguf") return this.#readGguf(file);
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
      const dataStart = 8 + header.headerLength;
      for (const entry of header.entries) {
        tensors.set(entry.name, {
          dtype: entry.dtype,
          shape: entry.shape,
          fileRange: [dataStart + entry.dataOffsets[0], dataStart + entry.dataOffsets[1]],
        });
      }
      return { tensors, metadata: header.metadata };
    } finally {
      await handle.close();
    }
  }
}
