/**
 * Reading typed values out of a metadata dict the way InvokeAI's `metadata_to_*` nodes do: the value stored under a
 * label (or the default), coerced as pydantic's lax mode would when it builds the node's output.
 */
import { AtelierError } from "@atelier/core";

/** The label that means "use the custom_label field". */
export const CUSTOM_LABEL = "* CUSTOM LABEL *";

/** The value under a label cannot become the output type. */
export class MetadataValueError extends AtelierError {
  constructor(message: string, details: Record<string, unknown>) {
    super("metadata_value_invalid", message, { status: 422, details });
  }
}

/** The key a `metadata_to_*` node reads: `custom_label` when label is the custom marker. */
export function metadataKey(label: string, customLabel: string | null): string {
  return String(label === CUSTOM_LABEL ? customLabel : label);
}

/** Scalar kinds a metadata value can be read as. */
export type MetadataScalarKind = "integer" | "float" | "string" | "boolean";

function fail(kind: string, key: string, value: unknown): never {
  throw new MetadataValueError(`Metadata value at "${key}" cannot be read as ${kind}: ${JSON.stringify(value)}`, {
    field: "label",
    key,
    value,
  });
}

/** Coerces one value as pydantic's lax mode does for `int`, `float`, `str`, `bool`. */
export function coerceMetadataScalar(kind: MetadataScalarKind, value: unknown, key: string): number | string | boolean {
  switch (kind) {
    case "integer": {
      const n = typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : value;
      if (typeof n === "number" && Number.isInteger(n)) return n;
      if (typeof n === "boolean") return n ? 1 : 0;
      return fail("an integer", key, value);
    }
    case "float": {
      const n =
        typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value)) ? Number(value) : value;
      if (typeof n === "number" && Number.isFinite(n)) return n;
      if (typeof n === "boolean") return n ? 1 : 0;
      return fail("a float", key, value);
    }
    case "string":
      if (typeof value === "string") return value;
      return fail("a string", key, value);
    case "boolean": {
      if (typeof value === "boolean") return value;
      if (value === 0 || value === 1) return value === 1;
      if (typeof value === "string") {
        const s = value.toLowerCase();
        if (["true", "1", "yes", "on", "t", "y"].includes(s)) return true;
        if (["false", "0", "no", "off", "f", "n"].includes(s)) return false;
      }
      return fail("a boolean", key, value);
    }
  }
}

/** The value under `key` (or `fallback`), coerced; a list kind coerces every element. */
export function readMetadataValue(
  metadata: Readonly<Record<string, unknown>> | null,
  key: string,
  fallback: unknown,
  kind: MetadataScalarKind,
  list: boolean,
): unknown {
  const raw = metadata && Object.hasOwn(metadata, key) ? metadata[key] : fallback;
  if (raw === null || raw === undefined) {
    throw new MetadataValueError(`No value at "${key}" in the metadata and no default_value was given`, {
      field: "default_value",
      key,
    });
  }
  if (!list) return coerceMetadataScalar(kind, raw, key);
  if (!Array.isArray(raw)) return fail(`a list of ${kind}`, key, raw);
  return raw.map((v) => coerceMetadataScalar(kind, v, key));
}
