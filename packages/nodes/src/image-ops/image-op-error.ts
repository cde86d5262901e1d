import { AtelierError } from "@atelier/core";

/**
 * A pure image operation was given arguments it cannot work with (sizes that do not match, a mode it does not
 * support, a negative radius…). Nodes catch nothing: the message names the operation and the offending value, and
 * the node layer adds the node id and field.
 */
export class ImageOperationError extends AtelierError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, { status: 422, details });
  }
}

/** Raised when an operation meets an image mode it cannot handle. */
export function unsupportedMode(operation: string, mode: string, supported: readonly string[]): ImageOperationError {
  return new ImageOperationError(
    "image_mode_unsupported",
    `${operation}: image mode ${JSON.stringify(mode)} is not supported (expected one of ${supported.join(", ")})`,
    { operation, mode, supported },
  );
}
