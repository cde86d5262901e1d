import { createHash } from "node:crypto";

/** What `status()` reports (InvokeAI's InvocationCacheStatus). */
export interface InvocationCacheStatus {
  size: number;
  hits: number;
  misses: number;
  enabled: boolean;
  max_size: number;
}

/** Something that tells when a stored object (an image, a tensor, conditioning) is deleted. */
export interface DeletionSource {
  onDeleted(callback: (name: string) => void): () => void;
}

/** Options of `InvocationCache`. */
export interface InvocationCacheOptions {
  /** Most entries (config `node_cache_size`, default 512); 0 turns the cache off for good. */
  maxSize?: number;
}

interface Entry {
  readonly output: Readonly<Record<string, unknown>>;
  /** Names of stored objects the output refers to. */
  readonly names: readonly string[];
}

// Keys up to this length are kept as they are (exact, and cheaper than hashing); longer ones are hashed.
const MAX_PLAIN_KEY = 512;
const NO_NAMES: readonly string[] = Object.freeze([]);
// How deep to look into an output for object names.
const MAX_NAME_DEPTH = 8;

/**
 * The cache key of a node: its type, version and fully hydrated inputs, never its id (InvokeAI hashes the node JSON
 * without `id`). `inputs` must be the parsed inputs, whose keys come in the definition's field order, so that the
 * same work always gives the same text.
 */
export function invocationCacheKey(type: string, version: string, inputs: Readonly<Record<string, unknown>>): string {
  // One JSON.stringify of the inputs without `id` (undefined values drop out), cheaper than one per field.
  const body: Record<string, unknown> = {};
  for (const key in inputs) if (key !== "id") body[key] = inputs[key];
  const text = `${type}@${version}${JSON.stringify(body)}`;
  return text.length <= MAX_PLAIN_KEY ? text : `#${createHash("sha256").update(text).digest("base64")}`;
}

function collectNames(value: unknown, out: string[], depth: number): void {
  if (depth > MAX_NAME_DEPTH || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (const v of value) collectNames(v, out, depth + 1);
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const k in obj) {
    const v = obj[k];
    // image_name, tensor_name, latents_name, conditioning_name, …: how outputs refer to stored objects.
    if (typeof v === "string") {
      if (k.endsWith("_name")) out.push(v);
    } else if (typeof v === "object" && v !== null) {
      collectNames(v, out, depth + 1);
    }
  }
}

/**
 * InvokeAI's in-memory invocation cache: node outputs by `invocationCacheKey`, LRU-bounded by `maxSize` entries.
 * Outputs are kept by reference and must not be changed. An entry whose output refers to a stored object that gets
 * deleted is dropped (sources are attached with `watch`). The processor decides what may be cached: never iterate,
 * collect or nodes with `use_cache: false`.
 */
export class InvocationCache {
  readonly #maxSize: number;
  /** Map order is recency order: the first entry is the least recently used. */
  readonly #entries = new Map<string, Entry>();
  /** Object name → keys of entries whose output refers to it. */
  readonly #byName = new Map<string, Set<string>>();
  readonly #unwatch: (() => void)[] = [];
  #enabled: boolean;
  #hits = 0;
  #misses = 0;

  constructor(options: InvocationCacheOptions = {}) {
    this.#maxSize = Math.max(0, Math.floor(options.maxSize ?? 512));
    this.#enabled = this.#maxSize > 0;
  }

  /** Whether lookups and saves do anything (false when disabled or when `maxSize` is 0). */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** The cached output for a key (counting a hit or a miss), or undefined. */
  get(key: string): Readonly<Record<string, unknown>> | undefined {
    if (!this.#enabled) return undefined;
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.output;
  }

  /** Stores an output, evicting the least recently used entry when full. */
  save(key: string, output: Readonly<Record<string, unknown>>): void {
    if (!this.#enabled) return;
    if (this.#entries.has(key)) this.#remove(key);
    const found: string[] = [];
    collectNames(output, found, 0);
    // Most outputs refer to no stored object: they share one empty list.
    const names = found.length === 0 ? NO_NAMES : found;
    this.#entries.set(key, { output, names });
    for (const name of names) {
      let keys = this.#byName.get(name);
      if (keys === undefined) this.#byName.set(name, (keys = new Set()));
      keys.add(key);
    }
    while (this.#entries.size > this.#maxSize) this.#remove(this.#entries.keys().next().value as string);
  }

  /** Drops every entry whose output refers to this object name; returns how many were dropped. */
  invalidateName(name: string): number {
    const keys = this.#byName.get(name);
    if (keys === undefined) return 0;
    const list = [...keys];
    for (const key of list) this.#remove(key);
    return list.length;
  }

  /** Drops entries when objects are deleted from `source` (the image service, tensor and conditioning stores). */
  watch(source: DeletionSource): void {
    this.#unwatch.push(source.onDeleted((name) => this.invalidateName(name)));
  }

  /** Empties the cache and resets the hit and miss counts. */
  clear(): void {
    this.#entries.clear();
    this.#byName.clear();
    this.#hits = 0;
    this.#misses = 0;
  }

  /** Turns the cache on (not when its size is 0). */
  enable(): void {
    this.#enabled = this.#maxSize > 0;
  }

  /** Turns the cache off; entries stay until cleared. */
  disable(): void {
    this.#enabled = false;
  }

  /** Size, hits, misses, enabled and max size. */
  status(): InvocationCacheStatus {
    return {
      size: this.#entries.size,
      hits: this.#hits,
      misses: this.#misses,
      enabled: this.#enabled,
      max_size: this.#maxSize,
    };
  }

  /** Stops watching deletion sources. */
  close(): void {
    for (const unwatch of this.#unwatch.splice(0)) unwatch();
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    for (const name of entry.names) {
      const keys = this.#byName.get(name);
      if (keys === undefined) continue;
      keys.delete(key);
      if (keys.size === 0) this.#byName.delete(name);
    }
  }
}
