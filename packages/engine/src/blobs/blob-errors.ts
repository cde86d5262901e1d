import { AtelierError } from "@atelier/core";

/** A blob key that is empty, absolute, escapes the store (`..`) or is otherwise not a clean relative key. */
export class InvalidBlobKeyError extends AtelierError {
  constructor(key: string, reason: string) {
    super("invalid_blob_key", `Invalid blob key ${JSON.stringify(key)}: ${reason}`, {
      status: 400,
      details: { key, reason },
    });
  }
}

/** No blob is stored under the key. */
export class BlobNotFoundError extends AtelierError {
  constructor(key: string, store: string) {
    super("blob_not_found", `No blob at key ${JSON.stringify(key)} in ${store}`, {
      status: 404,
      details: { key, store },
    });
  }
}

/** The storage refused a read, write or delete (permissions, a file where a folder should be, disk full…). */
export class BlobStorageError extends AtelierError {
  constructor(operation: "put" | "get" | "delete" | "stat" | "list", key: string, store: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
    super("blob_storage_failed", `Could not ${operation} blob ${JSON.stringify(key)} in ${store}: ${reason}`, {
      status: 500,
      details: { operation, key, store, ...(errno === undefined ? {} : { errno }) },
      cause,
    });
  }
}
