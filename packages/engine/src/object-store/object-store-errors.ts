import { AtelierError } from "@atelier/core";

/** No stored object (tensor, conditioning) has the name. */
export class ObjectNotFoundError extends AtelierError {
  constructor(kind: string, name: string, reason = "it was never saved here or has been deleted") {
    super("object_not_found", `${kind} ${JSON.stringify(name)} not found: ${reason}`, {
      status: 404,
      details: { kind, name },
    });
  }
}

/** A stored object exists but its file cannot be decoded (truncated, edited, written by something else). */
export class ObjectCorruptError extends AtelierError {
  constructor(kind: string, name: string, key: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("object_corrupt", `${kind} ${JSON.stringify(name)} is unreadable (${key}): ${reason}`, {
      status: 500,
      details: { kind, name, key },
      cause,
    });
  }
}

/** A conditioning value that does not have the fields its kind requires. */
export class InvalidConditioningError extends AtelierError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("invalid_conditioning", message, { status: 422, details });
  }
}

/** Files of saved objects could not be written (the values were kept in memory only until evicted). */
export class ObjectWriteError extends AtelierError {
  constructor(kind: string, failures: readonly { name: string; error: unknown }[]) {
    const first = failures[0];
    const reason = first.error instanceof Error ? first.error.message : String(first.error);
    const names = failures.map((f) => f.name);
    const list =
      names.length === 1
        ? JSON.stringify(names[0])
        : `${names.length} objects (${names
            .slice(0, 3)
            .map((n) => JSON.stringify(n))
            .join(", ")}${names.length > 3 ? ", …" : ""})`;
    super("object_write_failed", `Could not store ${kind} ${list}: ${reason}`, {
      status: 500,
      details: { kind, names },
      cause: first.error,
    });
  }
}
