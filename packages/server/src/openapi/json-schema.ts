import { z } from "zod";

/** A JSON Schema object as it appears in an OpenAPI document. */
export type JsonSchema = Record<string, unknown>;

const COMPONENT_PREFIX = "#/components/schemas/";
const SAFE_INT = 9007199254740991;

/** Drops zod's noise (`$schema`, ±2^53 integer bounds) and points `$defs` refs at `components.schemas`. */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === "$schema" || key === "$id") continue;
    if (key === "minimum" && value === -SAFE_INT) continue;
    if (key === "maximum" && value === SAFE_INT) continue;
    if (key === "$ref" && typeof value === "string" && value.startsWith("#/$defs/")) {
      out[key] = COMPONENT_PREFIX + value.slice("#/$defs/".length);
      continue;
    }
    out[key] = tidy(value);
  }
  return collapseConstUnion(out);
}

/** `anyOf` of literals (zod's form of a literal union) → one `enum`; integer literals are typed `integer`. */
function collapseConstUnion(node: Record<string, unknown>): Record<string, unknown> {
  const members = node.anyOf;
  if (!Array.isArray(members) || members.length === 0) return node;
  if (
    !members.every(
      (m) =>
        typeof m === "object" &&
        m !== null &&
        "const" in m &&
        Object.keys(m).every((k) => k === "const" || k === "type"),
    )
  ) {
    return node;
  }
  const values = members.map((m) => (m as { const: unknown }).const);
  const { anyOf: _anyOf, ...rest } = node;
  const type = values.every((v) => Number.isInteger(v))
    ? "integer"
    : values.every((v) => typeof v === "string")
      ? "string"
      : undefined;
  return { ...rest, ...(type === undefined ? {} : { type }), enum: values };
}

/**
 * `.describe()` writes to zod's global registry, while API schema names live in their own registry: carry the
 * descriptions over so fields and parameters keep them.
 */
function copyDescription(ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void {
  if (ctx.jsonSchema.description !== undefined) return;
  const description = z.globalRegistry.get(ctx.zodSchema as z.ZodType)?.description;
  if (description !== undefined) ctx.jsonSchema.description = description;
}

/**
 * Converts a zod schema to JSON Schema for an OpenAPI document. Schemas registered in `registry` (with an `id`)
 * become `$ref`s to `#/components/schemas/<id>` and are added to `components` if not there yet.
 */
export function toOpenApiSchema(
  schema: z.ZodType,
  registry: z.core.$ZodRegistry<{ id?: string }>,
  components: Record<string, JsonSchema>,
  io: "input" | "output",
): JsonSchema {
  const raw = z.toJSONSchema(schema, {
    metadata: registry,
    io,
    unrepresentable: "any",
    target: "draft-2020-12",
    override: copyDescription,
  }) as JsonSchema;
  const { $defs, ...rest } = raw as JsonSchema & { $defs?: Record<string, unknown> };
  for (const [name, def] of Object.entries($defs ?? {})) {
    if (!(name in components)) components[name] = tidy(def) as JsonSchema;
  }
  return tidy(rest) as JsonSchema;
}

/** Whether a schema accepts `undefined` (an optional parameter or property). */
export function isOptional(schema: z.ZodType): boolean {
  return schema.safeParse(undefined).success;
}

/** The object shape of a schema made with `z.object`, or undefined. */
export function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const def = (schema as unknown as { _zod: { def: { type: string; shape?: Record<string, z.ZodType> } } })._zod.def;
  return def.type === "object" ? def.shape : undefined;
}

/** Every schema registered in `registry`, as component schemas (named schemas no route refers to are listed too). */
export function registryComponents(registry: z.core.$ZodRegistry<{ id?: string }>): Record<string, JsonSchema> {
  const all = z.toJSONSchema(registry, {
    uri: (id) => COMPONENT_PREFIX + id,
    unrepresentable: "any",
    override: copyDescription,
  }) as {
    schemas: Record<string, unknown>;
  };
  const out: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(all.schemas)) out[name] = tidy(schema) as JsonSchema;
  return out;
}
