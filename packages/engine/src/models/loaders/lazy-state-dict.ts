import { open, type FileHandle } from "node:fs/promises";
import {
  decodeSafetensors,
  readSafetensorsHeader,
  readSafetensorsHeaderLength,
  type SafetensorsEntry,
  type Tensor,
} from "@atelier/core";
import { ModelLoadError, UnknownTensorError } from "../model-errors.js";

/** Where a tensor lives and what it is. */
export interface LazyTensorInfo {
  /** Its name in the state dict (after a view's prefix is stripped). */
  readonly name: string;
  /** The safetensors dtype (`F32`, `F16`, `BF16`, `F8_E4M3`…). */
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly byteLength: number;
  readonly file: string;
}

interface Slot {
  readonly entry: SafetensorsEntry;
  readonly file: OpenFile;
  /** Absolute position of the tensor's first byte in its file. */
  readonly position: number;
}

interface OpenFile {
  readonly path: string;
  readonly handle: FileHandle;
  readonly size: number;
}

/** The dtypes that decode into a Tensor (others are read with `getBytes`). */
const DECODABLE = new Set(["F32", "F16", "BF16", "I64", "I32", "U8", "BOOL", "F64", "I8", "I16", "U16"]);
const MAX_READ = 1 << 30;
const utf8 = new TextEncoder();

/** Shared state of a state dict and its views: open files, slots and tensors read so far. */
class Storage {
  readonly files: OpenFile[];
  readonly slots: Map<string, Slot>;
  readonly tensors = new Map<string, Promise<Tensor>>();
  readonly metadata: Record<string, string>;
  loadedBytes = 0;
  closed = false;

  constructor(files: OpenFile[], slots: Map<string, Slot>, metadata: Record<string, string>) {
    this.files = files;
    this.slots = slots;
    this.metadata = metadata;
  }
}

async function readExactly(file: OpenFile, target: Uint8Array, position: number, name: string): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const length = Math.min(MAX_READ, target.length - done);
    const { bytesRead } = await file.handle.read(target, done, length, position + done);
    if (bytesRead === 0) {
      throw new ModelLoadError(
        `tensor ${JSON.stringify(name)} of ${file.path}`,
        `the file is truncated: the tensor needs bytes ${position}-${position + target.length} but the file ends at ${position + done}`,
        { path: file.path, tensor: name },
      );
    }
    done += bytesRead;
  }
}

async function openSafetensors(path: string): Promise<{
  file: OpenFile;
  entries: readonly SafetensorsEntry[];
  dataStart: number;
  metadata: Record<string, string>;
}> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (cause) {
    throw new ModelLoadError(path, "cannot open the safetensors file", { path }, cause);
  }
  try {
    const { size } = await handle.stat();
    const prefix = Buffer.alloc(8);
    const { bytesRead } = await handle.read(prefix, 0, 8, 0);
    const length = readSafetensorsHeaderLength(prefix.subarray(0, bytesRead));
    if (8 + length > size) throw new Error(`header length ${length} goes beyond the file size ${size}`);
    const bytes = Buffer.alloc(8 + length);
    prefix.copy(bytes);
    await handle.read(bytes, 8, length, 8);
    // Validating against the real size turns a truncated file into an error now, not at the first missing tensor.
    const header = readSafetensorsHeader(bytes, { fileSize: size });
    return { file: { path, handle, size }, entries: header.entries, dataStart: 8 + length, metadata: header.metadata };
  } catch (error) {
    await handle.close().catch(() => undefined);
    if (error instanceof ModelLoadError) throw error;
    throw new ModelLoadError(
      path,
      `invalid or truncated safetensors file: ${(error as Error).message}`,
      { path },
      error,
    );
  }
}

/**
 * A safetensors state dict whose tensors are read from disk on first access, by byte range (InvokeAI reads them
 * memory-mapped; Node has no mmap, and a range read into the final buffer costs one copy from the page cache).
 * Headers are validated when opened, so a truncated file fails at once with its name. Several files (a sharded
 * checkpoint) form one dict. `view(prefix)` gives the tensors under a prefix with it stripped, sharing reads.
 */
export class LazyStateDict {
  readonly #storage: Storage;
  readonly #prefix: string;
  readonly #names: readonly string[];

