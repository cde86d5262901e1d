import type { z } from "zod";
import { viewSchema, type SchemaView } from "./zod-introspection.js";

/** The outcome of checking one value against a field schema. */
export type ValueCheck =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Whether a union/branch view takes strings but not numbers (so a number should become a string). */
function wantsStringNotNumber(views: readonly SchemaView[]): boolean {
  const hasString = views.some((v) => v.kind === "string");
  const hasNumber = views.some((v) => v.kind === "number" || v.kind === "any");
  return hasString && !hasNumber;
}

function branches(schema: z.ZodType, depth = 0): SchemaView[] {
  const view = viewSchema(schema);
  if (depth > 16) return [view];
  switch (view.kind) {
    case "nullable":
    case "optional":
    case "default":
    case "wrapper":
      return branches(view.inner, depth + 1);
    case "union":
      return view.options.flatMap((o) => branches(o, depth + 1));
    default:
      return [view];
  }
}

/** What coerceValue needs to know of a schema, worked out once per schema (zod schemas are immutable). */
interface CoercionPlan {
  readonly numberToString: boolean;
  readonly list: Extract<SchemaView, { kind: "array" }> | undefined;
  readonly container: Extract<SchemaView, { kind: "object" | "record" }> | undefined;
}

const coercionPlans = new WeakMap<z.ZodType, CoercionPlan>();

function coercionPlan(schema: z.ZodType): CoercionPlan {
  let plan = coercionPlans.get(schema);
  if (plan === undefined) {
    const views = branches(schema);
    const list = views.find((v) => v.kind === "array");
    const container = views.find((v) => v.kind === "object" || v.kind === "record");
    plan = {
      numberToString: wantsStringNotNumber(views),
      list: list?.kind === "array" ? list : undefined,
      container: container?.kind === "object" || container?.kind === "record" ? container : undefined,
    };
    coercionPlans.set(schema, plan);
  }
  return plan;
}

/**
 * Applies the coercions pydantic's lax mode (with `coerce_numbers_to_str`) does for InvokeAI nodes and zod does
 * not: int|float → str where only a string is accepted, recursively through lists and objects. int → float needs
 * nothing in JavaScript.
 */
export function coerceValue(schema: z.ZodType, value: unknown, depth = 0): unknown {
  if (depth > 32 || value === null || value === undefined) return value;
  // Only numbers, lists and objects are ever changed: strings and booleans need no look at the schema.
  if (typeof value !== "number" && typeof value !== "object") return value;
  const plan = coercionPlan(schema);
  if (typeof value === "number") return plan.numberToString ? String(value) : value;
  if (Array.isArray(value)) {
    const list = plan.list;
    if (list !== undefined) return value.map((item) => coerceValue(list.item, item, depth + 1));
    return value;
  }
  if (isPlainObject(value)) {
    const obj = plan.container;
    if (obj?.kind === "object") {
      const out: Record<string, unknown> = { ...value };
      for (const [k, s] of Object.entries(obj.shape)) if (k in out) out[k] = coerceValue(s, out[k], depth + 1);
      return out;
    }
    if (obj?.kind === "record") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, coerceValue(obj.value, v, depth + 1)]));
    }
  }
  return value;
}

const PY_TYPE_NAMES: Record<string, string> = {
  string: "str",
  number: "float",
  int: "int",
  boolean: "bool",
  object: "object",
  array: "list",
  null: "None",
};

function typeOfValue(v: unknown): string {
  if (v === null) return "None";
  if (Array.isArray(v)) return "list";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : Number.isNaN(v) ? "NaN" : "float";
  if (typeof v === "string") return "str";
  if (typeof v === "boolean") return "bool";
  return typeof v;
}

interface LooseIssue {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  expected?: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  divisor?: number;
  values?: readonly unknown[];
  format?: string;
  pattern?: string;
  keys?: readonly string[];
}

function valueAtPath(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const key of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function describeIssue(issue: LooseIssue, root: unknown): string {
  const sized = issue.origin === "string" ? "characters" : issue.origin === "array" ? "items" : undefined;
  switch (issue.code) {
    case "invalid_type": {
      const expected = PY_TYPE_NAMES[issue.expected ?? ""] ?? issue.expected ?? "another type";
      return `must be ${expected}, not ${typeOfValue(valueAtPath(root, issue.path))}`;
    }
    case "too_small":
      if (sized !== undefined) return `must have at least ${String(issue.minimum)} ${sized}`;
      return `must be ${issue.inclusive ? "≥" : ">"} ${String(issue.minimum)}`;
    case "too_big":
      if (sized !== undefined) return `must have at most ${String(issue.maximum)} ${sized}`;
      return `must be ${issue.inclusive ? "≤" : "<"} ${String(issue.maximum)}`;
    case "not_multiple_of":
      return `must be a multiple of ${String(issue.divisor)}`;
    case "invalid_value":
      return `must be one of ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_format":
      return issue.format === "regex" && issue.pattern !== undefined
        ? `must match the pattern ${issue.pattern}`
        : `must be a valid ${issue.format ?? "value"}`;
    case "invalid_union":
      return "does not match any of the allowed types";
    case "unrecognized_keys":
      return `has unknown keys ${(issue.keys ?? []).map((k) => JSON.stringify(k)).join(", ")}`;
    default:
      return issue.message;
  }
}

/** A readable problem statement for zod issues, each prefixed with its path inside the value (`a.b: …`). */
export function formatIssues(issues: readonly LooseIssue[], value: unknown): string {
  return issues
    .map((issue) => {
      const text = describeIssue(issue, value);
      return issue.path.length === 0 ? text : `${issue.path.map(String).join(".")}: ${text}`;
    })
    .join("; ");
}

/** Coerces a value as pydantic would and checks it against the schema. */
export function checkValue(schema: z.ZodType, value: unknown): ValueCheck {
  const coerced = coerceValue(schema, value);
  const result = schema.safeParse(coerced);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problem: formatIssues(result.error.issues as readonly LooseIssue[], coerced) };
}
