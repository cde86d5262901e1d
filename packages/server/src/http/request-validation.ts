import { AtelierError } from "@atelier/core";
import type { z } from "zod";

/** Where a request value came from, as FastAPI names it in `loc`. */
export type RequestPart = "path" | "query" | "body";

/** One problem with a request, in FastAPI's `HTTPValidationError.detail[]` shape. */
export interface RequestIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** The request's parameters, query or body do not match the route's schema. Status 422, like FastAPI. */
export class RequestValidationError extends AtelierError {
  readonly issues: readonly RequestIssue[];

  constructor(issues: RequestIssue[]) {
    const text = issues.map((i) => `${i.loc.join(".")}: ${i.msg}`).join("; ");
    super("invalid_request", `Invalid request: ${text}`, {
      status: 422,
      details: { field: issues[0]?.loc.join("."), issues },
    });
    this.issues = issues;
  }
}

interface ZodDefLike {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
}

function defOf(schema: z.ZodType): ZodDefLike {
  return (schema as unknown as { _zod: { def: ZodDefLike } })._zod.def;
}

/** Strips optional/nullable/default wrappers to the type that decides how text is read. */
function baseOf(schema: z.ZodType): ZodDefLike {
  let def = defOf(schema);
  for (;;) {
    if (
      def.innerType !== undefined &&
      ["optional", "nullable", "default", "prefault", "readonly", "catch", "nonoptional"].includes(def.type)
    ) {
      def = defOf(def.innerType);
    } else if (def.type === "pipe" && def.in !== undefined) {
      def = defOf(def.in);
    } else {
      return def;
    }
  }
}

function coerceScalar(def: ZodDefLike, value: unknown): unknown {
  if (typeof value !== "string") return value;
  switch (def.type) {
    case "number":
    case "int":
    case "bigint": {
      if (value.trim() === "") return value;
      const n = Number(value);
      return Number.isFinite(n) ? n : value;
    }
    case "boolean":
      if (value === "true" || value === "1") return true;
      if (value === "false" || value === "0") return false;
      return value;
    case "null":
      return value === "null" || value === "" ? null : value;
    default:
      return value;
  }
}

function coerceValue(schema: z.ZodType, value: unknown): unknown {
  const def = baseOf(schema);
  if (def.type === "array" && def.element !== undefined) {
    const list = Array.isArray(value) ? value : [value];
    return list.map((item) => coerceValue(def.element as z.ZodType, item));
  }
  if (def.type === "union") {
    const options = (def as unknown as { options: z.ZodType[] }).options;
    for (const option of options) {
      const coerced = coerceValue(option, value);
      if (coerced !== value) return coerced;
    }
    return value;
  }
  return coerceScalar(def, value);
}

/**
 * Reads query-string or path text into the types an object schema declares: numbers, booleans, and lists
 * (a repeated parameter, or a single one, becomes a list). Unknown keys and unreadable text are left for the schema
 * to refuse, so the error names the field.
 */
export function coerceFromText(schema: z.ZodType, raw: unknown): unknown {
  const def = baseOf(schema);
  if (def.type !== "object" || def.shape === undefined || typeof raw !== "object" || raw === null) return raw;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const field = def.shape[key];
    out[key] = field === undefined ? value : coerceValue(field, value);
  }
  return out;
}

/** Turns zod issues into FastAPI-style issues located under `part`. */
export function toRequestIssues(part: RequestPart, issues: readonly z.core.$ZodIssue[]): RequestIssue[] {
  return issues.map((issue) => ({
    loc: [part, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
    msg: issue.message,
    type: issue.code,
  }));
}

/** Validates one part of a request, throwing `RequestValidationError` that names the field. */
export function validatePart<T>(part: RequestPart, schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new RequestValidationError(toRequestIssues(part, result.error.issues));
  return result.data;
}
