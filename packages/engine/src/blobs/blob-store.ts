import type { Readable } from "node:stream";

/** Size and modification time of a stored blob. */
export interface BlobStat {
  readonly size: number;
  readonly modifiedAt: Date;
}

/**
 * What `put` accepts: whole bytes, the bytes as parts written in order (no joining copy), or a stream/async
 * iterable of chunks (uploads, large files).
 */
export type BlobData = Uint8Array | readonly Uint8Array[] | Readable | AsyncIterable<Uint8Array>;

/**
 * Storage of immutable-ish byte blobs addressed by keys like `images/ab/uuid.png`.
 * Keys are `/`-separated relative names, never paths, so that an S3 bucket can implement the same interface.
 * A `put` is all-or-nothing: readers never see a partly written blob under its key.
 */
export interface BlobStore {
  /** Human-readable location (folder or bucket URL) used in error messages. */
  readonly description: string;
  /** Stores `data` under `key`, replacing any previous blob atomically. */
  put(key: string, data: BlobData): Promise<void>;
  /** Reads the whole blob; throws BlobNotFoundError if absent. */
  get(key: string): Promise<Uint8Array>;
  /** Opens the blob as a stream; throws BlobNotFoundError if absent. */
  getStream(key: string): Promise<Readable>;
  /** Whether a blob exists under `key`. */
  exists(key: string): Promise<boolean>;
  /** Removes the blob; returns false when there was nothing to remove. */
  delete(key: string): Promise<boolean>;
  /** Size and time of the blob; throws BlobNotFoundError if absent. */
  stat(key: string): Promise<BlobStat>;
  /** Removes temp files a crashed writer left behind, older than `olderThanMs`; how many (stores that have them). */
  removeStaleTempFiles?(olderThanMs?: number): Promise<number>;
  /** Every key starting with `prefix` (a plain string prefix, as S3 treats it), in lexicographic order. */
  list(prefix: string): AsyncIterable<string>;
  /** Local file path of the blob, for stores that live on the local file system only. */
  localPath?(key: string): string;
}
