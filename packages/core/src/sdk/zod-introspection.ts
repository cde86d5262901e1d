import type { z } from "zod";

// Reads zod 4 schema definitions (`schema._zod.def`) into a small closed vocabulary. JSON Schema output, TypeExpr
// derivation and value coercion all walk this view, so they agree with each other. It only touches the plain `def`
// data, which is the same in every copy of zod 4: a node pack bringing its own zod still works.

/** Numeric bounds and steps read from zod checks. */
export interface NumberBounds {
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
}

/** One level of a zod schema, with its children still as zod schemas. */
export type SchemaView =
  | ({ kind: "number"; integer: boolean } & NumberBounds)
  | { kind: "string"; minLength?: number; maxLength?: number; pattern?: string; format?: string }
  | { kind: "boolean" }
  | { kind: "null" }
  | { kind: "any" }
  | { kind: "enum"; values: readonly (string | number)[] }
  | { kind: "literal"; values: readonly (string | number | boolean | null)[] }
  | { kind: "array"; item: z.ZodType; minItems?: number; maxItems?: number }
  | { kind: "tuple"; items: readonly z.ZodType[]; rest?: z.ZodType }
  | { kind: "object"; shape: Readonly<Record<string, z.ZodType>>; extra: "allow" | "forbid" | "ignore" | z.ZodType }
  | { kind: "record"; value: z.ZodType }
  | { kind: "union"; options: readonly z.ZodType[] }
  | { kind: "nullable"; inner: z.ZodType }
  | { kind: "optional"; inner: z.ZodType }
  | { kind: "default"; inner: z.ZodType; value: unknown }
  /** Wrappers that do not change the wire shape: readonly, catch, pipe/transform (input side), lazy… */
  | { kind: "wrapper"; inner: z.ZodType }
  | { kind: "unsupported"; zodType: string };

interface RawCheck {
  _zod?: { def?: Record<string, unknown> };
}
type RawDef = Record<string, unknown> & { type?: string; checks?: RawCheck[] };

/** The raw zod definition of a schema. */
function defOf(schema: z.ZodType): RawDef {
  const internals = (schema as unknown as { _zod?: { def?: RawDef } })._zod;
  if (internals?.def === undefined) throw new TypeError("not a zod 4 schema");
  return internals.def;
}

/** Whether a value is a zod 4 schema (from any copy of zod). */
export function isZodSchema(value: unknown): value is z.ZodType {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { _zod?: { def?: { type?: unknown } } })._zod?.def?.type === "string"
  );
}

function checkDefs(def: RawDef): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  // z.int() is itself a "number format" check carried on the def.
  if (typeof def.check === "string") out.push(def);
  for (const c of def.checks ?? []) {
    const cd = c._zod?.def;
    if (cd !== undefined) out.push(cd);
  }
  return out;
}

const INT_FORMATS = new Set(["safeint", "int32", "uint32", "int64", "uint64"]);

function numberView(def: RawDef): SchemaView {
  const view: { kind: "number"; integer: boolean } & NumberBounds = { kind: "number", integer: false };
  for (const c of checkDefs(def)) {
    const value = c.value as number;
    switch (c.check) {
      case "number_format":
        if (INT_FORMATS.has(String(c.format))) view.integer = true;
        break;
      case "greater_than":
        if (c.inclusive === true) view.minimum = value;
        else view.exclusiveMinimum = value;
        break;
      case "less_than":
        if (c.inclusive === true) view.maximum = value;
        else view.exclusiveMaximum = value;
        break;
      case "multiple_of":
        view.multipleOf = value;
        break;
    }
  }
  return view;
}

function lengthBounds(def: RawDef): { min?: number; max?: number } {
  const out: { min?: number; max?: number } = {};
  for (const c of checkDefs(def)) {
    if (c.check === "min_length") out.min = c.minimum as number;
    else if (c.check === "max_length") out.max = c.maximum as number;
    else if (c.check === "length_equals") out.min = out.max = c.length as number;
  }
  return out;
}

