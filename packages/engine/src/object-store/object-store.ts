import { randomUUID } from "node:crypto";
import { BlobNotFoundError } from "../blobs/blob-errors.js";
import type { BlobStore } from "../blobs/blob-store.js";
import { BufferPool } from "./buffer-pool.js";
import { LruCache } from "./lru-cache.js";
import { ObjectCorruptError, ObjectNotFoundError, ObjectWriteError } from "./object-store-errors.js";

/** How an ObjectStore turns values into file bytes and back. */
export interface ObjectCodec<T> {
  /** Throws a typed error when the value cannot be stored (called before anything is copied or written). */
  validate(value: T): void;
  /**
   * Serialises the value into one buffer from `allocate` (called once, with the file size) and returns the buffer
   * and a copy of the value made of views of it: the store's private copy, which is also the file's bytes.
   */
  encode(value: T, allocate: (byteLength: number) => Uint8Array): { bytes: Uint8Array; value: T };
  /** Parses bytes the store owns; the result may share memory with `bytes`. Throws on corrupt input. */
  decode(bytes: Uint8Array): T;
  /** A deep copy. */
  clone(value: T): T;
  /** Memory held by the value, for the cache's byte budget. */
  byteSize(value: T): number;
}

/** Construction options shared by TensorStore and ConditioningStore. */
export interface ObjectStoreOptions {
  /** Where the files go (keys `<folder>/<name>.safetensors`; a store rooted at `outputs/`). */
  readonly blobs: BlobStore;
  /** Memory budget of the LRU cache in front of the files (config `tensor_cache_bytes`; default 512 MiB). */
  readonly cacheBytes?: number;
  /**
   * File writes that may still be in flight when `save` returns (default 32). 0 makes `save` wait for its own
   * write, so that it returns only once the file exists (and fails if it cannot be written).
   */
  readonly maxPendingWrites?: number;
  /** Bytes of file writes that may be in flight when `save` returns (default 128 MiB). */
  readonly maxPendingBytes?: number;
  /** Called when an `onDeleted` callback throws (default: a process warning); deletion goes on regardless. */
  readonly onCallbackError?: (error: unknown, name: string) => void;
}

/** Identity of one kind of stored object. */
export interface ObjectKind {
  /** Name prefix and the word used in errors, e.g. "Tensor" → `Tensor_<uuid>`. */
  readonly kind: string;
  /** Blob key folder, e.g. "tensors". */
  readonly folder: string;
}

interface PendingWrite<T> {
  /** The store's private copy, which the file is written from. */
  readonly value: T;
  readonly bytes: number;
  readonly done: Promise<void>; // never rejects: failures land in `failed`
}

// Our names are `<Kind>_<uuid>`; anything outside this alphabet cannot be one and must never become a key.
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,200}$/;
const EXTENSION = ".safetensors";
const DEFAULT_CACHE_BYTES = 512 * 1024 * 1024;
const DEFAULT_MAX_PENDING_WRITES = 32;
const DEFAULT_MAX_PENDING_BYTES = 128 * 1024 * 1024;
// Failed names are remembered so that loading one explains why; bounded so a dead disk cannot grow memory forever.
const MAX_REMEMBERED_FAILURES = 10_000;

/**
 * Runs `write` once the event loop turns, after the synchronous work and microtasks in progress (the node that saved
 * and, often, the node that loads the value next): the kernel's copy into the page cache then overlaps the next
 * wait (inference, I/O) instead of competing with that work for memory bandwidth and cores.
 */
function startWhenIdle(write: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve)).then(write);
}

/**
 * Named objects kept as files (so they survive restarts, unlike InvokeAI's temp-dir serializer), with an LRU
 * memory cache in front. Loads always return deep copies, as InvokeAI's `clone()`/`deepcopy` do.
 *
 * Writes are behind: `save` returns once the value is encoded and cached, while its file is written in the
 * background (bounded by `maxPendingWrites`/`maxPendingBytes`). That keeps file system round trips off the node's
 * path; `flush()` waits for every file and reports failed writes, and whoever stores a session (the session
 * runner, before each checkpoint and at the end) awaits it first, so that nothing a stored session refers to can
 * be lost. In a running server the cache is full and each save pushes an older value out, whose buffer the save
 * after it reuses (see BufferPool).
 */
