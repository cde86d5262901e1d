import type { z } from "zod";
import type { TypeExpr } from "../type-expr.js";
import { getSchemaName } from "./named-schemas.js";
import { viewSchema } from "./zod-introspection.js";

/** A zod schema uses a construct that has no wire form (a function, a Date, a Map…). */
export class UnsupportedSchemaError extends Error {
  constructor(readonly zodType: string) {
    super(`zod type "${zodType}" cannot be used in a node field (it has no JSON form)`);
  }
}

/** The dictionary type used for anonymous objects and records (Python `dict`). */
const DICT: TypeExpr = { kind: "ref", name: "dict" };

function union(members: TypeExpr[]): TypeExpr {
  const flat: TypeExpr[] = [];
  for (const m of members) {
    for (const x of m.kind === "union" ? m.members : [m]) {
      if (!flat.some((y) => JSON.stringify(y) === JSON.stringify(x))) flat.push(x);
    }
  }
  return flat.length === 1 ? flat[0]! : { kind: "union", members: flat };
}

function literalType(v: string | number | boolean | null): TypeExpr {
  if (v === null) return { kind: "null" };
  if (typeof v === "boolean") return { kind: "bool" };
  if (typeof v === "number") return Number.isInteger(v) ? { kind: "int" } : { kind: "float" };
  return { kind: "enum", values: [v] };
}

/**
 * The TypeExpr of a field's zod schema, as InvokeAI would compare the Python annotation: int/float/str/bool,
 * string enums and literals → enum, named schemas → ref, arrays → list, nullable/unions → union, unknown/any → any.
 * Throws UnsupportedSchemaError for constructs without a wire form.
 */
export function typeExprFromSchema(schema: z.ZodType): TypeExpr {
  const named = getSchemaName(schema);
  if (named !== undefined) return { kind: "ref", name: named.name };
  const view = viewSchema(schema);
  switch (view.kind) {
    case "number":
      return { kind: view.integer ? "int" : "float" };
    case "string":
      return { kind: "str" };
    case "boolean":
      return { kind: "bool" };
    case "null":
      return { kind: "null" };
    case "any":
      return { kind: "any" };
    case "enum":
      if (view.values.every((v) => typeof v === "string")) return { kind: "enum", values: view.values as string[] };
      return union(view.values.map(literalType));
    case "literal": {
      const strings = view.values.filter((v): v is string => typeof v === "string");
      const others = view.values.filter((v) => typeof v !== "string");
      const parts = others.map(literalType);
      if (strings.length > 0) parts.unshift({ kind: "enum", values: strings });
      return union(parts);
    }
    case "array":
      return { kind: "list", item: typeExprFromSchema(view.item) };
    case "tuple": {
      const items = [...view.items, ...(view.rest ? [view.rest] : [])].map(typeExprFromSchema);
      return { kind: "list", item: items.length === 0 ? { kind: "any" } : union(items) };
    }
    case "object":
    case "record":
      return DICT;
    case "union":
      return union(view.options.map(typeExprFromSchema));
    case "nullable":
      return union([typeExprFromSchema(view.inner), { kind: "null" }]);
    case "optional":
    case "default":
    case "wrapper":
      return typeExprFromSchema(view.inner);
    case "unsupported":
      throw new UnsupportedSchemaError(view.zodType);
  }
}