function stringView(def: RawDef): SchemaView {
  const { min, max } = lengthBounds(def);
  const view: { kind: "string"; minLength?: number; maxLength?: number; pattern?: string; format?: string } = {
    kind: "string",
  };
  if (min !== undefined) view.minLength = min;
  if (max !== undefined) view.maxLength = max;
  const formats = [def, ...checkDefs(def)].filter((c) => c.check === "string_format" || typeof c.format === "string");
  for (const c of formats) {
    if (c.format === "regex" && c.pattern instanceof RegExp) view.pattern = c.pattern.source;
    else if (typeof c.format === "string" && c.format !== "regex") view.format = c.format;
  }
  return view;
}

/** One level of a zod schema in Atelier's vocabulary. */
export function viewSchema(schema: z.ZodType): SchemaView {
  const def = defOf(schema);
  switch (def.type) {
    case "number":
      return numberView(def);
    case "string":
      return stringView(def);
    case "boolean":
      return { kind: "boolean" };
    case "null":
      return { kind: "null" };
    case "any":
    case "unknown":
      return { kind: "any" };
    case "enum":
      return { kind: "enum", values: Object.values(def.entries as Record<string, string | number>) };
    case "literal":
      return { kind: "literal", values: def.values as (string | number | boolean | null)[] };
    case "array": {
      const { min, max } = lengthBounds(def);
      return {
        kind: "array",
        item: def.element as z.ZodType,
        ...(min === undefined ? {} : { minItems: min }),
        ...(max === undefined ? {} : { maxItems: max }),
      };
    }
    case "tuple":
      return {
        kind: "tuple",
        items: def.items as z.ZodType[],
        ...(def.rest ? { rest: def.rest as z.ZodType } : {}),
      };
    case "object": {
      const catchall = def.catchall as z.ZodType | undefined;
      let extra: "allow" | "forbid" | "ignore" | z.ZodType = "ignore";
      if (catchall !== undefined) {
        const t = defOf(catchall).type;
        extra = t === "never" ? "forbid" : t === "unknown" || t === "any" ? "allow" : catchall;
      }
      return { kind: "object", shape: def.shape as Record<string, z.ZodType>, extra };
    }
    case "record":
      return { kind: "record", value: def.valueType as z.ZodType };
    case "union":
      return { kind: "union", options: def.options as z.ZodType[] };
    case "nullable":
      return { kind: "nullable", inner: def.innerType as z.ZodType };
    case "optional":
    case "exact_optional":
      return { kind: "optional", inner: def.innerType as z.ZodType };
    case "default":
    case "prefault":
      return { kind: "default", inner: def.innerType as z.ZodType, value: def.defaultValue };
    case "readonly":
    case "catch":
    case "nonoptional":
    case "success":
      return { kind: "wrapper", inner: def.innerType as z.ZodType };
    case "pipe":
      // A transform pipeline: the wire value is what goes in.
      return { kind: "wrapper", inner: def.in as z.ZodType };
    case "lazy":
      return { kind: "wrapper", inner: (def.getter as () => z.ZodType)() };
    default:
      return { kind: "unsupported", zodType: String(def.type) };
  }
}

/** The schema under wrappers that only change parsing (readonly, pipes, lazy), not the wire shape. */
export function unwrapTransparent(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let depth = 0; depth < 64; depth++) {
    const view = viewSchema(current);
    if (view.kind !== "wrapper") return current;
    current = view.inner;
  }
  return current;
}

/** The top-level `.default(v)` of a schema, if it has one (looking through transparent wrappers). */
export function topLevelDefault(schema: z.ZodType): { inner: z.ZodType; value: unknown } | undefined {
  const view = viewSchema(unwrapTransparent(schema));
  return view.kind === "default" ? { inner: view.inner, value: view.value } : undefined;
}

/** Whether the schema accepts `null` as a value. */
export function acceptsNull(schema: z.ZodType): boolean {
  const view = viewSchema(unwrapTransparent(schema));
  switch (view.kind) {
    case "null":
    case "nullable":
    case "any":
      return true;
    case "literal":
      return view.values.includes(null);
    case "optional":
    case "default":
      return acceptsNull(view.inner);
    case "union":
      return view.options.some(acceptsNull);
    default:
      return false;
  }
}
