import { AtelierError } from "../errors.js";

/** A tensor was built or used with an inconsistent shape, size or dtype. */
export class TensorError extends AtelierError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("invalid_tensor", message, { status: 422, details });
  }
}

/** Bytes that claim to be a safetensors file are not one (truncated, bad header, bad offsets…). */
export class SafetensorsError extends AtelierError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("invalid_safetensors", message, { status: 422, details });
  }
}

/** A latent preview was asked for a base model that has no latent→RGB factors. */
export class UnsupportedBaseModelError extends AtelierError {
  constructor(base: string) {
    super("unsupported_base_model", `Unsupported base model: ${JSON.stringify(base)} has no latent preview factors`, {
      status: 400,
      details: { base },
    });
  }
}

/** A seed outside what torch's `manual_seed` accepts (an integer in [-2^63, 2^64 - 1]). */
export class InvalidSeedError extends AtelierError {
  constructor(seed: unknown) {
    super("invalid_seed", `Invalid seed ${String(seed)}: must be an integer in [-2^63, 2^64 - 1]`, {
      status: 422,
      details: { seed: String(seed) },
    });
  }
}
