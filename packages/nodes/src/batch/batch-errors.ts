import { AtelierError } from "@atelier/core";

/** A batch or generator node cannot be expanded into batch data; `details` names the node and field. */
export class BatchExpansionError extends AtelierError {
  constructor(message: string, details: Record<string, unknown>) {
    super("batch_expansion_failed", message, { status: 422, details });
  }
}