  private constructor(storage: Storage, prefix: string) {
    this.#storage = storage;
    this.#prefix = prefix;
    this.#names = [...storage.slots.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }

  /** Opens one or more safetensors files (their headers only). Throws ModelLoadError on a bad or truncated file. */
  static async open(paths: string | readonly string[]): Promise<LazyStateDict> {
    const list = typeof paths === "string" ? [paths] : paths;
    const files: OpenFile[] = [];
    const slots = new Map<string, Slot>();
    const metadata: Record<string, string> = {};
    try {
      for (const path of list) {
        const opened = await openSafetensors(path);
        files.push(opened.file);
        Object.assign(metadata, opened.metadata);
        for (const entry of opened.entries) {
          if (slots.has(entry.name))
            throw new ModelLoadError(
              path,
              `tensor ${JSON.stringify(entry.name)} is also in ${slots.get(entry.name)!.file.path}`,
              { path },
            );
          slots.set(entry.name, { entry, file: opened.file, position: opened.dataStart + entry.dataOffsets[0] });
        }
      }
    } catch (error) {
      await Promise.all(files.map((f) => f.handle.close().catch(() => undefined)));
      throw error;
    }
    return new LazyStateDict(new Storage(files, slots, metadata), "");
  }

  /** The files behind this dict. */
  get files(): readonly string[] {
    return this.#storage.files.map((f) => f.path);
  }

  /** The `__metadata__` of the file(s). */
  get metadata(): Readonly<Record<string, string>> {
    return this.#storage.metadata;
  }

  /** Tensor names, in header order. */
  keys(): readonly string[] {
    return this.#names;
  }

  get size(): number {
    return this.#names.length;
  }

  has(name: string): boolean {
    return this.#storage.slots.has(this.#prefix + name);
  }

  /** A tensor's dtype, shape and size, without reading it. */
  info(name: string): LazyTensorInfo {
    const slot = this.#slot(name);
    const [begin, end] = slot.entry.dataOffsets;
    return { name, dtype: slot.entry.dtype, shape: slot.entry.shape, byteLength: end - begin, file: slot.file.path };
  }

  /** Bytes of tensor data this dict covers (what it holds once every tensor was read). */
  get sizeBytes(): number {
    let total = 0;
    for (const name of this.#names) total += this.info(name).byteLength;
    return total;
  }

  /** Bytes read from disk so far (by this dict and every view of it). */
  get loadedBytes(): number {
    return this.#storage.loadedBytes;
  }

  /** The tensor, read on first access and kept; later calls return the same object. */
  get(name: string): Promise<Tensor> {
    const full = this.#prefix + name;
    let tensor = this.#storage.tensors.get(full);
    if (tensor === undefined) {
      tensor = this.#read(name);
      this.#storage.tensors.set(full, tensor);
      // A failed read is not remembered, so that a retry after fixing the file works.
      tensor.catch(() => this.#storage.tensors.delete(full));
    }
    return tensor;
  }

  /** The raw little-endian bytes of a tensor (for dtypes that do not decode, such as F8). Not cached. */
  async getBytes(name: string): Promise<Uint8Array> {
    const slot = this.#slot(name);
    const [begin, end] = slot.entry.dataOffsets;
    const bytes = new Uint8Array(end - begin);
    this.#checkOpen(name);
    await readExactly(slot.file, bytes, slot.position, name);
    this.#storage.loadedBytes += bytes.length;
    return bytes;
  }

  /** Reads every tensor, in file order with a few reads in flight (the thread pool overlaps them). */
  async loadAll(): Promise<Map<string, Tensor>> {
    const ordered = [...this.#names].sort((a, b) => this.#slot(a).position - this.#slot(b).position);
    let next = 0;
    const worker = async () => {
      while (next < ordered.length) await this.get(ordered[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(4, ordered.length) }, worker));
    const out = new Map<string, Tensor>();
    for (const name of ordered) out.set(name, await this.get(name));
    return out;
  }

  /** The tensors under `prefix`, with the prefix stripped from their names; shares files and reads with this dict. */
  view(prefix: string): LazyStateDict {
    return new LazyStateDict(this.#storage, this.#prefix + prefix);
  }

  /** Closes the files; reads afterwards fail. Idempotent; closing a view closes the whole dict. */
  async close(): Promise<void> {
    if (this.#storage.closed) return;
    this.#storage.closed = true;
    this.#storage.tensors.clear();
    await Promise.all(this.#storage.files.map((f) => f.handle.close().catch(() => undefined)));
  }

  #slot(name: string): Slot {
    const slot = this.#storage.slots.get(this.#prefix + name);
    if (slot === undefined) throw new UnknownTensorError(name, this.#storage.files.map((f) => f.path).join(", "));
    return slot;
  }

  #checkOpen(name: string): void {
    if (this.#storage.closed)
      throw new ModelLoadError(
        `tensor ${JSON.stringify(name)}`,
        "the state dict was closed (the model was evicted from the cache)",
      );
  }

  async #read(name: string): Promise<Tensor> {
    const slot = this.#slot(name);
    const { entry } = slot;
    if (!DECODABLE.has(entry.dtype)) {
      throw new ModelLoadError(
        `tensor ${JSON.stringify(name)} of ${slot.file.path}`,
        `dtype ${entry.dtype} does not decode to a Tensor; use getBytes()`,
        {
          tensor: name,
          dtype: entry.dtype,
        },
      );
    }
    this.#checkOpen(name);
    const byteLength = entry.dataOffsets[1] - entry.dataOffsets[0];
    // A one-tensor safetensors image around the bytes: the data is read straight into its final (8-aligned) place
    // and the core codec decodes it as a view, without a second copy.
    const json = utf8.encode(
      JSON.stringify({ t: { dtype: entry.dtype, shape: entry.shape, data_offsets: [0, byteLength] } }),
    );
    const headerLength = Math.ceil(json.length / 8) * 8;
    const image = Buffer.allocUnsafeSlow(8 + headerLength + byteLength);
    image.writeBigUInt64LE(BigInt(headerLength), 0);
    image.set(json, 8);
    image.fill(0x20, 8 + json.length, 8 + headerLength);
    await readExactly(slot.file, image.subarray(8 + headerLength), slot.position, name);
    this.#storage.loadedBytes += byteLength;
    return decodeSafetensors(new Uint8Array(image.buffer, image.byteOffset, image.byteLength), { copy: false }).tensors
      .t;
  }
}