export class ObjectStore<T> {
  readonly kind: string;
  private readonly folder: string;
  private readonly codec: ObjectCodec<T>;
  private readonly blobs: BlobStore;
  private readonly cache: LruCache<string, T>;
  private readonly pool: BufferPool;
  /** File buffers (from the pool) behind saved values that are still cached or being written. */
  private readonly files = new Map<string, Uint8Array>();
  private readonly maxPendingWrites: number;
  private readonly maxPendingBytes: number;
  private readonly pending = new Map<string, PendingWrite<T>>();
  private pendingBytes = 0;
  private readonly failed = new Map<string, unknown>();
  private unreported: { name: string; error: unknown }[] = [];
  private readonly deletedCallbacks = new Set<(name: string) => void>();
  private readonly onCallbackError: (error: unknown, name: string) => void;

  constructor(identity: ObjectKind, codec: ObjectCodec<T>, options: ObjectStoreOptions) {
    this.kind = identity.kind;
    this.folder = identity.folder;
    this.codec = codec;
    this.blobs = options.blobs;
    this.cache = new LruCache({
      maxBytes: options.cacheBytes ?? DEFAULT_CACHE_BYTES,
      sizeOf: (value: T) => codec.byteSize(value),
      onEvict: (name) => this.release(name),
    });
    this.pool = new BufferPool();
    this.maxPendingWrites = options.maxPendingWrites ?? DEFAULT_MAX_PENDING_WRITES;
    this.maxPendingBytes = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.onCallbackError =
      options.onCallbackError ??
      ((error, name) => process.emitWarning(`onDeleted callback for ${this.kind} ${name} failed: ${String(error)}`));
  }

  /** Blob key of a name. */
  keyOf(name: string): string {
    if (typeof name !== "string" || !NAME_PATTERN.test(name))
      throw new ObjectNotFoundError(this.kind, String(name), "not a valid object name");
    return `${this.folder}/${name}${EXTENSION}`;
  }

  /**
   * Encodes and caches the value, starts writing its file, and returns its new name `<Kind>_<uuid>`.
   * Invalid values fail here with nothing written; a failed file write is reported by `flush()` (or here, when
   * the write limits made this call wait for its own write).
   */
  async save(value: T): Promise<string> {
    this.codec.validate(value);
    // The store's one private copy is the file itself: the value is encoded straight into one buffer (recycled
    // once the value has left the cache and its write has ended) and cached as views of that buffer.
    const { bytes: file, value: own } = this.codec.encode(value, (byteLength) => this.pool.take(byteLength));
    const bytes = file.byteLength;
    const name = `${this.kind}_${randomUUID()}`;
    const key = this.keyOf(name);
    this.files.set(name, file);
    this.cache.set(name, own);
    const done = startWhenIdle(() => this.blobs.put(key, file)).then(
      () => this.settle(name, bytes),
      (error: unknown) => {
        this.cache.delete(name);
        this.settle(name, bytes);
        this.failed.set(name, error);
        if (this.failed.size > MAX_REMEMBERED_FAILURES) this.failed.delete(this.failed.keys().next().value as string);
        this.unreported.push({ name, error });
      },
    );
    this.pending.set(name, { value: own, bytes, done });
    this.pendingBytes += bytes;
    while (
      this.pending.size > 0 &&
      (this.pending.size > this.maxPendingWrites || this.pendingBytes > this.maxPendingBytes)
    ) {
      await (this.pending.values().next().value as PendingWrite<T>).done;
    }
    const error = this.failed.get(name);
    if (error !== undefined) {
      this.unreported = this.unreported.filter((f) => f.name !== name);
      throw new ObjectWriteError(this.kind, [{ name, error }]);
    }
    return name;
  }

  /** A deep copy of the named value: from memory when cached or still being written, else from its file. */
  async load(name: string): Promise<T> {
    const key = this.keyOf(name);
    const cached = this.cache.get(name);
    if (cached !== undefined) return this.codec.clone(cached);
    const writing = this.pending.get(name);
    if (writing !== undefined) {
      this.cache.set(name, writing.value);
      return this.codec.clone(writing.value);
    }
    const error = this.failed.get(name);
    if (error !== undefined) throw new ObjectWriteError(this.kind, [{ name, error }]);
    let bytes: Uint8Array;
    try {
      bytes = await this.blobs.get(key);
    } catch (error) {
      if (error instanceof BlobNotFoundError) throw new ObjectNotFoundError(this.kind, name);
      throw error;
    }
    let value: T;
    try {
      value = this.codec.decode(bytes);
    } catch (error) {
      throw new ObjectCorruptError(this.kind, name, key, error);
    }
    this.cache.set(name, value);
    return this.codec.clone(value);
  }

