import { AtelierError } from "@atelier/core";

/** A tokenizer file is missing, unreadable or not of a kind Atelier can run. */
export class TokenizerLoadError extends AtelierError {
  constructor(message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super("tokenizer_load_failed", message, { status: 422, details, cause });
  }
}

/** A tokenizer was asked for something its definition does not allow (e.g. a max length below its framing). */
export class TokenizerUsageError extends AtelierError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("tokenizer_invalid_request", message, { status: 400, details });
  }
}