  /** Whether the named value exists (in memory, being written, or on storage). */
  async exists(name: string): Promise<boolean> {
    if (typeof name !== "string" || !NAME_PATTERN.test(name)) return false;
    return this.cache.has(name) || this.pending.has(name) || (await this.blobs.exists(this.keyOf(name)));
  }

  /** Removes the value and tells every `onDeleted` callback; an unknown name is an ObjectNotFoundError. */
  async delete(name: string): Promise<void> {
    const key = this.keyOf(name);
    await this.pending.get(name)?.done;
    const wasCached = this.cache.delete(name);
    this.release(name);
    const hadFailed = this.failed.delete(name);
    if (hadFailed) this.unreported = this.unreported.filter((f) => f.name !== name);
    const removed = await this.blobs.delete(key);
    if (!removed && !wasCached && !hadFailed) throw new ObjectNotFoundError(this.kind, name);
    for (const callback of [...this.deletedCallbacks]) {
      try {
        callback(name);
      } catch (error) {
        this.onCallbackError(error, name);
      }
    }
  }

  /**
   * Resolves once every file write started so far has finished; throws ObjectWriteError naming the values whose
   * files could not be written since the last flush (each failure is reported once).
   */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending.values()].map((p) => p.done));
    if (this.unreported.length > 0) {
      const failures = this.unreported;
      this.unreported = [];
      throw new ObjectWriteError(this.kind, failures);
    }
  }

  /** Registers a callback run after each delete (the invocation cache drops entries that reference the name). */
  onDeleted(callback: (name: string) => void): () => void {
    this.deletedCallbacks.add(callback);
    return () => {
      this.deletedCallbacks.delete(callback);
    };
  }

  /** Names of every stored value whose file is written, in sorted order. */
  async *names(): AsyncIterable<string> {
    for await (const key of this.blobs.list(`${this.folder}/`)) {
      const file = key.slice(this.folder.length + 1);
      if (file.endsWith(EXTENSION) && !file.includes("/")) yield file.slice(0, -EXTENSION.length);
    }
  }

  /**
   * Deletes every stored value that `keep` rejects and whose file was last written before `writtenBefore` (so
   * that values another process is about to refer to are spared). Deletions tell the `onDeleted` callbacks.
   * Returns how many were deleted.
   */
  async deleteUnreferenced(keep: (name: string) => boolean, writtenBefore: Date): Promise<number> {
    let deleted = 0;
    for await (const name of this.names()) {
      if (keep(name) || this.pending.has(name)) continue;
      const stat = await this.blobs.stat(this.keyOf(name)).catch(() => null);
      if (stat === null || stat.modifiedAt >= writtenBefore) continue;
      await this.delete(name).then(
        () => deleted++,
        () => undefined, // deleted meanwhile by someone else
      );
    }
    return deleted;
  }

  /** Drops the memory cache and its recycled buffers (files, and values still being written, stay available). */
  clearCache(): void {
    this.cache.clear();
    this.pool.clear();
  }

  /** Bytes currently held by the memory cache. */
  get cachedBytes(): number {
    return this.cache.bytes;
  }

  /** Bytes of buffers from values that left the cache, kept for the next saves to reuse. */
  get recycledBytes(): number {
    return this.pool.bytes;
  }

  /** Number of file writes still in flight. */
  get pendingWrites(): number {
    return this.pending.size;
  }

  private settle(name: string, bytes: number): void {
    if (this.pending.delete(name)) this.pendingBytes -= bytes;
    this.release(name);
  }

  /** Recycles the file buffer of a value that is neither cached nor being written: nothing can reach it then. */
  private release(name: string): void {
    const file = this.files.get(name);
    if (file === undefined || this.cache.has(name) || this.pending.has(name)) return;
    this.files.delete(name);
    this.pool.give(file);
  }
}
